#include "dataplane/dpdk/port/dpdk_port.h"

#include <rte_ethdev.h>

namespace rackboot::dataplane {

// The port to serve: the one named, or the only one the EAL found. With several and none named,
// refuse rather than guess (a NIC bound to DPDK with two ports, or a stray --vdev).
proto::Result<std::uint16_t> find_port(const std::string& wanted) {
    std::uint16_t port = 0;
    std::string found;
    unsigned count = 0;
    for (std::uint16_t id = rte_eth_find_next(0); id < RTE_MAX_ETHPORTS;
         id = rte_eth_find_next(static_cast<std::uint16_t>(id + 1))) {
        char name[RTE_ETH_NAME_MAX_LEN] = {};
        rte_eth_dev_get_name_by_port(id, name);
        found += (count++ == 0 ? "" : ", ") + std::string(name);
        if (count == 1 || wanted == name) port = id;  // the first, unless this is the one named
        if (!wanted.empty() && wanted == name) return port;
    }
    if (count == 0) {
        return proto::failure(
            "--backend dpdk: no DPDK port; name one in --eal (for example --vdev=net_af_packet0,iface=eth1)");
    }
    if (!wanted.empty()) {
        return proto::failure("--port " + wanted + ": no such DPDK port (the EAL found " + found + ")");
    }
    if (count > 1) {
        return proto::failure("--backend dpdk: the EAL found " + std::to_string(count) + " ports (" + found +
                              "); choose the one to serve with --port NAME");
    }
    return port;
}

}  // namespace rackboot::dataplane
