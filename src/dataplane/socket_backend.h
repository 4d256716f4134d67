// The kernel-socket backend: N workers, each with its own member of a SO_REUSEPORT group on the
// TFTP port, a classic BPF program that sends every datagram from one client address to the same
// worker (so a Pi's RRQ retransmits, restarts and races meet the transfers they concern, as RSS on
// the address pair does for DPDK), and one pinned thread per worker.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/tftp_worker.h"

namespace rackboot::dataplane {

struct SocketBackendConfig {
    in_addr listen_addr{};
    std::uint16_t port = 69;
    std::uint32_t workers = 1;
    std::vector<int> cpus;  // one per worker; empty: let cpu_affinity choose
    std::uint32_t max_transfers = 20000;  // across all workers
    std::size_t cache_bytes = 512u << 20; // across all workers
    proto::TftpLimits limits{};
    const BootTrees* trees = nullptr;
    DhcpService* dhcp = nullptr;  // served by worker 0 when set
};

class SocketBackend final : public Backend {
public:
    static std::unique_ptr<SocketBackend> create(const SocketBackendConfig& cfg, std::string& error);
    ~SocketBackend() override;

    // The port actually bound (differs from the configured one when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] bool steering() const noexcept { return steering_; }

    void start() override;
    void stop() override;

    [[nodiscard]] std::size_t worker_count() const noexcept override { return workers_.size(); }
    [[nodiscard]] const WorkerCounters& counters(std::size_t i) const noexcept override { return workers_[i]->counters(); }
    [[nodiscard]] SpscRing<TransferRecord>& records(std::size_t i) noexcept override { return workers_[i]->records(); }
    [[nodiscard]] const std::vector<int>& cpus() const noexcept { return cpus_; }

private:
    SocketBackend() = default;
    std::vector<std::unique_ptr<TftpWorker>> workers_;
    std::vector<std::thread> threads_;
    std::vector<int> cpus_;
    std::atomic<bool> stop_{false};
    std::atomic<std::int64_t> active_{0};
    std::uint16_t port_ = 0;
    bool steering_ = false;
};

// Opens the SO_REUSEPORT group: `count` sockets bound to addr:port, in worker order.
[[nodiscard]] std::vector<int> open_listen_group(in_addr addr, std::uint16_t port, std::uint32_t count,
                                                 std::uint16_t& bound_port, bool& steering, std::string& error);

}  // namespace rackboot::dataplane
