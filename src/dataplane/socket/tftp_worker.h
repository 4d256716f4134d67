// One kernel-socket worker: a thread's share of the appliance. It owns its member of the TFTP
// SO_REUSEPORT group (steered by client address), a connected socket per transfer (the TID),
// its TftpService and, on worker 0, the DHCP service. It sleeps in epoll when there is nothing
// to do.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/socket/dhcp_service.h"
#include "dataplane/socket/udp_rx_batch.h"
#include "dataplane/tftp_service.h"
#include "dataplane/tftp_transport.h"
#include "dataplane/worker_channel.h"

namespace rackboot::dataplane {

struct WorkerConfig {
    int listen_fd = -1;       // owned by the worker from now on
    proto::Ipv4 listen_addr;  // unset (0.0.0.0): answer from the address the request came to
    TftpServiceConfig tftp{};
    DhcpService* dhcp = nullptr;  // polled by this worker when set (not owned)
};

class TftpWorker final : private TftpTransport {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<TftpWorker>> create(const WorkerConfig& cfg);
    ~TftpWorker() override;
    TftpWorker(const TftpWorker&) = delete;
    TftpWorker& operator=(const TftpWorker&) = delete;

    // Runs until `stop` is set; then ends every transfer.
    void run(const std::atomic<bool>& stop);

    [[nodiscard]] const WorkerCounters& counters() const noexcept { return service_->counters(); }
    // Its events out and its mailbox in (worker_channel.h).
    [[nodiscard]] WorkerChannel& channel() noexcept { return *channel_; }

private:
    explicit TftpWorker(const WorkerConfig& cfg) : cfg_(cfg) {}
    [[nodiscard]] proto::Result<> init();
    void on_listen_readable(proto::Nanos now);
    void on_tid_readable(std::uint32_t slot, proto::Nanos now);

    // TftpTransport over kernel sockets.
    TidOpen open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) override;
    void close_tid(std::uint32_t slot) override;
    std::uint32_t send(std::uint32_t slot, std::span<const TxDatagram> datagrams) override;
    void send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) override;

    WorkerConfig cfg_;
    int epoll_fd_ = -1;
    std::vector<int> tid_fds_;               // by slot
    std::vector<std::uint32_t> tid_closes_;  // by slot: a batch read from a socket since closed is stale
    std::unique_ptr<WorkerChannel> channel_;
    std::unique_ptr<TftpService> service_;
    static constexpr std::uint32_t kRxBatch = 32;
    static constexpr std::size_t kRxBufSize = 2048;
    UdpRxBatch<kRxBatch, kRxBufSize> listen_rx_;
    // A transfer socket's queue in one call: a lock-step client has one ACK queued, so reading
    // until EAGAIN would spend a second system call on every ACK.
    static constexpr std::uint32_t kTidRxBatch = 8;
    UdpRxBatch<kTidRxBatch, kRxBufSize> tid_rx_;
};

}  // namespace rackboot::dataplane
