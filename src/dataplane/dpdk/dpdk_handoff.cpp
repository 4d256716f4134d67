#include "dataplane/dpdk/dpdk_handoff.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

namespace rackboot::dataplane {

proto::Result<std::unique_ptr<HandoffRings>> HandoffRings::create(std::uint32_t workers, std::uint32_t slots) {
    std::unique_ptr<HandoffRings> h(new HandoffRings());
    h->workers_ = workers;
    h->rings_.assign(static_cast<std::size_t>(workers) * workers, nullptr);
    static unsigned instance = 0;  // ring names are global to the EAL
    ++instance;
    for (std::uint32_t from = 0; from < workers; ++from) {
        for (std::uint32_t to = 0; to < workers; ++to) {
            if (from == to) continue;
            std::string name = "rb_ho" + std::to_string(getpid() % 100000) + "_" + std::to_string(instance) + "_" +
                               std::to_string(from) + "_" + std::to_string(to);
            rte_ring* r = rte_ring_create(name.c_str(), slots, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (r == nullptr) {
                return proto::failure("cannot create the hand-off ring " + name + ": " + rte_strerror(rte_errno));
            }
            h->rings_[static_cast<std::size_t>(from) * workers + to] = r;
        }
    }
    return h;
}

HandoffRings::~HandoffRings() {
    for (rte_ring* r : rings_) {
        if (r == nullptr) continue;
        void* m = nullptr;
        while (rte_ring_sc_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
}

}  // namespace rackboot::dataplane
