// The TFTP table (tests/support/tftp_cases.cpp) against TftpService itself: a fake transport that
// records what the service sends, a virtual clock, and the real block cache on a scratch tree.
#include <unistd.h>

#include <cerrno>
#include <map>

#include <gtest/gtest.h>

#include "dataplane/tftp_service.h"
#include "support/tftp_table.h"
#include "support/tftp_table_runner.h"

namespace rackboot::dataplane {
namespace {

using test::TftpSent;

constexpr proto::Ipv4 kPiIp{0x0a000064};      // 10.0.0.100
constexpr proto::Ipv4 kServerIp{0x0a000001};  // 10.0.0.1

// Records every datagram; each transfer's TID is a port of its own (30000, 30001, ... never
// reused within a case), as a socket per transfer would be.
class FakeTransport final : public TftpTransport {
public:
    bool open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) override {
        EXPECT_EQ(local_ip, kServerIp);
        if (fail_open_errno != 0) {
            errno = fail_open_errno;
            return false;
        }
        open_[slot] = {client, next_port_++};
        return true;
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
    int fail_open_errno = 0;  // open_tid fails with this errno when set

private:
    std::map<std::uint32_t, std::pair<Endpoint, std::uint16_t>> open_;  // slot -> client, TID port
    std::uint16_t next_port_ = 30000;
};

class ServiceHarness final : public test::TftpHarness {
public:
    ServiceHarness(const BootTrees* trees) {
        TftpServiceConfig cfg;
        cfg.max_transfers = 64;
        cfg.trees = trees;
        cfg.cache.budget_bytes = 4u << 20;
        std::string err;
        service_ = TftpService::create(cfg, transport_, err);
        EXPECT_TRUE(service_) << err;
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

private:
    FakeTransport transport_;
    std::unique_ptr<TftpService> service_;
};

class TftpTable : public ::testing::TestWithParam<std::size_t> {
protected:
    static void SetUpTestSuite() {
        tree_ = std::make_unique<test::TableTree>("service");
        ASSERT_TRUE(tree_->trees) << tree_->error;
    }
    static void TearDownTestSuite() { tree_.reset(); }
    static inline std::unique_ptr<test::TableTree> tree_;
};

TEST_P(TftpTable, ServiceAnswersAsTheTableSays) {
    const test::TftpCase& c = test::tftp_cases()[GetParam()];
    ServiceHarness h(tree_->trees.get());
    std::string diff = test::run_tftp_case(c, h, 1'000'000'000);
    EXPECT_TRUE(diff.empty()) << c.description << '\n' << diff;
}

// Out of descriptors is capacity (a refusal to retry), not a broken file: EMFILE or ENFILE
// opening a transfer's socket is counted as `descriptors`, another failure as socket_error.
TEST_F(TftpTable, OutOfDescriptorsIsCapacityNotAReadError) {
    ServiceHarness h(tree_->trees.get());
    test::Bytes req = test::rrq("config.txt");
    for (int err : {EMFILE, ENFILE, EADDRINUSE}) {
        h.transport().fail_open_errno = err;
        h.deliver(7000, test::TftpHarness::kWellKnownPort, req, 0);
        std::vector<TftpSent> sent = h.take_sent();
        ASSERT_EQ(sent.size(), 1u);
        EXPECT_EQ(sent[0].payload, test::error(0, "server busy, try again"));
    }
    const WorkerCounters& c = h.counters();
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::descriptors)].get(), 2u);
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::socket_error)].get(), 1u);
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::read_error)].get(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, TftpTable, ::testing::Range<std::size_t>(0, test::tftp_cases().size()));

}  // namespace
}  // namespace rackboot::dataplane
