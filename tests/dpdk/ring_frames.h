// Frames a DPDK worker sent, taken off a net_ring TX ring: each mbuf chain flattened into bytes,
// shown to `on_frame(mbuf, bytes)` while the mbuf is still held, then freed.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <vector>

namespace rackboot::test {

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
