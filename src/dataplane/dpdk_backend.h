// The DPDK backend: EAL from the operator's arguments, one port (named with --port, or the only
// one), a TX queue per worker and RX queues spread by RSS on the IPv4 addresses where the port has
// it (frames handed between workers over SPSC rings where not), so a Pi's packets meet one worker;
// an mbuf pool sized from the configuration on the port's NUMA node, and a DpdkWorker per queue on
// its own registered thread. The backend owns the port's IPv4 address.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/boot_trees.h"
#include "dataplane/dpdk_worker.h"
#include "proto/tftp_options.h"

namespace rackboot::dataplane {

struct DpdkBackendConfig {
    std::string eal;               // EAL arguments, as given
    std::string port;              // the port's name; empty: the EAL must have found exactly one
    std::uint32_t ip = 0;          // host order
    std::uint8_t prefix = 24;
    std::uint32_t gateway = 0;     // host order; 0: none
    std::uint32_t workers = 1;
    std::vector<int> cpus;         // one per worker; empty: chosen by hwloc
    std::uint32_t max_transfers = 20000;  // across all workers
    std::size_t cache_bytes = 512u << 20;
    proto::TftpLimits limits{};
    const BootTrees* trees = nullptr;
    std::optional<DhcpEngineConfig> dhcp;  // served by worker 0, the lease table's one writer
    std::uint16_t dhcp_port = 67;
};

class DpdkBackend final : public Backend {
public:
    static std::unique_ptr<DpdkBackend> create(const DpdkBackendConfig& cfg, std::string& error);
    ~DpdkBackend() override;

    void start() override;
    void stop() override;
    [[nodiscard]] std::size_t worker_count() const noexcept override { return workers_.size(); }
    [[nodiscard]] const WorkerCounters& counters(std::size_t i) const noexcept override { return workers_[i]->counters(); }
    [[nodiscard]] SpscRing<TransferRecord>& records(std::size_t i) noexcept override { return workers_[i]->records(); }

    [[nodiscard]] const proto::MacAddr& mac() const noexcept { return mac_; }
    [[nodiscard]] DhcpEngine* dhcp() noexcept { return workers_.empty() ? nullptr : workers_[0]->dhcp(); }
    [[nodiscard]] const std::string& port_name() const noexcept { return port_name_; }
    // What the port does for us, as key=value words for the start line.
    [[nodiscard]] const std::string& features() const noexcept { return features_; }
    // How frames reach the worker that owns them: single-queue, rss-ipv4 or software-client-address.
    [[nodiscard]] const std::string& steering() const noexcept { return steering_; }
    [[nodiscard]] const std::vector<int>& cpus() const noexcept { return cpus_; }

private:
    DpdkBackend() = default;
    std::uint16_t port_ = 0;
    bool port_started_ = false;
    std::string port_name_;
    std::string features_;
    std::string steering_;
    proto::MacAddr mac_{};
    struct rte_mempool* pool_ = nullptr;
    std::unique_ptr<HandoffRings> handoff_;  // outlives the workers, which point at it
    std::vector<std::unique_ptr<DpdkWorker>> workers_;
    std::vector<std::thread> threads_;
    std::vector<int> cpus_;
    std::atomic<bool> stop_{false};
    std::atomic<std::int64_t> active_{0};
    GatewayMac gateway_mac_;
};

}  // namespace rackboot::dataplane
