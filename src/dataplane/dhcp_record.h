// What the DHCP service reports about each request it handled, for the control plane's log.
#pragma once

#include <array>
#include <cstdint>

#include "proto/ipv4.h"
#include "proto/mac.h"

namespace rackboot::dataplane {

struct DhcpRecord {
    proto::Mac mac{};
    std::uint32_t xid = 0;
    std::uint32_t serial = 0;
    bool has_serial = false;
    bool is_pi = false;
    std::uint8_t model = 0;
    std::uint8_t type = 0;     // proto::DhcpMessageType
    std::uint8_t verdict = 0;  // proto::DhcpVerdict
    proto::Ipv4 yiaddr;        // unset in proxy mode
    proto::Ipv4 via;           // relay giaddr, unset when direct
    std::uint32_t ifindex = 0;
};

}  // namespace rackboot::dataplane
