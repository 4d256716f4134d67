// Admission to the path's capacity (issue 19): the ACK clock's rate, the processor-sharing plan
// check, the boot waiting room at DHCP and the DISCOVERs it holds. TftpService's holds are table cases
// (tftp_cases.cpp).
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/boot_admission.h"
#include "dataplane/delivery_rate.h"
#include "dataplane/held_discovers.h"
#include "dataplane/path_admission.h"

namespace rackboot::dataplane {
namespace {

using proto::kMillisecond;
using proto::kSecond;
using proto::Nanos;

constexpr Nanos kStart = 1000 * kSecond;

// `bytes_per_s` acknowledged in 10 ms steps from `from` for `for_ns`.
void feed(DeliveryRate& r, std::uint64_t bytes_per_s, Nanos from, Nanos for_ns) {
    for (Nanos t = from; t < from + for_ns; t += 10 * kMillisecond) r.add(bytes_per_s / 100, t);
    r.advance(from + for_ns);
}

TEST(DeliveryRate, MeasuresASteadyAckClock) {
    DeliveryRate r;
    EXPECT_EQ(r.bytes_per_second(), 0u);
    feed(r, 5'000'000, kStart, 3 * kSecond);
    EXPECT_NEAR(static_cast<double>(r.bytes_per_second()), 5e6, 5e6 * 0.02);
    EXPECT_NEAR(static_cast<double>(r.last_second()), 5e6, 5e6 * 0.02);
}

TEST(DeliveryRate, NothingIsMeasuredUntilAWholeSecondHasBeen) {
    DeliveryRate r;
    feed(r, 2'000'000, kStart + 50 * kMillisecond, 900 * kMillisecond);  // began mid-bin: a part second
    EXPECT_EQ(r.bytes_per_second(), 0u);
    feed(r, 2'000'000, kStart + 950 * kMillisecond, 300 * kMillisecond);
    EXPECT_NEAR(static_cast<double>(r.bytes_per_second()), 2e6, 2e6 * 0.06);
}

TEST(DeliveryRate, KeepsTheBestSecondForTenSecondsThenForgetsIt) {
    DeliveryRate r;
    feed(r, 8'000'000, kStart, 2 * kSecond);
    feed(r, 1'000'000, kStart + 2 * kSecond, 5 * kSecond);  // a lull in demand
    EXPECT_NEAR(static_cast<double>(r.bytes_per_second()), 8e6, 8e6 * 0.02);
    EXPECT_NEAR(static_cast<double>(r.last_second()), 1e6, 1e6 * 0.05);
    feed(r, 1'000'000, kStart + 7 * kSecond, 6 * kSecond);  // the 8 MB/s second is 11 s old now
    EXPECT_NEAR(static_cast<double>(r.bytes_per_second()), 1e6, 1e6 * 0.05);
    r.advance(kStart + 40 * kSecond);  // silence
    EXPECT_EQ(r.bytes_per_second(), 0u);
}

TEST(PlansHold, ProcessorSharingEndsTheSmallerFirst) {
    // 1 MB/s shared by 100 KB and 500 KB: the small one ends after 200 ms (two shares), the big
    // one after 600 ms (all the bytes).
    PlannedWork w[] = {{500'000, kStart + 600 * kMillisecond}, {100'000, kStart + 200 * kMillisecond}};
    EXPECT_TRUE(plans_hold(w, 1'000'000, kStart));
    PlannedWork late_big[] = {{500'000, kStart + 599 * kMillisecond}, {100'000, kStart + 200 * kMillisecond}};
    EXPECT_FALSE(plans_hold(late_big, 1'000'000, kStart));
    PlannedWork late_small[] = {{500'000, kStart + 600 * kMillisecond}, {100'000, kStart + 199 * kMillisecond}};
    EXPECT_FALSE(plans_hold(late_small, 1'000'000, kStart));
    EXPECT_TRUE(plans_hold({}, 0, kStart));
    PlannedWork one[] = {{1, kStart + kSecond}};
    EXPECT_FALSE(plans_hold(one, 0, kStart));  // no rate carries anything
}

TEST(PlansHold, ATransferWhoseClientGaveUpKeepsNoPlanAndHoldsNothing) {
    // Due by its plan while that lies ahead; slipped past it, by its client's file timeout.
    auto due = running_plan(500'000, kStart + kSecond, kStart + 3 * kSecond, false, 1'000'000, kStart);
    ASSERT_TRUE(due);
    EXPECT_EQ(due->plan, kStart + kSecond);
    EXPECT_EQ(due->remaining, 500'000u);
    auto slipped = running_plan(500'000, kStart - kSecond, kStart + kSecond, false, 1'000'000, kStart);
    ASSERT_TRUE(slipped);
    EXPECT_EQ(slipped->plan, kStart + kSecond);
    // A file no path ends in a file timeout counts what the rate carries by then.
    auto unfit = running_plan(9'000'000, kStart + kSecond, kStart + 3 * kSecond, true, 1'000'000, kStart);
    ASSERT_TRUE(unfit);
    EXPECT_EQ(unfit->remaining, 1'000'000u);
    // Past its client's timeout (a Pi powered off mid-file, or booting again): no plan. Kept, it
    // could never end by it, and every new transfer would be held behind it: a rack powered on
    // again right after its boot waited on its first boot's leftovers and failed together.
    EXPECT_FALSE(running_plan(500'000, kStart - 2 * kSecond, kStart, false, 1'000'000, kStart));
    auto left = running_plan(500'000, kStart - 2 * kSecond, kStart - kSecond, false, 1'000'000, kStart);
    EXPECT_FALSE(left);
    PlannedWork fresh{100'000, kStart + kSecond};
    std::vector<PlannedWork> with_it = {fresh, PlannedWork{500'000, kStart - kSecond}};
    EXPECT_FALSE(plans_hold(with_it, 1'000'000, kStart));  // what holding on to it did
    std::vector<PlannedWork> without = {fresh};
    EXPECT_TRUE(plans_hold(without, 1'000'000, kStart));
}

// A board whose single worker carries `rate` with `clients` boots in progress, its largest file
// `largest`, and `held` transfers waiting.
void publish(PathBoard& b, std::uint64_t rate, std::uint32_t clients, std::uint64_t largest, std::uint32_t held = 0) {
    WorkerPath& w = b.worker(0);
    w.rate = rate;
    w.clients = clients;
    w.running = clients;
    w.largest = largest;
    w.held = held;
}

BootAdmissionConfig enabled() {
    BootAdmissionConfig c;
    c.enabled = true;
    c.target = 20 * kSecond;
    c.unmeasured = 4;
    c.room = 64;
    return c;
}

constexpr Nanos kPi4 = 45 * kSecond;
constexpr Nanos kPi3 = 25 * kSecond;

TEST(BootAdmission, AdmitsWhatTheRateHasRoomForAndHoldsTheRest) {
    PathBoard board(1);
    // 15 MB/s, 8 MB largest file, two thirds of a 20 s plan: room for 25 boots; 23 in progress.
    publish(board, 15'000'000, 23, 8'000'000);
    BootAdmission a(enabled(), &board);
    EXPECT_TRUE(a.admit(1, kPi4, kStart));
    EXPECT_TRUE(a.admit(2, kPi4, kStart));
    EXPECT_FALSE(a.admit(3, kPi4, kStart));           // 23 + 2 just started: full
    EXPECT_TRUE(a.admit(1, kPi4, kStart + kSecond));  // an admitted Pi's DISCOVER again: answered
    BootAdmissionFigures f = a.figures();
    EXPECT_EQ(f.admitted, 2u);
    EXPECT_EQ(f.held, 1u);
    EXPECT_EQ(f.waiting, 1u);
    EXPECT_EQ(f.room, 25u);
    // Three seconds on, the two count as started no more (their transfers would show as clients;
    // here two other boots ended): room for Pi 3 at its next DISCOVER.
    publish(board, 15'000'000, 23, 8'000'000);
    EXPECT_TRUE(a.admit(3, kPi4, kStart + 4 * kSecond));
    EXPECT_EQ(a.figures().waiting, 0u);
}

TEST(BootAdmission, HeldTransfersStopNewBootsButOneMayAlwaysStart) {
    PathBoard board(1);
    publish(board, 15'000'000, 1, 8'000'000, 1);  // room for 25, but a transfer waits
    BootAdmission a(enabled(), &board);
    EXPECT_FALSE(a.admit(1, kPi4, kStart));
    publish(board, 15'000'000, 0, 8'000'000, 0);
    board.worker(0).running = 0;
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 4 * kSecond));
    // Nothing measured and nothing in progress: `unmeasured` boots at once.
    PathBoard idle(1);
    BootAdmission b(enabled(), &idle);
    for (std::uint64_t mac = 1; mac <= 4; ++mac) EXPECT_TRUE(b.admit(mac, kPi4, kStart)) << mac;
    EXPECT_FALSE(b.admit(5, kPi4, kStart));
}

TEST(BootAdmission, RoomGoesToTheEarliestFirstSeenPlusWindowAndTheShorterWindowFirst) {
    PathBoard board(1);
    publish(board, 15'000'000, 25, 8'000'000);  // full
    BootAdmission a(enabled(), &board);
    EXPECT_FALSE(a.admit(10, kPi4, kStart));                // key start + 45
    EXPECT_FALSE(a.admit(11, kPi3, kStart + kSecond));      // key start + 26: a Pi 3 gives up sooner
    EXPECT_FALSE(a.admit(12, kPi4, kStart + 2 * kSecond));  // key start + 47
    publish(board, 15'000'000, 24, 8'000'000);              // room for one
    EXPECT_FALSE(a.admit(12, kPi4, kStart + 4 * kSecond));  // not its turn: the grant is the Pi 3's
    EXPECT_TRUE(a.admit(11, kPi3, kStart + 5 * kSecond));   // its next DISCOVER takes it
    publish(board, 15'000'000, 23, 8'000'000);              // room for one more (1 just started)
    EXPECT_FALSE(a.admit(12, kPi4, kStart + 6 * kSecond));  // 10 is ahead of it
    EXPECT_TRUE(a.admit(10, kPi4, kStart + 8 * kSecond));
}

TEST(BootAdmission, AGrantNotTakenUpGoesToTheNextWaiter) {
    PathBoard board(1);
    publish(board, 15'000'000, 25, 8'000'000);
    BootAdmission a(enabled(), &board);
    EXPECT_FALSE(a.admit(1, kPi4, kStart));
    EXPECT_FALSE(a.admit(2, kPi4, kStart + kSecond));
    publish(board, 15'000'000, 24, 8'000'000);
    a.tick(kStart + 2 * kSecond);  // granted to 1, which has gone quiet (powered off, say)
    EXPECT_FALSE(a.admit(2, kPi4, kStart + 5 * kSecond));
    a.tick(kStart + 13 * kSecond);  // 1 neither took its grant nor was heard: 2 is next
    EXPECT_TRUE(a.admit(2, kPi4, kStart + 14 * kSecond));
}

TEST(BootAdmission, APiKeepsItsPlaceAcrossItsFirmwaresRetries) {
    PathBoard board(1);
    publish(board, 15'000'000, 25, 8'000'000);
    BootAdmission a(enabled(), &board);
    EXPECT_FALSE(a.admit(1, kPi4, kStart));  // waits, then gives up after 45 s (its EEPROM loops)
    for (Nanos t = kStart + kSecond; t < kStart + 45 * kSecond; t += 4 * kSecond) {
        EXPECT_FALSE(a.admit(static_cast<std::uint64_t>(100 + (t - kStart) / kSecond), kPi4, t));  // newcomers
    }
    a.tick(kStart + 50 * kSecond);
    publish(board, 15'000'000, 24, 8'000'000);             // room for one, as Pi 1 comes back
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 52 * kSecond));  // ahead of every newcomer
    // Forgotten two minutes after it was last heard (its place with it).
    publish(board, 15'000'000, 25, 8'000'000);
    EXPECT_FALSE(a.admit(2, kPi4, kStart + 53 * kSecond));
    a.tick(kStart + 200 * kSecond);
    EXPECT_EQ(a.figures().waiting, 0u);
}

TEST(BootAdmission, AnAdmittedPiHeardAgainAfterItsDhcpRetriesWaitsForRoomAgain) {
    PathBoard board(1);
    publish(board, 15'000'000, 0, 8'000'000);  // room for 25, none in progress
    BootAdmission a(enabled(), &board);
    for (std::uint64_t mac = 1; mac <= 3; ++mac) EXPECT_TRUE(a.admit(mac, kPi4, kStart)) << mac;
    // Its OFFER lost: the firmware's next DISCOVERs (4 s, 8 s) are answered whatever the room.
    publish(board, 15'000'000, 25, 8'000'000);
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 4 * kSecond));
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 8 * kSecond));
    // The rack power-cycled 20 s into its boot: every Pi comes back while the path is full, and
    // waits (with 60 s of answers, the whole rack came back past the room at once), in its old
    // place: ahead of a newcomer that came first to this cycle.
    EXPECT_FALSE(a.admit(9, kPi4, kStart + 19 * kSecond));
    for (std::uint64_t mac = 1; mac <= 3; ++mac) EXPECT_FALSE(a.admit(mac, kPi4, kStart + 20 * kSecond)) << mac;
    EXPECT_EQ(a.figures().waiting, 4u);
    publish(board, 15'000'000, 24, 8'000'000);  // room for one
    EXPECT_FALSE(a.admit(9, kPi4, kStart + 23 * kSecond));
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 24 * kSecond));
}

TEST(BootAdmission, APiThatRequestedIsANewBootAtItsNextDiscover) {
    PathBoard board(1);
    publish(board, 15'000'000, 0, 8'000'000);  // room for 25, none in progress
    BootAdmission a(enabled(), &board);
    for (std::uint64_t mac = 1; mac <= 3; ++mac) {
        EXPECT_TRUE(a.admit(mac, kPi4, kStart + static_cast<Nanos>(mac) * kMillisecond)) << mac;
    }
    a.requested(1);  // Pi 4s: DISCOVER, OFFER, REQUEST
    a.requested(2);
    a.requested(9);                             // never admitted: nothing to end
    publish(board, 15'000'000, 25, 8'000'000);  // the path is full now
    // Pi 3 never REQUESTs (the Pi 3 ROM's way): its DISCOVERs are retries for kAdmittedFor.
    EXPECT_TRUE(a.admit(3, kPi4, kStart + 4 * kSecond));
    EXPECT_TRUE(a.admit(3, kPi4, kStart + 8 * kSecond));
    // The rack power-cycled 2 s into its boot: Pi 1's DHCP was answered, so this is a new boot,
    // which waits for room (when every Pi's DISCOVERs were answered for 12 s, or for 5 s after
    // its REQUEST, the whole rack came back past the room).
    EXPECT_FALSE(a.admit(1, kPi4, kStart + 2 * kSecond));
    EXPECT_EQ(a.figures().waiting, 1u);
    // Pi 2's ACK was lost: its EEPROM starts over 4 s on, and waits in its place like any new boot.
    EXPECT_FALSE(a.admit(2, kPi4, kStart + 4 * kSecond));
    EXPECT_EQ(a.figures().waiting, 2u);
    // In their old places: room for one goes to Pi 1 (first seen first), not to a newcomer.
    EXPECT_FALSE(a.admit(1, kPi4, kStart + 6 * kSecond));  // its firmware's next DISCOVER
    EXPECT_FALSE(a.admit(7, kPi4, kStart + 7 * kSecond));
    publish(board, 15'000'000, 24, 8'000'000);
    EXPECT_FALSE(a.admit(7, kPi4, kStart + 8 * kSecond));
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 8 * kSecond));
    publish(board, 15'000'000, 25, 8'000'000);  // its boot's transfers show
    // Admitted again: its DISCOVERs are retries until it REQUESTs again.
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 12 * kSecond));
    a.requested(1);
    EXPECT_FALSE(a.admit(1, kPi4, kStart + 13 * kSecond));
    EXPECT_FALSE(a.admit(3, kPi4, kStart + 13 * kSecond));  // past kAdmittedFor
    EXPECT_EQ(a.figures().waiting, 4u);
}

