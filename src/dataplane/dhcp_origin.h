// Where a DHCP request came from, so its reply can go back the same way.
#pragma once

#include "proto/net_frames.h"

namespace rackboot::dataplane {

struct DhcpOrigin {
    proto::Ipv4 local_ip;   // our address on the receiving interface
    int ifindex = 0;        // socket backend: the receiving interface
    proto::Mac peer_mac{};  // DPDK backend: the sender's Ethernet address
};

}  // namespace rackboot::dataplane
