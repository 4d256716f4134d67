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

proto::Result<std::unique_ptr<DpdkBackend>> DpdkBackend::create(const BackendCommon& cfg, const DpdkOptions& opts) {
    if (proto::Result<> ok = DpdkEal::init(opts.eal); !ok) return tl::unexpected(ok.error());
    std::unique_ptr<DpdkBackend> b(new DpdkBackend());
    std::uint32_t workers = std::max<std::uint32_t>(1, cfg.workers);
    rte_eth_dev_info info{};
    PortPlan plan;
    if (proto::Result<> ok = b->open_port(opts, workers, info); !ok) return tl::unexpected(ok.error());
    int socket = rte_eth_dev_socket_id(b->port_);
    if (socket < 0) socket = static_cast<int>(SOCKET_ID_ANY);
    proto::Result<> ok = b->create_pool(workers, socket)
                             .and_then([&] { return b->configure_port(cfg, workers, info, socket, plan); })
                             .and_then([&] { return b->create_workers(cfg, opts, workers, plan); })
                             .and_then([&] { return b->start_port(cfg, opts, workers, plan); });
    if (!ok) return tl::unexpected(ok.error());
    return b;
}

// The port the operator named (or the only one), with its capabilities: a TX queue per worker.
proto::Result<> DpdkBackend::open_port(const DpdkOptions& opts, std::uint32_t workers, rte_eth_dev_info& info) {
    proto::Result<std::uint16_t> port = find_port(opts.port);
    if (!port) return tl::unexpected(port.error());
    port_ = *port;
    if (rte_eth_dev_info_get(port_, &info) != 0) {
        return proto::failure("--backend dpdk: cannot read port " + std::to_string(port_) + "'s capabilities");
    }
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(port_, name);
    port_name_ = name;
    if (workers > info.max_tx_queues) {
        return proto::failure("--workers " + std::to_string(workers) + ": each worker needs a TX queue and port " +
                              port_name_ + " has " + std::to_string(info.max_tx_queues) +
                              " (net_af_packet: add qpairs=N to the vdev)");
    }
    return {};
}

// Every descriptor of every queue, each worker's TX batch, and the per-core caches.
proto::Result<> DpdkBackend::create_pool(std::uint32_t workers, int socket) {
    unsigned mbufs = workers * (kRxDesc + kTxDesc + 2 * 64 + kPoolCache) + 1024;
    // Frames waiting in hand-off rings: room for two full rings per worker (all of them full at
    // once would take workers² rings' worth; a short pool only drops at RX, counted).
    if (workers > 1) mbufs += workers * 2 * kHandoffSlots;
    pool_ = rte_pktmbuf_pool_create(("rb_pool_" + std::to_string(port_)).c_str(), mbufs, kPoolCache, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool_ == nullptr) {
        return proto::failure("--backend dpdk: cannot create a pool of " + std::to_string(mbufs) +
                              " mbufs (raise the EAL's -m or add hugepages): " + rte_strerror(rte_errno));
    }
    return {};
}

// Offloads, RX spreading and the queues.
proto::Result<> DpdkBackend::configure_port(const BackendCommon& cfg, std::uint32_t workers,
                                            const rte_eth_dev_info& info, int socket, PortPlan& plan) {
    rte_eth_conf conf{};
    // Chained mbufs carry DATA zero-copy; the UDP checksum goes to the port where it offers it
    // (software otherwise, with remembered payload sums).
    // Zero copy also needs IOVA as VA: with physical addresses the arena's pages are scattered.
    plan.chain = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0 && rte_eal_iova_mode() == RTE_IOVA_VA;
    plan.csum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
    conf.txmode.offloads =
        (plan.chain ? RTE_ETH_TX_OFFLOAD_MULTI_SEGS : 0) | (plan.csum ? RTE_ETH_TX_OFFLOAD_UDP_CKSUM : 0);
    plan.features = std::string("tx_checksum=") + (plan.csum ? "port" : "software") +
                    " tx_payload=" + (plan.chain ? "zero_copy" : "copied") +
                    " iova=" + (rte_eal_iova_mode() == RTE_IOVA_VA ? "va" : "pa");
    // RSS on the IPv4 address pair keeps a Pi's RRQ and ACKs on one worker (DESIGN.md). Without
    // it, each worker polls the RX queue it has (if any) and passes every frame to the worker
    // that owns its source address, over SPSC rings. DHCP is always handed to worker 0, the lease
    // table's one writer, wherever RSS put it.
    std::uint64_t rss = info.flow_type_rss_offloads & RTE_ETH_RSS_IPV4;
    const bool rss_spread = workers > 1 && rss != 0;
    plan.rx_queues =
        rss_spread ? workers : std::min<std::uint32_t>(workers, std::max<std::uint16_t>(1, info.max_rx_queues));
    plan.steer = workers > 1 && !rss_spread;
    if (rss_spread) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = rss;
    }
    if (plan.steer || (workers > 1 && cfg.dhcp)) {
        auto handoff = HandoffRings::create(workers, kHandoffSlots);
        if (!handoff) return tl::unexpected(handoff.error());
        handoff_ = std::move(*handoff);
    }
    plan.steering = workers == 1 ? "single-queue" : rss_spread ? "rss-ipv4" : "software-client-address";
    plan.features += " rx_queues=" + std::to_string(plan.rx_queues);
    if (int rc = rte_eth_dev_configure(port_, static_cast<std::uint16_t>(plan.rx_queues),
                                       static_cast<std::uint16_t>(workers), &conf);
        rc != 0) {
        return proto::failure("--backend dpdk: configuring " + port_name_ + " failed: " + rte_strerror(-rc));
    }
    for (std::uint32_t i = 0; i < workers; ++i) {
        auto q = static_cast<std::uint16_t>(i);
        if ((i < plan.rx_queues &&
             rte_eth_rx_queue_setup(port_, q, kRxDesc, static_cast<unsigned>(socket), nullptr, pool_) != 0) ||
            rte_eth_tx_queue_setup(port_, q, kTxDesc, static_cast<unsigned>(socket), nullptr) != 0) {
            return proto::failure("--backend dpdk: setting up queue " + std::to_string(q) + " of " + port_name_ +
                                  " failed");
        }
    }
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port_, &mac);
    std::memcpy(mac_.data(), mac.addr_bytes, 6);
    return {};
}

