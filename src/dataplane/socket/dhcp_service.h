// DHCP on the kernel-socket backend: one socket on UDP 67 (optionally bound to an interface),
// drained inside one worker's loop so that lease decisions stay single-writer. Replies go out by
// limited broadcast from the interface the request came in on, to a relay, or to a client's
// address; the logic lives in DhcpEngine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dhcp_engine.h"
#include "dataplane/socket/udp_rx_batch.h"
#include "proto/clock.h"

namespace rackboot::dataplane {

struct DhcpServiceConfig {
    std::string interface;    // empty: every interface
    std::uint16_t port = 67;  // clients are on port + 1
    DhcpEngineConfig engine{};
};

class DhcpService final : private DhcpTransport {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<DhcpService>> create(const DhcpServiceConfig& cfg);
    ~DhcpService() override;
    DhcpService(const DhcpService&) = delete;
    DhcpService& operator=(const DhcpService&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] int journal_fd() const noexcept { return engine_->journal_fd(); }
    void restore(const std::vector<proto::Lease>& leases) { engine_->restore(leases); }
    // Sends replies whose leases are durable, then drains the socket. `counters` are the worker's.
    void on_readable(proto::Nanos now, WorkerCounters& counters);
    void tick(WorkerCounters& counters) { engine_->tick(counters); }
    [[nodiscard]] DhcpEngine& engine() noexcept { return *engine_; }

private:
    explicit DhcpService(const DhcpServiceConfig& cfg) : cfg_(cfg) {}
    bool send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes,
                   const DhcpOrigin& origin) override;

    DhcpServiceConfig cfg_;
    int fd_ = -1;
    std::unique_ptr<DhcpEngine> engine_;
    UdpRxBatch<16, 1500> rx_;
};

}  // namespace rackboot::dataplane
