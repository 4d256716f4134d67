// Whether the kernel can hold a neighbour (ARP) entry for every client the socket backend will
// serve. The kernel's table is one for the whole host (every network namespace), 1,024 entries
// by default (net.ipv4.neigh.default.gc_thresh3); past it "neighbor table overflow" and the
// kernel drops what it sends to the clients it cannot hold, so their TFTP transfers time out
// (bench/rack_poweron.sh at 2,000 Pis). The DPDK backend keeps its own table and needs none.
#pragma once

#include <cstdint>
#include <string>

namespace rackboot::control {

// The table's hard limit, read from /proc (0 when it cannot be read).
[[nodiscard]] std::uint64_t kernel_neighbour_limit();

// A warning naming the limit, the clients and the fix when `clients` (the DHCP pool's
// addresses) exceed `limit`; empty when they fit or the limit is unknown (0).
[[nodiscard]] std::string neighbour_room_warning(std::uint64_t clients, std::uint64_t limit);

}  // namespace rackboot::control
