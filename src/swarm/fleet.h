// The synthetic fleet's identities: each Pi's model (interleaved by the --mix weights), its MAC
// (the model's Raspberry Pi OUI, the low three bytes its index + 1 + --mac-offset, so a frame's MAC
// names its Pi at once, and two swarms on one server need not share MACs), and a serial that is unique in the fleet and
// looks like a real one.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "proto/net_frames.h"
#include "proto/pi_dhcp_client.h"

namespace rackboot::swarm {

// count + mac_offset must be below 2^24.
[[nodiscard]] std::vector<proto::FakePi> make_fleet(unsigned count, const unsigned (&mix)[3], std::uint64_t seed,
                                                    std::uint32_t mac_offset);
// The index of the Pi that owns `mac`, if it is one of the fleet's; `mac_of(i)` gives Pi i's MAC.
template <typename MacOf>
[[nodiscard]] std::optional<std::uint32_t> pi_of_mac(const proto::Mac& mac, std::size_t count, std::uint32_t mac_offset,
                                                     MacOf mac_of) noexcept {
    std::uint32_t id = (std::uint32_t{mac[3]} << 16) | (std::uint32_t{mac[4]} << 8) | mac[5];
    if (id <= mac_offset || id - mac_offset > count || mac_of(id - mac_offset - 1) != mac) return std::nullopt;
    return id - mac_offset - 1;
}

}  // namespace rackboot::swarm
