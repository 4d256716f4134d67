// DHCP on the kernel-socket backend: one socket on UDP 67 (optionally bound to an interface),
// run inside one worker's loop so that lease decisions stay single-writer. Replies are broadcast
// to 255.255.255.255:68 out of the interface the request came in on, or unicast to a relay.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/dhcp_record.h"
#include "dataplane/spsc_ring.h"
#include "proto/clock.h"
#include "proto/dhcp_responder.h"

namespace rackboot::dataplane {

struct DhcpServiceConfig {
    std::string interface;     // empty: every interface
    std::uint16_t port = 67;   // clients are on port + 1
    proto::DhcpResponderConfig responder{};
};

class DhcpService {
public:
    static std::unique_ptr<DhcpService> create(const DhcpServiceConfig& cfg, std::string& error);
    ~DhcpService();
    DhcpService(const DhcpService&) = delete;
    DhcpService& operator=(const DhcpService&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    // Drains the socket; `counters` are the owning worker's.
    void on_readable(proto::Nanos now, WorkerCounters& counters);
    [[nodiscard]] SpscRing<DhcpRecord>& records() noexcept { return records_; }

private:
    explicit DhcpService(const DhcpServiceConfig& cfg) : cfg_(cfg), responder_(cfg.responder), records_(4096) {}
    void send_reply(const proto::DhcpReply& reply, std::uint32_t local_ip, int ifindex, WorkerCounters& counters);

    DhcpServiceConfig cfg_;
    proto::DhcpResponder responder_;
    int fd_ = -1;
    SpscRing<DhcpRecord> records_;
    std::vector<std::uint8_t> rx_;
    std::vector<std::uint8_t> tx_;
};

}  // namespace rackboot::dataplane
