// DHCP on the kernel-socket backend: one socket on UDP 67 (optionally bound to an interface),
// run inside one worker's loop so that lease decisions stay single-writer. Replies are broadcast
// to 255.255.255.255:68 out of the interface the request came in on, or unicast to a relay.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/dhcp_record.h"
#include "dataplane/lease_journal.h"
#include "dataplane/spsc_ring.h"
#include "dataplane/udp_rx_batch.h"
#include "proto/clock.h"
#include "proto/dhcp_responder.h"
#include "proto/dhcp_server.h"

namespace rackboot::dataplane {

struct DhcpServiceConfig {
    std::string interface;     // empty: every interface
    std::uint16_t port = 67;   // clients are on port + 1
    proto::DhcpResponderConfig responder{};  // mode, Pi OUIs, addresses
    // Full server mode only:
    proto::LeaseConfig leases{};
    proto::DhcpServerConfig server{};
    LeaseJournal* journal = nullptr;  // required in server mode
};

class DhcpService {
public:
    static std::unique_ptr<DhcpService> create(const DhcpServiceConfig& cfg, std::string& error);
    ~DhcpService();
    DhcpService(const DhcpService&) = delete;
    DhcpService& operator=(const DhcpService&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The journal's wake-up fd in server mode (replies become sendable), else -1.
    [[nodiscard]] int journal_fd() const noexcept { return cfg_.journal != nullptr ? cfg_.journal->worker_fd() : -1; }
    // Restores persisted leases; call before the worker starts.
    void restore(const std::vector<proto::Lease>& leases);
    // Sends replies whose leases are durable, then drains the socket. `counters` are the worker's.
    void on_readable(proto::Nanos now, WorkerCounters& counters);
    // Once a second: the lease gauges.
    void tick(WorkerCounters& counters);
    [[nodiscard]] SpscRing<DhcpRecord>& records() noexcept { return records_; }

private:
    explicit DhcpService(const DhcpServiceConfig& cfg) : cfg_(cfg), responder_(cfg.responder), records_(4096) {}
    void send_reply(const proto::DhcpReply& reply, const std::uint8_t* data, std::uint32_t local_ip, int ifindex,
                    WorkerCounters& counters);
    void flush_committed(WorkerCounters& counters);

    // A reply waiting for its lease change to be durable.
    struct Pending {
        std::uint64_t seq = 0;
        proto::DhcpReply reply;
        std::uint32_t local_ip = 0;
        int ifindex = 0;
        std::array<std::uint8_t, 1024> bytes{};
    };
    static constexpr std::size_t kMaxPending = 4096;

    DhcpServiceConfig cfg_;
    proto::DhcpResponder responder_;
    std::optional<proto::DhcpServer> server_;
    std::vector<Pending> pending_;  // ring
    std::size_t pending_head_ = 0;
    std::size_t pending_count_ = 0;
    std::int64_t last_tick_ = 0;
    int fd_ = -1;
    SpscRing<DhcpRecord> records_;
    UdpRxBatch<16, 1500> rx_;
    std::vector<std::uint8_t> tx_;
};

}  // namespace rackboot::dataplane
