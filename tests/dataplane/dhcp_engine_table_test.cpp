// The DHCP table (tests/support/dhcp_cases.cpp) against DhcpEngine itself, over a fake transport
// that records each reply and where it was to go.
#include <gtest/gtest.h>

#include "dataplane/dhcp_engine.h"
#include "support/dhcp_table.h"

namespace rackboot::dataplane {
namespace {

class EngineHarness final : public test::DhcpHarness, private DhcpTransport {
public:
    EngineHarness(const DhcpEngineConfig& cfg) {
        std::string err;
        engine_ = DhcpEngine::create(cfg, *this, err);
        EXPECT_TRUE(engine_) << err;
    }
    void deliver(const test::Bytes& payload) override {
        engine_->begin_batch(counters_);
        engine_->on_datagram(payload.data(), payload.size(), false, DhcpOrigin{proto::Ipv4(test::kDhcpServerIp), 1, {}},
                             counters_);
        engine_->end_batch();
    }
    void poll() override {
        engine_->begin_batch(counters_);
        engine_->end_batch();
    }
    [[nodiscard]] std::vector<test::DhcpSent> take_sent() override { return std::exchange(sent_, {}); }
    [[nodiscard]] const WorkerCounters& counters() const override { return counters_; }

private:
    bool send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes, const DhcpOrigin&) override {
        sent_.push_back({reply.dest, reply.dest == proto::DhcpReply::Dest::Broadcast ? 0 : reply.dest_ip,
                         test::Bytes(bytes.begin(), bytes.end())});
        return true;
    }
    WorkerCounters counters_;
    std::unique_ptr<DhcpEngine> engine_;
    std::vector<test::DhcpSent> sent_;
};

class DhcpTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DhcpTable, EngineAnswersAsTheTableSays) {
    const test::DhcpCase& c = test::dhcp_cases()[GetParam()];
    LeaseJournal journal;
    EngineHarness h(test::dhcp_table_config(c.mode, &journal));
    std::string diff = test::run_dhcp_case(c, h, journal);
    EXPECT_TRUE(diff.empty()) << c.description << '\n' << diff;
}

INSTANTIATE_TEST_SUITE_P(Cases, DhcpTable, ::testing::Range<std::size_t>(0, test::dhcp_cases().size()));

}  // namespace
}  // namespace rackboot::dataplane
