#include "dataplane/dpdk/dpdk_backend.h"

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "dataplane/cpu_affinity.h"
#include "dataplane/dpdk/port/dpdk_eal.h"
#include "dataplane/dpdk/port/dpdk_port.h"

namespace rackboot::dataplane {

namespace {

constexpr std::uint16_t kRxDesc = 1024;
constexpr std::uint16_t kTxDesc = 1024;
constexpr unsigned kPoolCache = 256;
constexpr std::uint32_t kHandoffSlots = 512;
constexpr std::uint32_t kFirstTid = 1024;

}  // namespace

std::unique_ptr<DpdkBackend> DpdkBackend::create(const BackendCommon& cfg, const DpdkOptions& opts,
                                                 std::string& error) {
    if (!DpdkEal::init(opts.eal, error)) return nullptr;
    std::unique_ptr<DpdkBackend> b(new DpdkBackend());
    std::string features;  // what the port does for us, as key=value words for the start line
    std::string steering;  // single-queue, rss-ipv4 or software-client-address
    std::uint16_t port = 0;
    if (!find_port(opts.port, port, error)) return nullptr;
    b->port_ = port;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0) {
        error = "--backend dpdk: cannot read port " + std::to_string(port) + "'s capabilities";
        return nullptr;
    }
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(port, name);
    b->port_name_ = name;
    std::uint32_t workers = std::max<std::uint32_t>(1, cfg.workers);
    if (workers > info.max_tx_queues) {
        error = "--workers " + std::to_string(workers) + ": each worker needs a TX queue and port " + b->port_name_ +
                " has " + std::to_string(info.max_tx_queues) + " (net_af_packet: add qpairs=N to the vdev)";
        return nullptr;
    }
    int socket = rte_eth_dev_socket_id(port);
    if (socket < 0) socket = static_cast<int>(SOCKET_ID_ANY);

    // Every descriptor of every queue, each worker's TX batch, and the per-core caches.
    unsigned mbufs = workers * (kRxDesc + kTxDesc + 2 * 64 + kPoolCache) + 1024;
    // Frames waiting in hand-off rings: room for two full rings per worker (all of them full at
    // once would take workers² rings' worth; a short pool only drops at RX, counted).
    if (workers > 1) mbufs += workers * 2 * kHandoffSlots;
    b->pool_ = rte_pktmbuf_pool_create(("rb_pool_" + std::to_string(port)).c_str(), mbufs, kPoolCache, 0,
                                       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (b->pool_ == nullptr) {
        error = "--backend dpdk: cannot create a pool of " + std::to_string(mbufs) +
                " mbufs (raise the EAL's -m or add hugepages): " + rte_strerror(rte_errno);
        return nullptr;
    }

    rte_eth_conf conf{};
    // Chained mbufs carry DATA zero-copy; the UDP checksum goes to the port where it offers it
    // (software otherwise, with remembered payload sums).
    // Zero copy also needs IOVA as VA: with physical addresses the arena's pages are scattered.
    const bool chain =
        (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0 && rte_eal_iova_mode() == RTE_IOVA_VA;
    const bool csum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
    conf.txmode.offloads = (chain ? RTE_ETH_TX_OFFLOAD_MULTI_SEGS : 0) | (csum ? RTE_ETH_TX_OFFLOAD_UDP_CKSUM : 0);
    features = std::string("tx_checksum=") + (csum ? "port" : "software") +
               " tx_payload=" + (chain ? "zero_copy" : "copied") +
               " iova=" + (rte_eal_iova_mode() == RTE_IOVA_VA ? "va" : "pa");
    // RSS on the IPv4 address pair keeps a Pi's RRQ and ACKs on one worker (DESIGN.md). Without
    // it, each worker polls the RX queue it has (if any) and passes every frame to the worker
    // that owns its source address, over SPSC rings. DHCP is always handed to worker 0, the lease
    // table's one writer, wherever RSS put it.
    std::uint64_t rss = info.flow_type_rss_offloads & RTE_ETH_RSS_IPV4;
    const bool rss_spread = workers > 1 && rss != 0;
    const std::uint32_t rx_queues =
        rss_spread ? workers : std::min<std::uint32_t>(workers, std::max<std::uint16_t>(1, info.max_rx_queues));
    const bool steer = workers > 1 && !rss_spread;
    if (rss_spread) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = rss;
    }
    if (steer || (workers > 1 && cfg.dhcp)) {
        b->handoff_ = HandoffRings::create(workers, kHandoffSlots, error);
        if (!b->handoff_) return nullptr;
    }
    steering = workers == 1 ? "single-queue" : rss_spread ? "rss-ipv4" : "software-client-address";
    features += " rx_queues=" + std::to_string(rx_queues);
    if (int rc = rte_eth_dev_configure(port, static_cast<std::uint16_t>(rx_queues), static_cast<std::uint16_t>(workers),
                                       &conf);
        rc != 0) {
        error = "--backend dpdk: configuring " + b->port_name_ + " failed: " + rte_strerror(-rc);
        return nullptr;
    }
    for (std::uint32_t i = 0; i < workers; ++i) {
        auto q = static_cast<std::uint16_t>(i);
        if ((i < rx_queues &&
             rte_eth_rx_queue_setup(port, q, kRxDesc, static_cast<unsigned>(socket), nullptr, b->pool_) != 0) ||
            rte_eth_tx_queue_setup(port, q, kTxDesc, static_cast<unsigned>(socket), nullptr) != 0) {
            error = "--backend dpdk: setting up queue " + std::to_string(q) + " of " + b->port_name_ + " failed";
            return nullptr;
        }
    }
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port, &mac);
    std::memcpy(b->mac_.data(), mac.addr_bytes, 6);

