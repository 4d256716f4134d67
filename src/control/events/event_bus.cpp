#include "control/events/event_bus.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace rackboot::control {

bool matches(const EventFilter& f, const BusEvent& e) noexcept {
    if (f.serial && (!e.serial || *e.serial != *f.serial)) return false;
    if (f.mac && e.mac != *f.mac) return false;
    return f.kind.empty() || f.kind == e.kind;
}

void EventBus::start_ids(std::uint64_t first, std::uint64_t block, std::function<void(std::uint64_t)> record) {
    std::lock_guard lock(mutex_);
    first_id_ = next_id_ = std::max<std::uint64_t>(first, 1);
    block_ = std::max<std::uint64_t>(block, 1);
    record_ = std::move(record);
    recorded_ = record_ ? first_id_ - 1 : UINT64_MAX;
}

std::uint64_t EventBus::oldest_id() const noexcept {
    return history_.empty() ? next_id_ : history_.front().event.id;
}

void EventBus::report_gap(Subscription& s, std::uint64_t first, std::uint64_t last, const char* reason) {
    std::uint64_t n = last - first + 1;
    if (s.lost_ == 0 && s.lost_reason_.empty()) s.lost_first_ = first;
    s.lost_ += n;
    s.lost_last_ = last;
    s.lost_reason_ = reason;
}

void EventBus::resume_after(Subscription& s, std::uint64_t after) const {
    std::uint64_t oldest = oldest_id();
    if (after >= next_id_) {
        // An id this server never handed out (a run that kept no ids, or made up): all that is
        // kept is replayed, and the notice says the gap's size is not known.
        s.cursor_ = oldest;
        s.lost_reason_ = "unknown_id";
        s.lost_exact_ = false;
        s.lost_first_ = after;
        s.lost_last_ = oldest - 1;
    } else if (after + 1 < oldest) {
        // Gone from the history: before this run, or dropped since. With a filter, some of them
        // would not have been sent anyway.
        s.cursor_ = oldest;
        report_gap(s, after + 1, oldest - 1, after + 1 < first_id_ ? "restart" : "history");
        s.lost_exact_ = s.filter_.any() && after + 1 >= first_id_;
    } else {
        s.cursor_ = after + 1;
    }
}

std::string EventBus::notice_json(const Subscription& s) {
    nlohmann::json notice;
    if (s.lost_reason_ == "unknown_id") {
        notice = {{"lost", nullptr}, {"reason", s.lost_reason_}, {"last_event_id", s.lost_first_}};
    } else {
        notice = {{"lost", s.lost_},
                  {"first_id", s.lost_first_},
                  {"last_id", s.lost_last_},
                  {"exact", s.lost_exact_},
                  {"reason", s.lost_reason_}};
    }
    return notice.dump();
}

std::shared_ptr<Subscription> EventBus::subscribe(EventFilter filter, std::optional<std::uint64_t> after) {
    std::lock_guard lock(mutex_);
    if (subs_.size() >= kMaxSubscribers) return nullptr;
    auto s = std::make_shared<Subscription>(std::move(filter));
    s->cursor_ = next_id_;
    if (after) resume_after(*s, *after);
    lost_total_ += s->lost_;
    subs_.push_back(s);
    return s;
}

