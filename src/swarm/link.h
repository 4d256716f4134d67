// One direction of the link between the fleet and the server (issue 19): a switch port of a given
// rate with a queue of a given size and tail drop. A frame joins the queue if it fits (its wire
// size: the frame, FCS, preamble and inter-frame gap, at least 84 bytes) and leaves when the port
// has serialised it; a frame that does not fit is dropped, as a switch drops what its buffer cannot
// hold. So a benchmark can put the bound on the link instead of the host's CPU. Fixed memory; the
// caller's clock.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/byte_cursor.h"
#include "proto/clock.h"

namespace rackboot::swarm {

struct LinkStats {
    std::uint64_t frames = 0;      // frames that went through
    std::uint64_t wire_bytes = 0;  // their wire bytes
    std::uint64_t dropped = 0;     // frames the full queue dropped
    std::uint64_t max_queue = 0;   // the most wire bytes queued at once (the one arriving included)
};

class Link {
public:
    static constexpr std::size_t kWireOverhead = 24;  // FCS 4, preamble 8, inter-frame gap 12
    static constexpr std::size_t kMinWire = 84;
    static constexpr std::size_t kFrameMax = 2048;

    // `bits_per_s` 0: no link (frames pass at once).
    Link(std::uint64_t bits_per_s, std::uint64_t buffer_bytes);

    [[nodiscard]] bool enabled() const noexcept { return bits_per_s_ > 0; }
    // Queues `frame` arriving at `now`; false (and counted) when the queue has no room for it.
    bool offer(proto::ConstBytes frame, proto::Nanos now);
    // Calls f(frame) for every frame serialised by `now`, in order.
    template <typename F>
    void release(proto::Nanos now, F&& f) {
        while (count_ > 0 && slots_[head_].leaves <= now) {
            Slot& s = slots_[head_];
            head_ = (head_ + 1) % slots_.size();
            --count_;
            ++stats_.frames;
            stats_.wire_bytes += s.wire;
            f(proto::ConstBytes(s.bytes.data(), s.len));
        }
    }
    // When the next frame leaves; 0: none queued.
    [[nodiscard]] proto::Nanos next_release() const noexcept { return count_ > 0 ? slots_[head_].leaves : 0; }
    [[nodiscard]] const LinkStats& stats() const noexcept { return stats_; }
    [[nodiscard]] std::uint64_t bits_per_s() const noexcept { return bits_per_s_; }
    [[nodiscard]] std::uint64_t buffer_bytes() const noexcept { return buffer_; }

private:
    struct Slot {
        proto::Nanos leaves = 0;
        std::uint32_t len = 0;
        std::uint32_t wire = 0;
        std::vector<std::uint8_t> bytes;
    };
    std::uint64_t bits_per_s_;
    std::uint64_t buffer_;
    std::vector<Slot> slots_;
    std::size_t head_ = 0, count_ = 0;
    proto::Nanos free_at_ = 0;  // when the port has serialised everything queued
    LinkStats stats_;
};

}  // namespace rackboot::swarm