    std::uint32_t mask = opts.prefix == 0 ? 0 : ~((1u << (32 - opts.prefix)) - 1);
    // Each worker answers from its own range of UDP ports (a TID per transfer slot).
    const std::uint32_t tid_room = (65536 - kFirstTid) / workers;
    for (std::uint32_t i = 0; i < workers; ++i) {
        DpdkWorkerConfig wc;
        wc.port_id = port;
        wc.queue_id = static_cast<std::uint16_t>(i);
        wc.has_rx_queue = i < rx_queues;
        wc.handoff = b->handoff_.get();
        wc.worker_index = i;
        wc.steer_by_address = steer;
        wc.dhcp_worker = cfg.dhcp ? 0 : -1;
        wc.dhcp_port = cfg.dhcp_port;
        wc.local = proto::LocalAddress{b->mac_, opts.ip};
        wc.subnet_broadcast = mask == 0 ? proto::Ipv4() : proto::Ipv4((opts.ip.value() & mask) | ~mask);
        wc.subnet_mask = mask;
        wc.gateway_ip = opts.gateway;
        wc.gateway_mac = &b->gateway_mac_;
        wc.tftp = tftp_service_config(cfg, i, b->active_, tid_room);
        wc.tid_base = static_cast<std::uint16_t>(kFirstTid + i * wc.tftp.max_transfers);
        wc.pool = b->pool_;
        wc.tx_checksum_offload = csum;
        wc.tx_chain = chain;
        // Room for the blocks a rack is fetching at once (a few images), small enough to stay in
        // the core's cache (16 bytes each): 1 per 4 KiB of this worker's block cache, 4 Ki..64 Ki.
        wc.payload_sum_entries = std::clamp<std::size_t>(cfg.cache_bytes / workers / 4096, 4096, 65536);
        auto w = DpdkWorker::create(wc, error);
        if (!w) return nullptr;
        b->workers_.push_back(std::move(w));
    }
    if (const DmaRegion* dma = b->workers_[0]->cache_dma(); dma != nullptr) {
        features += std::string(" cache_dma=") + (dma->mapped() ? "mapped" : "registered");
    }
    if (cfg.dhcp && !b->workers_[0]->attach_dhcp(*cfg.dhcp, cfg.dhcp_port, error)) return nullptr;
    if (int rc = rte_eth_dev_start(port); rc != 0) {
        error = "--backend dpdk: starting " + b->port_name_ + " failed: " + rte_strerror(-rc);
        return nullptr;
    }
    b->port_started_ = true;
    // Workers on the port's NUMA node, next to its memory (the pool is there too).
    std::vector<int> cpus =
        cfg.cpus.empty() ? pick_worker_cpus(static_cast<int>(workers), rte_eth_dev_socket_id(port)) : cfg.cpus;
    for (auto& w : b->workers_) w->announce();  // gratuitous ARP: peers learn our MAC now
    char mac_text[18];
    std::snprintf(mac_text, sizeof mac_text, "%02x:%02x:%02x:%02x:%02x:%02x", b->mac_[0], b->mac_[1], b->mac_[2],
                  b->mac_[3], b->mac_[4], b->mac_[5]);
    b->info_ = BackendInfo{opts.ip.to_string(), 69, "dpdk port=" + b->port_name_ + " mac=" + mac_text + " " + features,
                           steering, std::move(cpus)};
    return b;
}

void DpdkBackend::start() {
    // Each worker thread is registered with DPDK: an lcore id, so the mempool's per-core cache works.
    threads_.start(
        workers_.size(), info_.cpus, [this](std::size_t i, const std::atomic<bool>& stop) { workers_[i]->run(stop); },
        [] { rte_thread_register(); }, [] { rte_thread_unregister(); });
}

DpdkBackend::~DpdkBackend() {
    stop_workers();
    // Stop the port first: mbufs still queued point into the workers' caches, and freeing them
    // calls back into the workers.
    if (port_started_) {
        rte_eth_dev_stop(port_);
        rte_eth_dev_close(port_);
    }
    workers_.clear();
    handoff_.reset();  // its rings may still hold mbufs of the pool
    if (pool_ != nullptr) rte_mempool_free(pool_);
    DpdkEal::cleanup();
}

}  // namespace rackboot::dataplane
