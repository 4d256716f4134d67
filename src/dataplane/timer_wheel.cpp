#include "dataplane/timer_wheel.h"

#include <limits>

namespace rackboot::dataplane {

TimerWheel::TimerWheel(std::uint32_t entries) : nodes_(entries), heads_(kSlots, kNone) {
}

void TimerWheel::arm(std::uint32_t id, proto::Nanos deadline) noexcept {
    if (nodes_[id].armed) cancel(id);
    Node& n = nodes_[id];
    std::int64_t tick = deadline >> kTickShift;
    // Never place a timer behind the wheel's hand: it would wait a whole revolution.
    if (current_ >= 0 && tick < current_) tick = current_;
    std::uint32_t slot = static_cast<std::uint32_t>(tick) & (kSlots - 1);
    n.deadline = deadline;
    n.slot = slot;
    n.prev = kNone;
    n.next = heads_[slot];
    if (n.next != kNone) nodes_[n.next].prev = id;
    heads_[slot] = id;
    n.armed = true;
    ++armed_count_;
}

void TimerWheel::cancel(std::uint32_t id) noexcept {
    Node& n = nodes_[id];
    if (!n.armed) return;
    if (n.prev != kNone) {
        nodes_[n.prev].next = n.next;
    } else {
        heads_[n.slot] = n.next;
    }
    if (n.next != kNone) nodes_[n.next].prev = n.prev;
    n.armed = false;
    n.prev = n.next = kNone;
    --armed_count_;
}

proto::Nanos TimerWheel::next_deadline() const noexcept {
    if (armed_count_ == 0) return -1;
    // Scan forward from the hand for the first non-empty slot; its tick is a safe wake-up time
    // (entries beyond the horizon are re-checked then).
    std::int64_t start = current_ < 0 ? 0 : current_;
    for (std::uint32_t i = 0; i < kSlots; ++i) {
        std::uint32_t slot = static_cast<std::uint32_t>(start + i) & (kSlots - 1);
        if (heads_[slot] != kNone) return (start + i) << kTickShift;
    }
    return std::numeric_limits<proto::Nanos>::max();
}

}  // namespace rackboot::dataplane
