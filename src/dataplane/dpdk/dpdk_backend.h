// The DPDK backend: EAL from the operator's arguments, one port (named with --port, or the only
// one), a TX queue per worker and RX queues spread by RSS on the IPv4 addresses where the port has
// it (frames handed between workers over SPSC rings where not), so a Pi's packets meet one worker;
// an mbuf pool sized from the configuration on the port's NUMA node, and a DpdkWorker per queue on
// its own registered thread. The backend owns the port's IPv4 address.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/boot_map.h"
#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/worker_backend.h"
#include "proto/tftp_options.h"

struct rte_eth_dev_info;

namespace rackboot::dataplane {

class DpdkBackend final : public WorkerBackend<DpdkWorker> {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<DpdkBackend>> create(const BackendCommon& common,
                                                                            const DpdkOptions& opts);
    ~DpdkBackend() override;

    void start() override;
    [[nodiscard]] DhcpEngine* dhcp() noexcept override { return workers_.empty() ? nullptr : workers_[0]->dhcp(); }
    [[nodiscard]] std::optional<PortStats> port_stats() const override;

private:
    // What configure_port() chose, for the workers and the start line.
    struct PortPlan {
        bool chain = false;  // DATA zero copy: chained mbufs over the cache's pages
        bool csum = false;   // the UDP checksum offloaded to the port
        bool steer = false;  // frames handed to the worker owning their source address
        std::uint32_t rx_queues = 1;
        std::string features;  // key=value words for the start line
        std::string steering;  // single-queue, rss-ipv4 or software-client-address
    };

    DpdkBackend() = default;
    // create()'s steps, in order; the first that fails ends it.
    [[nodiscard]] proto::Result<> open_port(const DpdkOptions& opts, std::uint32_t workers, rte_eth_dev_info& info);
    [[nodiscard]] proto::Result<> create_pool(std::uint32_t workers, int socket);
    [[nodiscard]] proto::Result<> configure_port(const BackendCommon& cfg, std::uint32_t workers,
                                                 const rte_eth_dev_info& info, int socket, PortPlan& plan);
    [[nodiscard]] proto::Result<> create_workers(const BackendCommon& cfg, const DpdkOptions& opts,
                                                 std::uint32_t workers, const PortPlan& plan);
    [[nodiscard]] proto::Result<> start_port(const BackendCommon& cfg, const DpdkOptions& opts, std::uint32_t workers,
                                             PortPlan& plan);
    std::uint16_t port_ = 0;
    bool port_started_ = false;
    std::string port_name_;
    proto::Mac mac_{};
    struct rte_mempool* pool_ = nullptr;
    std::unique_ptr<HandoffRings> handoff_;  // workers point at it: the destructor ends them first
    std::shared_ptr<ChunkArena> arena_;      // the workers' one block cache
    std::shared_ptr<DmaRegion> dma_;         // the arena, readable by the NIC (zero copy)
    GatewayMac gateway_mac_;
};

}  // namespace rackboot::dataplane
