#include "control/events/event_bus.h"

#include <algorithm>

namespace rackboot::control {

bool Subscription::wants(const BusEvent& e) const noexcept {
    if (filter_.serial && (!e.serial || *e.serial != *filter_.serial)) return false;
    if (filter_.mac && e.mac != *filter_.mac) return false;
    return filter_.kind.empty() || filter_.kind == e.kind;
}

void Subscription::push(const BusEvent& e) {
    std::function<void()> resume;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() == kQueue) {
            queue_.pop_front();
            dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        queue_.push_back("id: " + std::to_string(e.id) + "\nevent: " + e.kind + "\ndata: " + e.json + "\n\n");
        if (parked_ && resume_) {
            parked_ = false;
            resume_();
        }
    }
}

std::string Subscription::take(const std::function<void()>& park) {
    std::lock_guard lock(mutex_);
    std::string out;
    while (!queue_.empty() && out.size() < std::size_t{64} * 1024) {
        out += queue_.front();
        queue_.pop_front();
    }
    if (out.empty() && park) {
        parked_ = true;
        park();
    }
    return out;
}

void Subscription::set_resume(std::function<void()> resume) {
    std::lock_guard lock(mutex_);
    resume_ = std::move(resume);
}

void Subscription::wake() {
    std::lock_guard lock(mutex_);
    if (parked_ && resume_) {
        parked_ = false;
        resume_();
    }
}

std::shared_ptr<Subscription> EventBus::subscribe(EventFilter filter) {
    std::lock_guard lock(mutex_);
    if (subs_.size() >= kMaxSubscribers) return nullptr;
    subs_.push_back(std::make_shared<Subscription>(std::move(filter)));
    return subs_.back();
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& s) {
    std::lock_guard lock(mutex_);
    subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

void EventBus::publish(BusEvent e) {
    e.id = next_id_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    for (const auto& s : subs_) {
        if (s->wants(e)) s->push(e);
    }
}

void EventBus::wake_all() {
    std::lock_guard lock(mutex_);
    for (const auto& s : subs_) s->wake();
}

std::size_t EventBus::subscribers() const {
    std::lock_guard lock(mutex_);
    return subs_.size();
}

}  // namespace rackboot::control
