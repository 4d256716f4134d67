#include "dataplane/boot_admission.h"

#include <algorithm>

namespace rackboot::dataplane {

namespace {

// The std heap functions keep the greatest first: inverted, the earliest key.
constexpr auto kLater = [](const auto& a, const auto& b) noexcept { return a.key > b.key; };

}  // namespace

BootAdmission::BootAdmission(const BootAdmissionConfig& cfg, const PathBoard* board)
    : cfg_(cfg),
      board_(board),
      entries_(std::max<std::uint32_t>(1, cfg.room)),
      by_mac_(std::max<std::uint32_t>(1, cfg.room)) {
    free_.reserve(entries_.size());
    for (std::size_t i = entries_.size(); i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
    heap_.reserve(entries_.size() * 2);
    starts_.resize(4096);
    grants_.resize(4096);
}

std::uint32_t BootAdmission::capacity(const PathTotals& t) const noexcept {
    if (t.rate == 0 || t.largest == 0) return cfg_.unmeasured;
    // As many boots as can each have their largest file in flight at once and still end it in two
    // thirds of its plan, sharing the measured rate: the last third is for the boot's next file and
    // the rate's dips (a boot let in past this waits at TFTP instead, where its file clock runs).
    // Less room leaves the link idle in the gaps of each boot (DHCP, small files, probes).
    long double boots = static_cast<long double>(t.rate) * static_cast<long double>(cfg_.target) * 2.0L / 3.0L /
                        static_cast<long double>(proto::kSecond) / static_cast<long double>(t.largest);
    // No worker sees a queue: the path is not what limits the boots in progress (they are loss-
    // or client-bound); their count may double (and eight more) in the time a boot takes to show.
    if (!t.queue) boots = std::max<long double>(boots, 2.0L * static_cast<long double>(t.clients) + 8);
    return static_cast<std::uint32_t>(std::clamp<long double>(boots, 1, 1e6));
}

std::uint64_t BootAdmission::paced(const PathTotals& t, proto::Nanos now) noexcept {
    if (!t.queue || t.rate == 0 || t.largest == 0) {
        pace_tokens_ = -1;
        paced_at_ = now;
        return UINT64_MAX;
    }
    long double per_ns = static_cast<long double>(t.rate) / static_cast<long double>(t.largest) /
                         static_cast<long double>(proto::kSecond);
    long double burst = std::max<long double>(1.0L, per_ns * static_cast<long double>(kPaceBurst));
    if (pace_tokens_ < 0) pace_tokens_ = burst;
    pace_tokens_ =
        std::min(burst, pace_tokens_ + per_ns * static_cast<long double>(std::max<proto::Nanos>(0, now - paced_at_)));
    paced_at_ = now;
    return static_cast<std::uint64_t>(pace_tokens_);
}

std::uint32_t BootAdmission::recent(proto::Nanos now) noexcept {
    while (starts_count_ > 0 && now - starts_[starts_head_] >= kStarting) {
        starts_head_ = (starts_head_ + 1) % starts_.size();
        --starts_count_;
    }
    return static_cast<std::uint32_t>(starts_count_);
}

void BootAdmission::push(std::uint32_t slot) noexcept {
    Entry& e = entries_[slot];
    if (e.in_heap) return;
    if (heap_.size() == heap_.capacity()) {
        // Full of stale items: rebuild from the waiters themselves.
        heap_.clear();
        for (std::uint32_t i = 0; i < entries_.size(); ++i) {
            Entry& w = entries_[i];
            w.in_heap = w.used && w.admitted_at == 0 && w.granted_at == 0 && i != slot && w.in_heap;
            if (w.in_heap) heap_.push_back({w.key, i, w.gen});
        }
        std::make_heap(heap_.begin(), heap_.end(), kLater);
    }
    e.in_heap = true;
    heap_.push_back({e.key, slot, e.gen});
    std::push_heap(heap_.begin(), heap_.end(), kLater);
}

void BootAdmission::grant(proto::Nanos now) noexcept {
    PathTotals t = board_ != nullptr ? board_->totals() : PathTotals{};
    std::uint64_t load = t.clients + granted_ + recent(now);
    std::uint64_t cap = capacity(t);
    // Transfers already started come first: no new boot while any waits for room; but with
    // nothing in progress at all, one boot always may start.
    std::uint64_t spare = t.held > 0 ? 0 : (load < cap ? cap - load : 0);
    std::uint64_t pace = paced(t, now);
    spare = std::min(spare, pace);
    if (load == 0 && t.running == 0) spare = std::max<std::uint64_t>(spare, 1);
    figures_.room = static_cast<std::uint32_t>(std::min<std::uint64_t>(cap, UINT32_MAX));
    std::uint64_t before = spare;
    while (spare > 0 && !heap_.empty()) {
        std::pop_heap(heap_.begin(), heap_.end(), kLater);
        Item it = heap_.back();
        heap_.pop_back();
        Entry& e = entries_[it.slot];
        if (!e.used || e.gen != it.gen || !e.in_heap) continue;  // forgotten, or an older place
        e.in_heap = false;
        if (e.admitted_at != 0 || e.granted_at != 0) continue;
        if (now - e.last_seen > kLive) continue;  // gone quiet: back in line when it is heard again
        e.granted_at = now;
        ++granted_;
        --spare;
        if (grants_count_ < grants_.size()) {
            grants_[(grants_head_ + grants_count_) % grants_.size()] = e.mac;
            ++grants_count_;
        }
    }
    if (pace != UINT64_MAX)
        pace_tokens_ = std::max<long double>(0, pace_tokens_ - static_cast<long double>(before - spare));
}

void BootAdmission::take(Entry& e, proto::Nanos now) noexcept {
    if (e.granted_at != 0) {
        e.granted_at = 0;
        --granted_;
    }
    e.admitted_at = now;
    e.requested = false;
    if (figures_.waiting > 0) --figures_.waiting;
    ++figures_.admitted;
    if (starts_count_ == starts_.size()) {
        starts_head_ = (starts_head_ + 1) % starts_.size();
        --starts_count_;
    }
    starts_[(starts_head_ + starts_count_) % starts_.size()] = now;
    ++starts_count_;
}

bool BootAdmission::admit(std::uint64_t mac, proto::Nanos window, proto::Nanos now) noexcept {
    if (!cfg_.enabled) return true;
    std::uint32_t slot = by_mac_.find(mac);
    if (slot == proto::FlatIndex::kNone) {
        if (free_.empty()) {
            ++figures_.held;  // the room is full: this Pi waits without a place
            return false;
        }
        slot = free_.back();
        free_.pop_back();
        Entry& fresh = entries_[slot];
        std::uint32_t gen = fresh.gen + 1;
        fresh = Entry{};
        fresh.gen = gen;
        fresh.used = true;
        fresh.mac = mac;
        fresh.key = now + window;
        by_mac_.put(mac, slot);
        ++figures_.waiting;
    }
    Entry& e = entries_[slot];
    e.last_seen = now;
    if (e.admitted_at != 0) {
        if (!e.requested && now - e.admitted_at < kAdmittedFor) return true;
        // Its DHCP was answered (it REQUESTed, or long ago) and it asks again: its boot failed, or
        // it rebooted. It waits again, in the place it had.
        e.admitted_at = 0;
        e.requested = false;
        ++figures_.waiting;
    }
    // Heard now, so live: in line before the room is shared out.
    if (e.granted_at == 0) push(slot);
    tick(now);
    if (e.granted_at == 0) grant(now);
    if (e.granted_at != 0) {
        take(e, now);
        return true;
    }
    ++figures_.held;
    return false;
}

void BootAdmission::requested(std::uint64_t mac) noexcept {
    if (!cfg_.enabled) return;
    std::uint32_t slot = by_mac_.find(mac);
    if (slot == proto::FlatIndex::kNone) return;
    Entry& e = entries_[slot];
    if (e.admitted_at != 0) e.requested = true;
}

void BootAdmission::release(std::uint32_t slot) noexcept {
    Entry& e = entries_[slot];
    if (e.granted_at != 0) --granted_;
    if (e.admitted_at == 0 && figures_.waiting > 0) --figures_.waiting;
    by_mac_.erase_if(e.mac, slot);
    e.used = false;
    e.in_heap = false;
    free_.push_back(slot);
}

void BootAdmission::sweep(proto::Nanos now) noexcept {
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
        Entry& e = entries_[i];
        if (!e.used) continue;
        if (now - e.last_seen >= kForget) {
            release(i);
            continue;
        }
        if (e.granted_at != 0 && now - e.granted_at >= kGrantFor) {
            e.granted_at = 0;  // not taken up: the room goes to the next waiter
            --granted_;
        }
    }
}

void BootAdmission::tick(proto::Nanos now) noexcept {
    if (!cfg_.enabled || now - granted_at_ < kGrantEvery) return;
    granted_at_ = now;
    if (now - swept_at_ >= proto::kSecond) {
        swept_at_ = now;
        sweep(now);
    }
    grant(now);
}

bool BootAdmission::next_grant(std::uint64_t& mac) noexcept {
    if (grants_count_ == 0) return false;
    mac = grants_[grants_head_];
    grants_head_ = (grants_head_ + 1) % grants_.size();
    --grants_count_;
    return true;
}

}  // namespace rackboot::dataplane
