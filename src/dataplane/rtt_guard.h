// The retransmit timeout's floor a worker learns from its path (issue 19, DESIGN.md "Loss
// recovery"): twice the longest round trip any of its transfers measured in the last 10 s. A lost
// DATA then costs a few round trips of this path, not a fixed 50 ms, while an ACK late by the
// path's own jitter (a queue filling, a client descheduled) is waited for rather than answered
// with a duplicate, which a Pi 4's start4.elf may hang on (firmware#1631). Fixed memory; the
// caller's clock.
#pragma once

#include <array>
#include <cstdint>

#include "proto/clock.h"

namespace rackboot::dataplane {

class RttGuard {
public:
    static constexpr int kSeconds = 10;

    // A round trip measured at `now`.
    void add(proto::Nanos rtt, proto::Nanos now) noexcept { raise(2 * rtt, now); }
    // Forgets the seconds older than the window (call at least once a second).
    void advance(proto::Nanos now) noexcept;
    // Twice the longest round trip of the last 10 s (0: none measured).
    [[nodiscard]] proto::Nanos floor() const noexcept { return floor_; }
    // Where the transfers read the floor (stable for the guard's life).
    [[nodiscard]] const proto::Nanos* floor_ptr() const noexcept { return &floor_; }

private:
    void raise(proto::Nanos floor, proto::Nanos now) noexcept;
    void update() noexcept;

    std::array<proto::Nanos, kSeconds> longest_{};  // the floor each second asked for, ring
    std::int64_t second_ = -1;                      // the second longest_[second_ % kSeconds] is
    proto::Nanos floor_ = 0;
};

}  // namespace rackboot::dataplane
