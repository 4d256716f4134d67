#include "rackbootd/neighbour_room.h"

#include <fstream>

namespace rackboot::control {

std::uint64_t kernel_neighbour_limit() {
    std::ifstream in("/proc/sys/net/ipv4/neigh/default/gc_thresh3");
    std::uint64_t limit = 0;
    if (!(in >> limit)) return 0;
    return limit;
}

std::string neighbour_room_warning(std::uint64_t clients, std::uint64_t limit) {
    if (limit == 0 || clients <= limit) return {};
    return "the kernel's neighbour table holds " + std::to_string(limit) +
           " entries for the whole host (net.ipv4.neigh.default.gc_thresh3), fewer than the " +
           std::to_string(clients) +
           " addresses of --pool: past that many Pis the kernel drops what it sends them and their transfers "
           "time out; raise gc_thresh1/2/3 (deploy/99-rackboot.conf) or use --backend dpdk";
}

}  // namespace rackboot::control
