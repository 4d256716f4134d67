// The live boot map: resolution rules, quiescent-state reclamation (workers that lag, opens in
// flight), and a TftpService whose board moves to another image mid-transfer: the transfer ends
// on the bytes it opened, the next request sees the new image.
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/boot_map.h"
#include "dataplane/open_pins.h"
#include "dataplane/service_harness.h"
#include "dataplane/snapshot_cell.h"
#include "support/tftp_table.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

namespace fs = std::filesystem;

class LiveMap : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("rb-livemap-" + std::to_string(getpid()));
        for (const char* d : {"root", "a", "b"}) fs::create_directories(base_ / d);
        write("root/file.bin", std::string(3000, 'r'));
        write("a/file.bin", std::string(3000, 'a'));
        write("b/file.bin", std::string(3000, 'b'));
        root_ = test::unwrap(TreeHandle::open((base_ / "root").string()));
        a_ = test::unwrap(TreeHandle::open((base_ / "a").string()));
        b_ = test::unwrap(TreeHandle::open((base_ / "b").string()));
        ASSERT_TRUE(root_ && a_ && b_);
    }
    void TearDown() override { fs::remove_all(base_); }
    void write(const std::string& rel, const std::string& content) { std::ofstream(base_ / rel) << content; }

    // Board aabbccdd on `dir` (netboot as given), MAC dc:a6:32:01:02:03 on image b, and board
    // 11223344 holding 10.0.0.100 (the harness's client) on image b.
    std::unique_ptr<const BootMap> map(const std::shared_ptr<TreeHandle>& dir, bool netboot, std::uint64_t gen) {
        BootMapBuilder bld(root_);
        bld.add(proto::Serial(0xaabbccdd), dir, netboot, 0, {}, {});
        std::uint64_t mac = 0xdca632010203;
        bld.add(std::nullopt, b_, true, 0, std::span<const std::uint64_t>(&mac, 1), {});
        std::uint32_t ip = 0x0a000064;
        bld.add(proto::Serial(0x11223344), b_, true, 0x0a000063, {}, std::span<const std::uint32_t>(&ip, 1));
        return bld.build(gen);
    }

    fs::path base_;
    std::shared_ptr<TreeHandle> root_, a_, b_;
};

TEST_F(LiveMap, ResolvesBySerialMacAddressOrTheDefaultTree) {
    auto m = map(a_, true, 1);
    auto r = m->resolve("aabbccdd/file.bin", proto::Ipv4());
    EXPECT_EQ(r.dirfd, a_->fd());
    EXPECT_EQ(r.path, "file.bin");
    ASSERT_NE(r.board, nullptr);
    EXPECT_EQ(r.board->serial(), proto::Serial(0xaabbccdd));
    r = m->resolve("dc-a6-32-01-02-03/start4.elf", proto::Ipv4());
    EXPECT_EQ(r.dirfd, b_->fd());
    EXPECT_EQ(r.path, "start4.elf");
    // Unprefixed, from an address a board holds (learnt or pinned): that board's image.
    EXPECT_EQ(m->resolve("file.bin", proto::Ipv4(0x0a000064)).dirfd, b_->fd());
    EXPECT_EQ(m->resolve("file.bin", proto::Ipv4(0x0a000063)).dirfd, b_->fd());
    // Anything else: the default tree, path as it is (ROOT/SERIAL/file works unmapped).
    r = m->resolve("0badf00d/file.bin", proto::Ipv4(0x0a000064));
    EXPECT_EQ(r.dirfd, root_->fd());
    EXPECT_EQ(r.path, "0badf00d/file.bin");
    EXPECT_EQ(m->resolve("file.bin", proto::Ipv4(0x0a0000ff)).dirfd, root_->fd());
}

TEST_F(LiveMap, NetbootOffServesNothing) {
    auto m = map(a_, false, 1);
    auto r = m->resolve("aabbccdd/file.bin", proto::Ipv4());
    EXPECT_EQ(r.dirfd, -1);
    ASSERT_NE(r.board, nullptr);
    EXPECT_FALSE(r.board->netboot);
}

