// TftpService over a fake transport that records what the service sends (each transfer's TID a
// port of its own), for the TFTP table and the live boot map tests.
#pragma once

#include <cerrno>
#include <map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/tftp_service.h"
#include "support/tftp_table_runner.h"

namespace rackboot::dataplane {

using test::TftpSent;

constexpr proto::Ipv4 kPiIp{0x0a000064};      // 10.0.0.100
constexpr proto::Ipv4 kServerIp{0x0a000001};  // 10.0.0.1

// Records every datagram; each transfer's TID is a port of its own (30000, 30001, ... never
// reused within a case), as a socket per transfer would be.
class FakeTransport final : public TftpTransport {
public:
    TidOpen open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) override {
        EXPECT_EQ(local_ip, kServerIp);
        if (fail_open != TidOpen::opened) return fail_open;
        open_[slot] = {client, next_port_++};
        return TidOpen::opened;
    }
    void close_tid(std::uint32_t slot) override { open_.erase(slot); }
    std::uint32_t send(std::uint32_t slot, std::span<const TxDatagram> datagrams) override {
        auto it = open_.find(slot);
        EXPECT_NE(it, open_.end()) << "send on a closed TID";
        if (it == open_.end()) return 0;
        for (const TxDatagram& d : datagrams) {
            test::Bytes b;
            for (std::uint8_t i = 0; i < d.iovcnt; ++i) {
                auto* p = static_cast<const std::uint8_t*>(d.iov[i].iov_base);
                b.insert(b.end(), p, p + d.iov[i].iov_len);
            }
            sent_.push_back({it->second.first.port, it->second.second, std::move(b)});
        }
        return static_cast<std::uint32_t>(datagrams.size());
    }
    void send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) override {
        sent_.push_back({to.port, test::TftpHarness::kWellKnownPort, test::Bytes(datagram.begin(), datagram.end())});
    }

    // The open slot behind a TID port, or -1 (nothing listens there: the datagram is lost).
    [[nodiscard]] std::int64_t slot_at(std::uint16_t port) const {
        for (const auto& [slot, tid] : open_) {
            if (tid.second == port) return slot;
        }
        return -1;
    }
    std::vector<TftpSent> sent_;
    TidOpen fail_open = TidOpen::opened;  // open_tid answers this when it is not `opened`

private:
    std::map<std::uint32_t, std::pair<Endpoint, std::uint16_t>> open_;  // slot -> client, TID port
    std::uint16_t next_port_ = 30000;
};

class ServiceHarness final : public test::TftpHarness {
public:
    explicit ServiceHarness(BootMapCell* trees, const test::TftpCase* c = nullptr) {
        TftpServiceConfig cfg;
        cfg.max_transfers = 64;
        cfg.maps = trees;
        cfg.cache.budget_bytes = 4u << 20;
        if (c != nullptr) test::apply_case_settings(*c, cfg);
        auto made = TftpService::create(cfg, transport_);
        EXPECT_TRUE(made) << (made ? "" : made.error().reason);
        if (made) service_ = std::move(*made);
    }
    void deliver(std::uint16_t client_port, std::uint16_t server_port, const test::Bytes& payload,
                 proto::Nanos now) override {
        Endpoint from{kPiIp, client_port, {}};
        if (server_port == kWellKnownPort) {
            service_->on_request(payload.data(), payload.size(), from, kServerIp, now);
        } else if (std::int64_t slot = transport_.slot_at(server_port); slot >= 0) {
            service_->on_tid_datagram(static_cast<std::uint32_t>(slot), payload.data(), payload.size(), now);
        }
    }
    void poll(proto::Nanos now) override { service_->poll(now); }
    [[nodiscard]] std::uint32_t waiting_on_disk() const override { return service_->waiting_on_disk(); }
    [[nodiscard]] proto::Nanos next_deadline() const override { return service_->next_deadline(); }
    [[nodiscard]] std::vector<TftpSent> take_sent() override { return std::exchange(transport_.sent_, {}); }
    [[nodiscard]] const WorkerCounters& counters() const override { return service_->counters(); }
    FakeTransport& transport() { return transport_; }
    TftpService& service() { return *service_; }

private:
    FakeTransport transport_;
    std::unique_ptr<TftpService> service_;
};

}  // namespace rackboot::dataplane