// A worker per queue, each answering from its own range of UDP ports (a TID per transfer slot).
proto::Result<> DpdkBackend::create_workers(const BackendCommon& cfg, const DpdkOptions& opts, std::uint32_t workers,
                                            const PortPlan& plan) {
    std::uint32_t mask = opts.prefix == 0 ? 0 : ~((1u << (32 - opts.prefix)) - 1);
    const std::uint32_t tid_room = (65536 - kFirstTid) / workers;
    // One block cache for every worker, on hugepages where the EAL has them (registered with each
    // worker's ring: it is resident anyway), and readable by the NIC once for all (zero copy).
    auto arena = shared_chunk_arena(cfg, rte_eal_has_hugepages() != 0);
    if (!arena) return tl::unexpected(arena.error());
    arena_ = std::move(*arena);
    if (plan.chain) {
        auto dma = DmaRegion::create(port_, arena_->base(), arena_->bytes());
        if (!dma) return tl::unexpected(dma.error());
        dma_ = std::move(*dma);
    }
    for (std::uint32_t i = 0; i < workers; ++i) {
        DpdkWorkerConfig wc;
        wc.port_id = port_;
        wc.queue_id = static_cast<std::uint16_t>(i);
        wc.has_rx_queue = i < plan.rx_queues;
        wc.handoff = handoff_.get();
        wc.worker_index = i;
        wc.steer_by_address = plan.steer;
        wc.dhcp_worker = cfg.dhcp ? 0 : -1;
        wc.dhcp_port = cfg.dhcp_port;
        wc.local = proto::LocalAddress{mac_, opts.ip};
        wc.subnet_broadcast = mask == 0 ? proto::Ipv4() : proto::Ipv4((opts.ip.value() & mask) | ~mask);
        wc.subnet_mask = mask;
        wc.gateway_ip = opts.gateway;
        wc.gateway_mac = &gateway_mac_;
        wc.tftp = tftp_service_config(cfg, i, active_, tid_room);
        wc.tftp.cache.arena = arena_;
        wc.tftp.cache.register_buffers = arena_->huge_pages();
        wc.cache_dma = dma_;
        wc.tid_base = static_cast<std::uint16_t>(kFirstTid + i * wc.tftp.max_transfers);
        wc.pool = pool_;
        wc.tx_checksum_offload = plan.csum;
        wc.tx_chain = plan.chain;
        // Room for the blocks a rack is fetching at once (a few images), small enough to stay in
        // the core's cache (16 bytes each): 1 per 4 KiB of the block cache, 4 Ki..64 Ki.
        wc.payload_sum_entries = std::clamp<std::size_t>(cfg.cache_bytes / 4096, 4096, 65536);
        auto w = DpdkWorker::create(wc);
        if (!w) return tl::unexpected(w.error());
        workers_.push_back(std::move(*w));
    }
    return {};
}

// DHCP on worker 0, the port started, the workers' CPUs chosen and our MAC announced.
proto::Result<> DpdkBackend::start_port(const BackendCommon& cfg, const DpdkOptions& opts, std::uint32_t workers,
                                        PortPlan& plan) {
    if (dma_ != nullptr) plan.features += std::string(" cache_dma=") + (dma_->mapped() ? "mapped" : "registered");
    plan.features += std::string(" cache_pages=") + (arena_->huge_pages() ? "2M" : "4k");
    if (cfg.dhcp) {
        if (proto::Result<> ok = workers_[0]->attach_dhcp(*cfg.dhcp, cfg.dhcp_port); !ok) return ok;
    }
    if (int rc = rte_eth_dev_start(port_); rc != 0) {
        return proto::failure("--backend dpdk: starting " + port_name_ + " failed: " + rte_strerror(-rc));
    }
    port_started_ = true;
    // Workers on the port's NUMA node, next to its memory (the pool is there too).
    std::vector<int> cpus =
        cfg.cpus.empty() ? pick_worker_cpus(static_cast<int>(workers), rte_eth_dev_socket_id(port_)) : cfg.cpus;
    for (auto& w : workers_) w->announce();  // gratuitous ARP: peers learn our MAC now
    info_ = BackendInfo{opts.ip.to_string(), 69,
                        "dpdk port=" + port_name_ + " mac=" + mac_.to_string() + " " + plan.features, plan.steering,
                        std::move(cpus)};
    return {};
}

std::optional<PortStats> DpdkBackend::port_stats() const {
    rte_eth_stats s{};
    if (!port_started_ || rte_eth_stats_get(port_, &s) != 0) return std::nullopt;
    return PortStats{s.imissed, s.rx_nombuf, s.oerrors};
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
    dma_.reset();  // unregistered before the arena is unmapped
    arena_.reset();
    handoff_.reset();  // its rings may still hold mbufs of the pool
    if (pool_ != nullptr) rte_mempool_free(pool_);
    DpdkEal::cleanup();
}

}  // namespace rackboot::dataplane
