// What the DHCP service reports about each request it handled, for the control plane's log.
#pragma once

#include <array>
#include <cstdint>

namespace rackboot::dataplane {

struct DhcpRecord {
    std::array<std::uint8_t, 6> mac{};
    std::uint32_t xid = 0;
    std::uint32_t serial = 0;
    bool has_serial = false;
    bool is_pi = false;
    std::uint8_t model = 0;
    std::uint8_t type = 0;     // proto::DhcpMessageType
    std::uint8_t verdict = 0;  // proto::DhcpVerdict
    std::uint32_t yiaddr = 0;  // host order; 0 in proxy mode
    std::uint32_t via = 0;     // relay giaddr, host order, 0 when direct
    std::uint32_t ifindex = 0;
};

}  // namespace rackboot::dataplane