TEST(BootAdmission, OffAnswersEveryone) {
    PathBoard board(1);
    publish(board, 15'000'000, 1000, 8'000'000, 5);
    BootAdmissionConfig c = enabled();
    c.enabled = false;
    BootAdmission a(c, &board);
    for (std::uint64_t mac = 1; mac <= 100; ++mac) EXPECT_TRUE(a.admit(mac, kPi4, kStart));
}

TEST(BootAdmission, AFullRoomHoldsWithoutAPlace) {
    PathBoard board(1);
    publish(board, 15'000'000, 25, 8'000'000);
    BootAdmissionConfig c = enabled();
    c.room = 4;
    BootAdmission a(c, &board);
    for (std::uint64_t mac = 1; mac <= 10; ++mac) EXPECT_FALSE(a.admit(mac, kPi4, kStart));
    EXPECT_EQ(a.figures().waiting, 4u);
    EXPECT_EQ(a.figures().held, 10u);
}

TEST(BootAdmission, RoomFreedIsGrantedWithinATenthOfASecondAndTheGrantsAreHandedOut) {
    PathBoard board(1);
    publish(board, 15'000'000, 25, 8'000'000);
    BootAdmission a(enabled(), &board);
    EXPECT_FALSE(a.admit(1, kPi4, kStart));
    EXPECT_FALSE(a.admit(2, kPi4, kStart + 10 * kMillisecond));
    EXPECT_FALSE(a.admit(3, kPi4, kStart + 20 * kMillisecond));
    std::uint64_t mac = 0;
    EXPECT_FALSE(a.next_grant(mac));
    publish(board, 15'000'000, 23, 8'000'000);  // two boots ended
    a.tick(kStart + 50 * kMillisecond);         // under 100 ms since the last share-out: nothing yet
    EXPECT_FALSE(a.next_grant(mac));
    a.tick(kStart + 150 * kMillisecond);
    ASSERT_TRUE(a.next_grant(mac));
    EXPECT_EQ(mac, 1u);
    ASSERT_TRUE(a.next_grant(mac));
    EXPECT_EQ(mac, 2u);
    EXPECT_FALSE(a.next_grant(mac));
    // The two granted are admitted at their (replayed) DISCOVER; the third still waits.
    EXPECT_TRUE(a.admit(1, kPi4, kStart + 151 * kMillisecond));
    EXPECT_TRUE(a.admit(2, kPi4, kStart + 151 * kMillisecond));
    EXPECT_FALSE(a.admit(3, kPi4, kStart + 152 * kMillisecond));
}

