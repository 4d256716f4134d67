// The DHCP table (tests/support/dhcp_cases.cpp) against DhcpEngine itself, over a fake transport
// that records each reply and where it was to go.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/dhcp_engine.h"
#include "dataplane/worker_channel.h"
#include "support/dhcp_table.h"
#include "support/dhcp_vectors.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

class EngineHarness final : public test::DhcpHarness, private DhcpTransport {
public:
    EngineHarness(const DhcpEngineConfig& cfg) {
        engine_ = test::unwrap(DhcpEngine::create(cfg, *this));
        EXPECT_TRUE(engine_);
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
    // The worker's every-loop call (admission shares out room, held DISCOVERs answered).
    void tick() { engine_->tick(counters_); }
    [[nodiscard]] DhcpEngine& engine() { return *engine_; }
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

// A Pi 4's DISCOVER, its lease made durable at once: the address offered (unset: no OFFER).
proto::Ipv4 offer_one(EngineHarness& h, LeaseJournal& journal) {
    h.deliver(test::pi4_discover());
    LeaseChange change;
    while (journal.pop(change)) journal.publish(change.seq);
    h.poll();
    std::vector<test::DhcpSent> sent = h.take_sent();
    if (sent.size() != 1) return proto::Ipv4();
    const test::Bytes& offer = sent[0].payload;
    return proto::Ipv4((std::uint32_t{offer[16]} << 24) | (std::uint32_t{offer[17]} << 16) |
                       (std::uint32_t{offer[18]} << 8) | offer[19]);
}

// DELETE /api/v1/leases/IP: the release goes through the DHCP worker's mailbox (the lease table's
// one writer) and is answered only once the store has made it durable.
TEST(DhcpRelease, AReleaseThroughTheWorkersMailboxIsAnsweredOnceDurable) {
    LeaseJournal journal;
    EngineHarness h(test::dhcp_table_config(proto::DhcpMode::Server, &journal));
    proto::Ipv4 offered = offer_one(h, journal);
    ASSERT_FALSE(offered.unset());

    // The worker answers its mailbox each pass; the store commits what the journal holds, late.
    WorkerChannel channel(16);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> committed_late{0};
    std::thread worker([&] {
        struct Desk {
            DhcpEngine& dhcp;
            std::size_t list_transfers(TransferView*, std::size_t, bool&) noexcept { return 0; }
            LeaseReleaseStep release_lease(proto::Ipv4 ip) noexcept { return dhcp.release_now(ip); }
        } desk{h.engine()};
        while (!stop.load()) {
            if (channel.mailbox.pending()) channel.mailbox.serve(desk);
            LeaseChange c;
            while (journal.pop(c)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(30));  // an fsync
                committed_late = c.seq;
                journal.publish(c.seq);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    });
    EXPECT_EQ(release_durably(channel.mailbox, journal, proto::Ipv4(0x0a0000fe), 2000),
              proto::LeaseRelease::no_live_lease);
    std::uint64_t before = journal.committed();
    EXPECT_EQ(release_durably(channel.mailbox, journal, offered, 2000), proto::LeaseRelease::released);
    EXPECT_GT(committed_late.load(), before);  // the release's own change, committed before the answer
    EXPECT_GE(journal.committed(), committed_late.load());
    EXPECT_EQ(release_durably(channel.mailbox, journal, offered, 2000), proto::LeaseRelease::no_live_lease);
    stop = true;
    worker.join();
}

// A release reads the boards' pins from the map current then, never from the map of the last
// DHCP packet: that one is freed once boards change (it crashed DELETE /api/v1/leases/IP after a
// bulk board change; ASan names the use after free).
TEST(DhcpRelease, AReleaseAfterTheBootMapChangedReadsTheCurrentMap) {
    char tmpl[] = "/tmp/rb-release.XXXXXX";
    std::string root = mkdtemp(tmpl);
    std::unique_ptr<BootMapCell> cell = test::unwrap(static_boot_map_cell(root, {}, 1));
    LeaseJournal journal;
    DhcpEngineConfig config = test::dhcp_table_config(proto::DhcpMode::Server, &journal);
    config.maps = cell.get();
    EngineHarness h(config);
    proto::Ipv4 offered = offer_one(h, journal);
    ASSERT_FALSE(offered.unset());
    // Boards change: a new map, and the old one freed once the worker is past it.
    cell->publish(test::unwrap(static_boot_map(root, {})));
    cell->quiescent(0);
    EXPECT_EQ(cell->reclaim(), 0u);
    EXPECT_EQ(h.engine().release_now(offered).outcome, proto::LeaseRelease::released);
    cell.reset();
    std::filesystem::remove_all(root);
}

TEST(DhcpRelease, AProxyHasNoLeasesToRelease) {
    LeaseJournal journal;
    EngineHarness h(test::dhcp_table_config(proto::DhcpMode::Proxy, &journal));
    EXPECT_EQ(h.engine().release_now(proto::Ipv4(0x0a000107)).outcome, proto::LeaseRelease::not_a_server);
}

// Admission at DHCP (issue 19), proxy and full server: a Pi 4's DISCOVER gets no answer (and no
// lease) while the path has no room for its boot, and the one after room frees is answered. A PC's
// DISCOVER (no PXE vendor class) is never held. The path carries 15 MB/s with 8 MB files: two
// thirds of a 20 s plan make room for 25 boots.
class DhcpAdmission : public ::testing::TestWithParam<proto::DhcpMode> {
protected:
    void SetUp() override {
        DhcpEngineConfig cfg = test::dhcp_table_config(GetParam(), &journal_);
        WorkerPath& w = board_.worker(0);
        w.rate = 15'000'000;
        w.largest = 8'000'000;
        in_progress(25);
        cfg.admission.enabled = true;
        cfg.path = &board_;
        h_ = std::make_unique<EngineHarness>(cfg);
    }
    void in_progress(std::uint32_t boots) {
        board_.worker(0).clients = boots;
        board_.worker(0).running = boots;
    }
    // What was sent once the journal made the leases durable (and, with `tick`, room was shared out).
    std::vector<test::DhcpSent> settle(bool tick = false) {
        LeaseChange change;
        std::uint64_t last = 0;
        while (journal_.pop(change)) last = change.seq;
        if (last != 0) journal_.publish(last);
        if (tick) h_->tick();
        h_->poll();
        return h_->take_sent();
    }
    [[nodiscard]] std::uint64_t held() const {
        return h_->counters()
            .dhcp_packets[static_cast<std::size_t>(proto::DhcpMessageType::Discover)]
                         [static_cast<std::size_t>(proto::DhcpVerdict::held_for_room)]
            .get();
    }
    EngineHarness& h() { return *h_; }
    LeaseJournal journal_;
    PathBoard board_{1};
    std::unique_ptr<EngineHarness> h_;
};

TEST_P(DhcpAdmission, APiWaitsForRoomOnThePathAndAPcNever) {
    h().deliver(test::pi4_discover());
    EXPECT_TRUE(settle().empty());
    EXPECT_EQ(held(), 1u);
    EXPECT_EQ(h().counters().dhcp_lease_changes.get(), 0u);
    if (GetParam() == proto::DhcpMode::Server) {
        // A PC's DISCOVER is answered at once: only boot firmware waits.
        h().deliver(test::make_request({0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}, 0x1234, {{53, {1}}, {55, {1, 3, 6}}}));
        EXPECT_EQ(settle().size(), 1u);
        EXPECT_EQ(held(), 1u);
    }
    in_progress(24);
    h().deliver(test::pi4_discover());
    std::vector<test::DhcpSent> sent = settle();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(held(), 1u);
}

TEST_P(DhcpAdmission, AHeldDiscoverIsAnsweredWhenRoomIsGrantedWhileThePiListens) {
    h().deliver(test::pi4_discover());
    EXPECT_TRUE(settle(true).empty());
    in_progress(24);  // a boot ended: room for one
    // Room is shared out every 100 ms; the Pi's next DISCOVER is 4 s away. Bounded wait.
    std::vector<test::DhcpSent> sent;
    for (int i = 0; i < 200 && sent.empty(); ++i) {
        sent = settle(true);
        if (sent.empty()) usleep(5000);
    }
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(h().counters().dhcp_late_answers.get(), 1u);
    proto::DhcpPacket offer;
    ASSERT_EQ(proto::parse_dhcp(proto::ConstBytes(sent[0].payload.data(), sent[0].payload.size()), offer),
              proto::DhcpParseError::none);
    proto::DhcpPacket discover;
    test::Bytes d = test::pi4_discover();
    ASSERT_EQ(proto::parse_dhcp(proto::ConstBytes(d.data(), d.size()), discover), proto::DhcpParseError::none);
    EXPECT_EQ(offer.xid, discover.xid);  // the answer to the DISCOVER that was held
    EXPECT_EQ(offer.type, proto::DhcpMessageType::Offer);
    // Answered once: later ticks send nothing more.
    usleep(150000);
    EXPECT_TRUE(settle(true).empty());
}

// After its REQUEST (to us in full mode, to the site's server in proxy mode) a Pi's next DISCOVER
// is a new boot (a rack power-cycled right after its boot), which waits for room; before it, a
// DISCOVER again is its firmware's retry after a lost OFFER, answered whatever the room.
TEST_P(DhcpAdmission, APiThatRequestedWaitsForRoomAtItsNextDiscover) {
    in_progress(24);
    h().deliver(test::pi4_discover());
    EXPECT_EQ(settle().size(), 1u);     // the last room
    in_progress(25);                    // full now
    h().deliver(test::pi4_discover());  // its OFFER was lost: the retry is answered
    EXPECT_EQ(settle().size(), 1u);
    // Its REQUEST, for the address we offered (in proxy mode, for another server's: not ours to
    // answer, but seen).
    std::vector<std::uint8_t> request = test::pi4_discover();
    for (std::size_t i = 240; i + 2 < request.size(); i += 2u + request[i + 1]) {
        if (request[i] == 53) request[i + 2] = 3;
    }
    h().deliver(request);
    (void)settle();
    h().deliver(test::pi4_discover());  // powered off and on: a new boot, and the path is full
    EXPECT_TRUE(settle().empty());
    EXPECT_EQ(held(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, DhcpAdmission, ::testing::Values(proto::DhcpMode::Proxy, proto::DhcpMode::Server));

}  // namespace
}  // namespace rackboot::dataplane