TEST_F(LiveMap, PinnedAddressesAreReservations) {
    auto m = map(a_, true, 1);
    // Board 11223344 lists no MACs: its serial names it, and its reservation is not a MAC's.
    auto r = m->reserved_for(proto::Mac::from_key(0x1), proto::Serial(0x11223344));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ip, proto::Ipv4(0x0a000063));
    EXPECT_FALSE(r->by_mac);
    EXPECT_FALSE(m->reserved_for(proto::Mac::from_key(0x1), proto::Serial(0xaabbccdd)));
    EXPECT_TRUE(m->reserved(proto::Ipv4(0x0a000063)));
    EXPECT_FALSE(m->reserved(proto::Ipv4(0x0a000064)));  // learnt, not pinned
}

// Issue 18: what the operator configured outranks what a client claims. Board 1234abcd lists
// dc:a6:32:00:00:01 and holds 10.213.0.50; board 0badc0de lists none and learnt 02:00:00:00:00:07.
TEST_F(LiveMap, ConfiguredMacsOutrankAClaimedSerial) {
    BootMapBuilder bld(root_);
    std::uint64_t board_mac = 0xdca632000001;
    std::uint64_t learnt = 0x020000000007;
    std::uint64_t thief = 0x026666000001;
    bld.add(proto::Serial(0x1234abcd), a_, true, 0x0ad50032, std::span<const std::uint64_t>(&board_mac, 1), {});
    bld.add(proto::Serial(0x0badc0de), b_, true, 0x0ad50033, {}, {}, std::span<const std::uint64_t>(&learnt, 1));
    // A board that lists MACs learns none: its learnt list is ignored (and outranked).
    bld.add(proto::Serial(0x5555aaaa), b_, true, 0, std::span<const std::uint64_t>(&learnt, 1), {},
            std::span<const std::uint64_t>(&thief, 1));
    auto m = bld.build(1);
    // The board's own MAC, with or without its serial: the board, matched by MAC, its reservation held by MAC.
    EXPECT_EQ(m->identify(proto::Mac::from_key(board_mac), std::nullopt).board->serial(), proto::Serial(0x1234abcd));
    ClientIdentity own = m->identify(proto::Mac::from_key(board_mac), proto::Serial(0x1234abcd));
    ASSERT_NE(own.board, nullptr);
    EXPECT_TRUE(own.by_mac);
    EXPECT_EQ(own.conflict, nullptr);
    ASSERT_TRUE(m->reserved_for(proto::Mac::from_key(board_mac), proto::Serial(0x1234abcd)));
    EXPECT_TRUE(m->reserved_for(proto::Mac::from_key(board_mac), proto::Serial(0x1234abcd))->by_mac);
    // Another MAC claiming its serial: no board, a conflict, no reservation.
    ClientIdentity stolen = m->identify(proto::Mac::from_key(thief), proto::Serial(0x1234abcd));
    EXPECT_EQ(stolen.board, nullptr);
    ASSERT_NE(stolen.conflict, nullptr);
    EXPECT_EQ(stolen.conflict->serial(), proto::Serial(0x1234abcd));
    EXPECT_FALSE(m->reserved_for(proto::Mac::from_key(thief), proto::Serial(0x1234abcd)));
    // The board's MAC claiming another board's serial: a conflict too (the MAC is the first board's).
    ClientIdentity swapped = m->identify(proto::Mac::from_key(board_mac), proto::Serial(0x0badc0de));
    EXPECT_EQ(swapped.board, nullptr);
    ASSERT_NE(swapped.conflict, nullptr);
    EXPECT_EQ(swapped.conflict->serial(), proto::Serial(0x1234abcd));
    // A board that lists none is named by the serial, from any MAC; its reservation is not by MAC.
    ClientIdentity claimed = m->identify(proto::Mac::from_key(thief), proto::Serial(0x0badc0de));
    ASSERT_NE(claimed.board, nullptr);
    EXPECT_EQ(claimed.board->serial(), proto::Serial(0x0badc0de));
    EXPECT_FALSE(claimed.by_mac);
    EXPECT_FALSE(m->reserved_for(proto::Mac::from_key(thief), proto::Serial(0x0badc0de))->by_mac);
    // A configured MAC outranks the same MAC learnt by a board that lists none.
    EXPECT_EQ(m->identify(proto::Mac::from_key(learnt), std::nullopt).board->serial(), proto::Serial(0x5555aaaa));
    EXPECT_EQ(m->by_mac(proto::Mac::from_key(thief)), nullptr);  // learnt by a board that lists MACs: not indexed
    // An unknown serial from an unknown MAC: nobody, no conflict.
    ClientIdentity nobody = m->identify(proto::Mac::from_key(0x02aa00000001), proto::Serial(0x77777777));
    EXPECT_EQ(nobody.board, nullptr);
    EXPECT_EQ(nobody.conflict, nullptr);
}