TEST(BootAdmission, RoomFreedAllAtOnceIsGrantedAtThePaceThePathEndsLargestFiles) {
    PathBoard board(1);
    // 16 MB/s, 8 MB largest file: room for 26 boots, and the path ends two largest files a second.
    publish(board, 16'000'000, 26, 8'000'000);
    BootAdmission a(enabled(), &board);
    for (std::uint64_t mac = 1; mac <= 20; ++mac) EXPECT_FALSE(a.admit(mac, kPi4, kStart)) << mac;
    // A whole wave ends together: room for 26 at once. Two seconds of the pace (four boots) are
    // granted now, then two a second, so the boots let in end apart and room keeps freeing.
    publish(board, 16'000'000, 0, 8'000'000);
    board.worker(0).running = 1;  // (not an idle path, where one boot may always start)
    auto granted = [&] {
        int n = 0;
        std::uint64_t mac = 0;
        while (a.next_grant(mac)) ++n;
        return n;
    };
    a.tick(kStart + 100 * kMillisecond);
    EXPECT_EQ(granted(), 4);
    a.tick(kStart + 300 * kMillisecond);
    EXPECT_EQ(granted(), 0);
    a.tick(kStart + 600 * kMillisecond);  // half a second of pace: one boot
    EXPECT_EQ(granted(), 1);
    a.tick(kStart + 1600 * kMillisecond);
    EXPECT_EQ(granted(), 2);
    EXPECT_EQ(a.figures().room, 26u);
    // A path that does not queue is not what limits the boots: no pace (the rest at once).
    board.worker(0).queue = false;
    a.tick(kStart + 1700 * kMillisecond);
    EXPECT_EQ(granted(), 13);
}

