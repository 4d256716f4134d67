#include "swarm/link.h"

#include <algorithm>
#include <cstring>

namespace rackboot::swarm {

Link::Link(std::uint64_t bits_per_s, std::uint64_t buffer_bytes) : bits_per_s_(bits_per_s), buffer_(buffer_bytes) {
    if (bits_per_s_ == 0) return;
    // Room for as many of the smallest frames as the buffer holds (and one more).
    slots_.resize(buffer_ / kMinWire + 2);
    for (Slot& s : slots_) s.bytes.resize(kFrameMax);
}

bool Link::offer(proto::ConstBytes frame, proto::Nanos now) {
    if (frame.size() > kFrameMax) {
        ++stats_.dropped;
        return false;
    }
    auto wire = static_cast<std::uint32_t>(std::max(kMinWire, frame.size() + kWireOverhead));
    // The port serialises at a constant rate, first in first out: what it has still to send is
    // the time until it is free, in bytes.
    std::uint64_t backlog = 0;
    if (free_at_ > now) {
        backlog = static_cast<std::uint64_t>(static_cast<long double>(free_at_ - now) *
                                             static_cast<long double>(bits_per_s_) / 8 / proto::kSecond);
    }
    if (backlog + wire > buffer_ || count_ == slots_.size()) {
        ++stats_.dropped;
        return false;
    }
    proto::Nanos start = std::max(now, free_at_);
    auto serialise = static_cast<proto::Nanos>(static_cast<long double>(wire) * 8 * proto::kSecond /
                                               static_cast<long double>(bits_per_s_));
    free_at_ = start + serialise;
    Slot& s = slots_[(head_ + count_) % slots_.size()];
    s.leaves = free_at_;
    s.len = static_cast<std::uint32_t>(frame.size());
    s.wire = wire;
    std::memcpy(s.bytes.data(), frame.data(), frame.size());
    ++count_;
    stats_.max_queue = std::max(stats_.max_queue, backlog + wire);
    return true;
}

}  // namespace rackboot::swarm
