#include "swarm/dpdk/peer_port.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>

#include "dataplane/dpdk/port/dpdk_port.h"

namespace rackboot::swarm {

proto::Result<PeerPort> open_peer_port(const PeerPortSpec& spec) {
    proto::Result<std::uint16_t> id = dataplane::find_port(spec.name);
    if (!id) return tl::unexpected(id.error());
    PeerPort out;
    out.id = *id;
    out.pool =
        rte_pktmbuf_pool_create(spec.pool_name, spec.pool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (out.pool == nullptr) {
        return proto::failure("no memory for the mbuf pool (raise -m in --eal)");
    }
    rte_eth_conf conf{};
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(out.id, &info);
    auto ring = [&](std::uint16_t max) { return std::min<std::uint16_t>(spec.ring, max == 0 ? spec.ring : max); };
    if (rte_eth_dev_configure(out.id, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(out.id, 0, ring(info.rx_desc_lim.nb_max), SOCKET_ID_ANY, nullptr, out.pool) != 0 ||
        rte_eth_tx_queue_setup(out.id, 0, ring(info.tx_desc_lim.nb_max), SOCKET_ID_ANY, nullptr) != 0 ||
        rte_eth_dev_start(out.id) != 0) {
        return proto::failure("the DPDK port could not be configured and started");
    }
    if (spec.promiscuous) rte_eth_promiscuous_enable(out.id);
    auto polls = static_cast<int>(spec.link_timeout_s * 100);  // every 10 ms
    for (int i = 0; i <= polls; ++i) {
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(out.id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) return out;
        usleep(10'000);
    }
    return proto::failure("the port's link did not come up (is the server's side of the memif or veth there?)");
}

void close_peer_port(const PeerPort& port) {
    rte_eth_dev_stop(port.id);
    rte_eth_dev_close(port.id);
}

std::uint16_t send_burst(std::uint16_t port, rte_mbuf** frames, std::uint16_t count, int tries) {
    std::uint16_t sent = 0;
    for (int t = 0; sent < count && t < tries; ++t) {
        sent = static_cast<std::uint16_t>(sent + rte_eth_tx_burst(port, 0, frames + sent, count - sent));
    }
    for (std::uint16_t i = sent; i < count; ++i) rte_pktmbuf_free(frames[i]);
    return static_cast<std::uint16_t>(count - sent);
}

}  // namespace rackboot::swarm
