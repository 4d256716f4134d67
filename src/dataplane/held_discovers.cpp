#include "dataplane/held_discovers.h"

#include <algorithm>
#include <cstring>

namespace rackboot::dataplane {

HeldDiscovers::HeldDiscovers(std::uint32_t capacity)
    : slots_(std::max<std::uint32_t>(1, capacity)), index_(std::max<std::uint32_t>(1, capacity)) {
    free_.reserve(slots_.size());
    for (std::size_t i = slots_.size(); i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
}

void HeldDiscovers::drop(std::uint32_t slot) noexcept {
    index_.erase_if(slots_[slot].mac, slot);
    free_.push_back(slot);
}

std::uint32_t HeldDiscovers::sweep(proto::Nanos now) noexcept {
    std::uint32_t dropped = 0;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        HeldDiscover& h = slots_[i];
        if (index_.find(h.mac) != i || now - h.at < kListening) continue;
        drop(i);
        ++dropped;
    }
    return dropped;
}

bool HeldDiscovers::keep(std::uint64_t mac, proto::ConstBytes datagram, const DhcpOrigin& origin,
                         proto::Nanos now) noexcept {
    std::uint32_t slot = index_.find(mac);
    if (datagram.size() > HeldDiscover{}.bytes.size()) {
        if (slot != proto::FlatIndex::kNone) drop(slot);  // the older one is answered no more either
        return false;
    }
    if (slot == proto::FlatIndex::kNone) {
        // Full: of stale ones, most likely (a Pi resends within seconds); a sweep costs a pass
        // over the slots, and only a full store pays it.
        if (free_.empty() && sweep(now) == 0) return false;
        slot = free_.back();
        free_.pop_back();
        index_.put(mac, slot);
    }
    HeldDiscover& h = slots_[slot];
    h.mac = mac;
    h.at = now;
    h.origin = origin;
    h.length = static_cast<std::uint16_t>(datagram.size());
    std::memcpy(h.bytes.data(), datagram.data(), datagram.size());
    return true;
}

bool HeldDiscovers::take(std::uint64_t mac, proto::Nanos now, HeldDiscover& out) noexcept {
    std::uint32_t slot = index_.find(mac);
    if (slot == proto::FlatIndex::kNone) return false;
    const HeldDiscover& h = slots_[slot];
    bool listening = now - h.at < kListening;
    if (listening) {
        out.mac = h.mac;
        out.at = h.at;
        out.origin = h.origin;
        out.length = h.length;
        std::memcpy(out.bytes.data(), h.bytes.data(), h.length);
    }
    drop(slot);
    return listening;
}

void HeldDiscovers::forget(std::uint64_t mac) noexcept {
    std::uint32_t slot = index_.find(mac);
    if (slot != proto::FlatIndex::kNone) drop(slot);
}

}  // namespace rackboot::dataplane
