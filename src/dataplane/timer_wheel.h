// A hashed timer wheel over a fixed set of entries (the worker's transfer slots). O(1) arm and
// cancel; expiry walks only the ticks that passed. Deadlines past the wheel's horizon stay in
// their slot and are checked again when it comes round. No allocation after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/clock.h"

namespace rackboot::dataplane {

class TimerWheel {
public:
    static constexpr int kTickShift = 23;          // ~8.4 ms ticks
    static constexpr std::uint32_t kSlots = 1024;  // ~8.6 s horizon
    static constexpr std::uint32_t kNone = UINT32_MAX;

    explicit TimerWheel(std::uint32_t entries);

    void arm(std::uint32_t id, proto::Nanos deadline) noexcept;
    void cancel(std::uint32_t id) noexcept;
    [[nodiscard]] bool armed(std::uint32_t id) const noexcept { return nodes_[id].armed; }

    // Calls fn(id) for every entry whose deadline is <= now; each is disarmed before the call, so
    // fn may re-arm it.
    template <typename Fn>
    void expire(proto::Nanos now, Fn&& fn) {
        std::int64_t target = now >> kTickShift;
        if (current_ < 0) current_ = target;
        // After a long sleep one revolution visits every slot.
        if (target - current_ >= kSlots) current_ = target - kSlots + 1;
        for (; current_ <= target; ++current_) {
            std::uint32_t slot = static_cast<std::uint32_t>(current_) & (kSlots - 1);
            std::uint32_t id = heads_[slot];
            while (id != kNone) {
                std::uint32_t next = nodes_[id].next;
                if (nodes_[id].deadline <= now) {
                    cancel(id);
                    fn(id);
                }
                id = next;
            }
            if (current_ == target) break;
        }
    }

    // The earliest tick boundary worth waking for, or -1 when nothing is armed.
    [[nodiscard]] proto::Nanos next_deadline() const noexcept;

private:
    struct Node {
        proto::Nanos deadline = 0;
        std::uint32_t prev = kNone;
        std::uint32_t next = kNone;
        std::uint32_t slot = 0;
        bool armed = false;
    };
    std::vector<Node> nodes_;
    std::vector<std::uint32_t> heads_;
    std::int64_t current_ = -1;
    std::uint32_t armed_count_ = 0;
};

}  // namespace rackboot::dataplane