EventPage EventBus::page(const EventFilter& f, std::optional<std::uint64_t> after, std::size_t limit) const {
    std::lock_guard lock(mutex_);
    EventPage out;
    out.last_id = next_id_ - 1;
    auto item = [](const Kept& k) { return EventPage::Item{k.event.id, k.event.kind, k.event.json}; };
    if (!after) {
        for (auto it = history_.rbegin(); it != history_.rend() && out.items.size() < limit; ++it) {
            if (matches(f, it->event)) out.items.push_back(item(*it));
        }
        std::reverse(out.items.begin(), out.items.end());
        return out;
    }
    // As a subscription resuming there would: its cursor, and the notice it would be given. The
    // gap is counted once per reader, not in lost(): a page can be asked for again and again.
    Subscription probe(f);
    resume_after(probe, *after);
    if (probe.lost_ > 0 || !probe.lost_reason_.empty()) out.lost = notice_json(probe);
    std::uint64_t oldest = oldest_id();
    for (std::size_t i = probe.cursor_ - oldest; i < history_.size(); ++i) {
        if (!matches(f, history_[i].event)) continue;
        if (out.items.size() == limit) {
            out.more = true;
            break;
        }
        out.items.push_back(item(history_[i]));
    }
    return out;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& s) {
    std::lock_guard lock(mutex_);
    subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

void EventBus::drop_oldest() {
    const Kept& k = history_.front();
    for (const auto& s : subs_) {
        if (s->cursor_ > k.event.id) continue;
        // It had not read this one: it went by unread.
        if (s->wants(k.event)) {
            report_gap(*s, k.event.id, k.event.id, "behind");
            ++lost_total_;
        }
        s->cursor_ = k.event.id + 1;
    }
    history_bytes_ -= k.frame.size();
    history_.pop_front();
}

void EventBus::publish(BusEvent e) {
    std::lock_guard lock(mutex_);
    if (next_id_ > recorded_) {
        recorded_ = next_id_ + block_ - 1;
        record_(recorded_);
    }
    e.id = next_id_++;
    std::string frame = "id: " + std::to_string(e.id) + "\nevent: " + e.kind + "\ndata: " + e.json + "\n\n";
    history_bytes_ += frame.size();
    history_.push_back(Kept{std::move(e), std::move(frame)});
    while (history_.size() > history_cap_ || history_bytes_ > kHistoryBytes) drop_oldest();
    const BusEvent& kept = history_.back().event;
    for (const auto& s : subs_) {
        if (s->parked_ && s->resume_ && s->wants(kept)) {
            s->parked_ = false;
            s->resume_();
        }
    }
}

std::string EventBus::take(Subscription& s, const std::function<void()>& park) {
    std::lock_guard lock(mutex_);
    std::string out;
    if (s.lost_ > 0 || !s.lost_reason_.empty()) {
        // Its id is the last one it stands for: a client that reconnects after it is not told again.
        out += "id: " + std::to_string(s.lost_last_) + "\nevent: lost\ndata: " + notice_json(s) + "\n\n";
        s.lost_ = 0;
        s.lost_reason_.clear();
        s.lost_exact_ = true;
    }
    std::uint64_t oldest = oldest_id();
    s.cursor_ = std::max(s.cursor_, oldest);
    std::size_t i = s.cursor_ - oldest;
    for (; i < history_.size() && out.size() < kTakeBytes; ++i) {
        if (s.wants(history_[i].event)) out += history_[i].frame;
    }
    s.cursor_ = oldest + i;
    if (out.empty() && park) {
        s.parked_ = true;
        park();
    }
    return out;
}

void EventBus::set_resume(Subscription& s, std::function<void()> resume) {
    std::lock_guard lock(mutex_);
    s.resume_ = std::move(resume);
}

void EventBus::wake(Subscription& s) {
    std::lock_guard lock(mutex_);
    if (s.parked_ && s.resume_) {
        s.parked_ = false;
        s.resume_();
    }
}

void EventBus::wake_all() {
    std::lock_guard lock(mutex_);
    for (const auto& s : subs_) {
        if (s->parked_ && s->resume_) {
            s->parked_ = false;
            s->resume_();
        }
    }
}

std::size_t EventBus::subscribers() const {
    std::lock_guard lock(mutex_);
    return subs_.size();
}

std::uint64_t EventBus::published() const {
    std::lock_guard lock(mutex_);
    return next_id_ - first_id_;
}

std::uint64_t EventBus::last_id() const {
    std::lock_guard lock(mutex_);
    return next_id_ - 1;
}

std::uint64_t EventBus::lost() const {
    std::lock_guard lock(mutex_);
    return lost_total_;
}

std::size_t EventBus::history_size() const {
    std::lock_guard lock(mutex_);
    return history_.size();
}

}  // namespace rackboot::control
