// Frames a DPDK worker sent, taken off a net_ring TX ring: each mbuf chain flattened into bytes,
// shown to `on_frame(mbuf, bytes)` while the mbuf is still held, then freed.
#pragma once

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rackboot::test {

// A started net_ring port over two new rings (`rx` what the port receives, `tx` what it sends),
// one queue each way, mbufs from `pool`. Returns the port, or -1 when any step failed.
inline int start_ring_port(const std::string& tag, rte_mempool* pool, rte_ring*& rx, rte_ring*& tx) {
    rx = rte_ring_create(("rx" + tag).c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx = rte_ring_create(("tx" + tag).c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (rx == nullptr || tx == nullptr) return -1;
    int port = rte_eth_from_rings(tag.c_str(), &rx, 1, &tx, 1, SOCKET_ID_ANY);
    if (port < 0) return -1;
    auto id = static_cast<std::uint16_t>(port);
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(id, 0, 512, SOCKET_ID_ANY, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(id, 0, 512, SOCKET_ID_ANY, nullptr) != 0 || rte_eth_dev_start(id) != 0) {
        return -1;
    }
    return port;
}

template <typename OnFrame>
void drain_ring(rte_ring* r, OnFrame&& on_frame) {
    void* objs[64];
    unsigned n = 0;
    while ((n = rte_ring_dequeue_burst(r, objs, 64, nullptr)) > 0) {
        for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            std::vector<std::uint8_t> frame;
            for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
                auto* p = rte_pktmbuf_mtod(seg, std::uint8_t*);
                frame.insert(frame.end(), p, p + seg->data_len);
            }
            on_frame(m, frame);
            rte_pktmbuf_free(m);
        }
    }
}

}  // namespace rackboot::test