TEST_F(LiveMap, HundredThousandBoardsCostUnder256BytesEach) {
    BootMapBuilder bld(root_);
    constexpr std::uint32_t kBoards = 100'000;
    bld.reserve(kBoards);
    for (std::uint32_t i = 0; i < kBoards; ++i) {
        std::uint64_t mac = 0xdca632000000 + i;
        std::uint32_t ip = 0x0a100000 + i;
        bld.add(proto::Serial(0x10000000 + i), i % 2 ? a_ : b_, true, ip, std::span<const std::uint64_t>(&mac, 1), {});
    }
    auto m = bld.build(1);
    EXPECT_EQ(m->board_count(), kBoards);
    EXPECT_LT(m->memory_bytes() / kBoards, 256u) << m->memory_bytes() << " bytes";
    EXPECT_EQ(m->resolve("10000007/x", proto::Ipv4()).dirfd, a_->fd());
    EXPECT_EQ(m->by_mac(proto::Mac::from_key(0xdca632000000 + 99'999))->serial(), proto::Serial(0x10000000 + 99'999));
}

TEST(EpochDomain, ReclaimWaitsForEveryReaderThatIsOnline) {
    auto dom = std::make_unique<EpochDomain>(3);
    EpochDomain* d = dom.get();
    auto dir = fs::temp_directory_path();
    BootMapCell cell(std::move(dom), test::unwrap(static_boot_map(dir.string(), {})));
    for (unsigned r = 0; r < 3; ++r) cell.quiescent(r);
    const BootMap* first = cell.current();
    cell.publish(test::unwrap(static_boot_map(dir.string(), {})));
    EXPECT_NE(cell.current(), first);
    EXPECT_EQ(cell.reclaim(), 1u);  // nobody has reported since
    cell.quiescent(0);
    cell.quiescent(1);
    EXPECT_EQ(cell.reclaim(), 1u);  // reader 2 lags
    d->offline(2);                  // ...until it leaves
    EXPECT_EQ(cell.reclaim(), 0u);
    d->online(2);
    cell.publish(test::unwrap(static_boot_map(dir.string(), {})));
    cell.quiescent(0);
    cell.quiescent(1);
    EXPECT_EQ(cell.reclaim(), 1u);  // back online: counted again
    cell.quiescent(2);
    EXPECT_EQ(cell.reclaim(), 0u);
}

TEST(EpochDomain, ReadersOnOtherThreadsNeverSeeAFreedMap) {
    auto dir = fs::temp_directory_path().string();
    BootMapCell cell(std::make_unique<EpochDomain>(2), test::unwrap(static_boot_map(dir, {})));
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> reads{0};
    std::vector<std::thread> readers;
    for (unsigned r = 0; r < 2; ++r) {
        readers.emplace_back([&, r] {
            std::uint64_t last = 0;
            while (!stop.load()) {
                cell.quiescent(r);
                const BootMap* m = cell.current();
                std::uint64_t g = m->generation();  // a freed map would read garbage (ASan: use after free)
                EXPECT_GE(g, last);
                last = g;
                reads.fetch_add(1);
            }
        });
    }
    for (std::uint64_t g = 2; g < 2000; ++g) {
        BootMapBuilder b(test::unwrap(TreeHandle::open(dir)));
        cell.publish(b.build(g));
        cell.reclaim();
    }
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_GT(reads.load(), 0u);
    EXPECT_EQ(cell.generation(), 1999u);
}

TEST(OpenPins, AnOpenInFlightHoldsItsMap) {
    OpenPins p;
    EXPECT_TRUE(p.clear_before(5));
    std::uint32_t a = p.pin(3);
    std::uint32_t b = p.pin(3);
    std::uint32_t c = p.pin(4);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_TRUE(p.clear_before(3));
    EXPECT_FALSE(p.clear_before(4));
    p.unpin(a);
    EXPECT_FALSE(p.clear_before(4));
    p.unpin(b);
    EXPECT_TRUE(p.clear_before(4));
    EXPECT_FALSE(p.clear_before(5));
    p.unpin(c);
    EXPECT_TRUE(p.clear_before(100));
    EXPECT_EQ(p.in_flight(), 0u);
    // 64 generations with opens in flight: the 65th is refused, not tracked wrongly.
    std::vector<std::uint32_t> pins;
    for (std::uint64_t g = 10; g < 10 + OpenPins::kBuckets; ++g) pins.push_back(p.pin(g));
    EXPECT_EQ(p.pin(1000), OpenPins::kNoPin);
    EXPECT_NE(p.pin(10 + OpenPins::kBuckets - 1), OpenPins::kNoPin);  // the newest still takes more
    for (std::uint32_t id : pins) p.unpin(id);
    p.unpin(pins.back());
    EXPECT_TRUE(p.clear_before(2000));
}

// Payload bytes of every DATA sent to the client, in order, ACKing each.
std::string fetch(ServiceHarness& h, const std::string& file, proto::Nanos& now, bool move_after_first,
                  BootMapCell* cell, std::unique_ptr<const BootMap> next) {
    h.deliver(7000, test::TftpHarness::kWellKnownPort, test::rrq(file), now);
    std::string got;
    for (int guard = 0; guard < 100; ++guard) {
        while (h.waiting_on_disk() > 0) h.poll(now);
        h.poll(now);
        std::vector<test::TftpSent> sent = h.take_sent();
        if (sent.empty()) break;
        const test::Bytes& d = sent.back().payload;
        if (d.size() < 4 || d[1] != 3)
            return got + "<not DATA: opcode " + std::to_string(d.size() > 1 ? d[1] : -1) + ">";
        got.append(d.begin() + 4, d.end());
        if (move_after_first && next) {
            cell->publish(std::move(next));  // the board moves while the transfer runs
            h.service().quiescent_point();
        }
        auto block = static_cast<std::uint16_t>((d[2] << 8) | d[3]);
        now += 1'000'000;
        h.deliver(7000, sent.back().server_port, test::ack(block), now);
        if (d.size() < 516) break;
    }
    return got;
}

TEST_F(LiveMap, ATransferKeepsTheFileItOpenedAndTheNextSeesTheNewImage) {
    BootMapCell cell(std::make_unique<EpochDomain>(1), map(a_, true, 1));
    ServiceHarness h(&cell);
    proto::Nanos now = 1'000'000'000;
    std::string first = fetch(h, "aabbccdd/file.bin", now, true, &cell, map(b_, true, 2));
    EXPECT_EQ(first, std::string(3000, 'a'));
    EXPECT_EQ(cell.generation(), 2u);
    std::string second = fetch(h, "aabbccdd/file.bin", now, false, &cell, nullptr);
    EXPECT_EQ(second, std::string(3000, 'b'));
    h.service().quiescent_point();
    EXPECT_EQ(cell.reclaim(), 0u);  // the worker moved on: the old map is gone
}

TEST_F(LiveMap, AnOpenInFlightDelaysTheQuiescentState) {
    BootMapCell cell(std::make_unique<EpochDomain>(1), map(a_, true, 1));
    ServiceHarness h(&cell);
    proto::Nanos now = 1'000'000'000;
    h.deliver(7000, test::TftpHarness::kWellKnownPort, test::rrq("aabbccdd/file.bin"), now);
    ASSERT_GT(h.waiting_on_disk(), 0u);  // the open names map 1's directory and has not run
    cell.publish(map(b_, true, 2));
    h.service().quiescent_point();
    EXPECT_EQ(cell.reclaim(), 1u);  // map 1 stays while its open is in flight
    while (h.waiting_on_disk() > 0) h.poll(now);
    h.service().quiescent_point();
    EXPECT_EQ(cell.reclaim(), 0u);
}

TEST_F(LiveMap, NetbootOffIsNotFoundAndCounted) {
    BootMapCell cell(std::make_unique<EpochDomain>(1), map(a_, false, 1));
    ServiceHarness h(&cell);
    h.deliver(7000, test::TftpHarness::kWellKnownPort, test::rrq("aabbccdd/file.bin"), 0);
    std::vector<test::TftpSent> sent = h.take_sent();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].payload[1], 5);  // ERROR
    EXPECT_EQ(sent[0].payload[3], 1);  // file not found
    EXPECT_EQ(h.counters().tftp_drops[static_cast<std::size_t>(TftpDrop::netboot_off)].get(), 1u);
}

}  // namespace
}  // namespace rackboot::dataplane
