// What the DHCP service reports about each request it handled, for the control plane's log,
// learner and timelines (an event on the worker's ring: worker_event.h).
#pragma once

#include <cstdint>
#include <optional>

#include "proto/dhcp_codec.h"
#include "proto/dhcp_responder.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::dataplane {

struct DhcpRecord {
    proto::Mac mac{};
    std::uint32_t xid = 0;
    std::optional<proto::Serial> serial;  // option 97's, from a Pi 4/5
    bool is_pi = false;
    std::uint8_t model = 0;  // 4 or 5 from option 97, 0 unknown
    proto::DhcpMessageType type{};
    proto::DhcpVerdict verdict = proto::DhcpVerdict::malformed;
    proto::Ipv4 yiaddr;  // unset in proxy mode, and when nothing was offered
    proto::Ipv4 via;     // relay giaddr, unset when direct
    std::uint32_t ifindex = 0;
};

}  // namespace rackboot::dataplane
