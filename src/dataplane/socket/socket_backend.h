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
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/socket/dhcp_service.h"
#include "dataplane/socket/tftp_worker.h"
#include "dataplane/worker_threads.h"

namespace rackboot::dataplane {

class SocketBackend final : public Backend {
public:
    static std::unique_ptr<SocketBackend> create(const BackendCommon& common, const SocketOptions& opts,
                                                 std::string& error);
    ~SocketBackend() override;

    // The port actually bound (differs from the configured one when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    void start() override;
    void stop() override;

    [[nodiscard]] std::size_t worker_count() const noexcept override { return workers_.size(); }
    [[nodiscard]] const WorkerCounters& counters(std::size_t i) const noexcept override {
        return workers_[i]->counters();
    }
    [[nodiscard]] SpscRing<TransferRecord>& records(std::size_t i) noexcept override { return workers_[i]->records(); }
    [[nodiscard]] DhcpEngine* dhcp() noexcept override { return dhcp_ ? &dhcp_->engine() : nullptr; }
    [[nodiscard]] BackendInfo info() const override { return info_; }

private:
    SocketBackend() = default;
    std::unique_ptr<DhcpService> dhcp_;  // outlives the workers, which poll it
    std::vector<std::unique_ptr<TftpWorker>> workers_;
    WorkerThreads threads_;
    std::atomic<std::int64_t> active_{0};
    std::uint16_t port_ = 0;
    BackendInfo info_;
};

// Opens the SO_REUSEPORT group: `count` sockets bound to addr:port, in worker order.
[[nodiscard]] std::vector<int> open_listen_group(proto::Ipv4 addr, std::uint16_t port, std::uint32_t count,
                                                 std::uint16_t& bound_port, bool& steering, std::string& error);

}  // namespace rackboot::dataplane
