// The kernel-socket backend: N workers, each with its own member of a SO_REUSEPORT group on the
// TFTP port, a classic BPF program that sends every datagram from one client address to the same
// worker (so a Pi's RRQ retransmits, restarts and races meet the transfers they concern, as RSS on
// the address pair does for DPDK), and one pinned thread per worker.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/socket/dhcp_service.h"
#include "dataplane/socket/tftp_worker.h"
#include "dataplane/worker_backend.h"

namespace rackboot::dataplane {

class SocketBackend final : public WorkerBackend<TftpWorker> {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<SocketBackend>> create(const BackendCommon& common,
                                                                              const SocketOptions& opts);
    ~SocketBackend() override;

    // The port actually bound (differs from the configured one when that was 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    void start() override;
    [[nodiscard]] DhcpEngine* dhcp() noexcept override { return dhcp_ ? &dhcp_->engine() : nullptr; }

private:
    SocketBackend() = default;
    std::unique_ptr<DhcpService> dhcp_;  // polled by worker 0: the destructor ends the workers first
    std::uint16_t port_ = 0;
};

// The SO_REUSEPORT group: `count` sockets bound to addr:port, in worker order.
struct ListenGroup {
    std::vector<int> fds;
    std::uint16_t port = 0;  // as bound (the configured one, or the kernel's pick for 0)
    bool steering = false;   // a client's packets reach one socket by its address (else the kernel's hash)
};
[[nodiscard]] proto::Result<ListenGroup> open_listen_group(proto::Ipv4 addr, std::uint16_t port, std::uint32_t count);

}  // namespace rackboot::dataplane
