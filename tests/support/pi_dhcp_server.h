// A full DHCP server from the proto layer for the fake Pi's tests: 10.0.0.0/24, the pool
// .100-.199, the server at `server` (host order).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "proto/dhcp_server.h"

namespace rackboot::test {

inline std::unique_ptr<proto::DhcpServer> small_dhcp_server(std::uint32_t server) {
    proto::LeaseConfig lc;
    lc.subnet = proto::Ipv4(0x0a000000);
    lc.prefix = 24;
    lc.pool_start = proto::Ipv4(0x0a000064);
    lc.pool_end = proto::Ipv4(0x0a0000c7);
    lc.server_ip = proto::Ipv4(server);
    auto table = proto::LeaseTable::create(lc);
    if (!table) return nullptr;
    proto::DhcpServerConfig sc;
    sc.server_ip = proto::Ipv4(server);
    return std::make_unique<proto::DhcpServer>(sc, std::move(*table));
}

}  // namespace rackboot::test