std::vector<std::uint8_t> datagram(std::uint8_t tag, std::size_t n = 300) {
    return std::vector<std::uint8_t>(n, tag);
}

TEST(HeldDiscovers, KeepsEachPisLatestDiscoverWhileItListens) {
    HeldDiscovers h(8);
    DhcpOrigin o{proto::Ipv4(0x0a000001), 3, {}};
    auto first = datagram(1), second = datagram(2, 400);
    EXPECT_TRUE(h.keep(7, first, o, kStart));
    EXPECT_TRUE(h.keep(7, second, o, kStart + kSecond));  // resent: a new transaction ID
    EXPECT_EQ(h.size(), 1u);
    HeldDiscover out;
    ASSERT_TRUE(h.take(7, kStart + 3 * kSecond, out));  // 2 s after the latest: still listening
    EXPECT_EQ(out.length, 400u);
    EXPECT_EQ(out.bytes[0], 2);
    EXPECT_EQ(out.origin.ifindex, 3);
    EXPECT_FALSE(h.take(7, kStart + 3 * kSecond, out));  // taken once
    // Too late: the Pi has stopped listening for it (and resends anyway).
    EXPECT_TRUE(h.keep(8, first, o, kStart));
    EXPECT_FALSE(h.take(8, kStart + HeldDiscovers::kListening, out));
    EXPECT_EQ(h.size(), 0u);
    // Answered otherwise: forgotten.
    EXPECT_TRUE(h.keep(9, first, o, kStart));
    h.forget(9);
    EXPECT_FALSE(h.take(9, kStart, out));
}

TEST(HeldDiscovers, AFullStoreMakesRoomOnlyFromDiscoversNoLongerListenedFor) {
    HeldDiscovers h(2);
    DhcpOrigin o{};
    auto d = datagram(1);
    EXPECT_TRUE(h.keep(1, d, o, kStart));
    EXPECT_TRUE(h.keep(2, d, o, kStart + kSecond));
    EXPECT_FALSE(h.keep(3, d, o, kStart + 2 * kSecond));  // both still listened for
    EXPECT_TRUE(h.keep(3, d, o, kStart + 3 * kSecond));   // 1 is stale: its slot is reused
    HeldDiscover out;
    EXPECT_FALSE(h.take(1, kStart + 3 * kSecond, out));
    EXPECT_TRUE(h.take(2, kStart + 3 * kSecond, out));
    EXPECT_TRUE(h.take(3, kStart + 3 * kSecond, out));
    // Larger than a slot: not kept, and an older one of the same Pi is dropped with it.
    EXPECT_TRUE(h.keep(4, d, o, kStart));
    EXPECT_FALSE(h.keep(4, datagram(1, 2000), o, kStart));
    EXPECT_FALSE(h.take(4, kStart, out));
}

}  // namespace
}  // namespace rackboot::dataplane
