// The worker's retransmit floor learnt from its path (RttGuard, issue 19 "Loss recovery"): twice
// the longest round trip of the last 10 s, raised at once, forgotten second by second.
#include "dataplane/rtt_guard.h"

#include <gtest/gtest.h>

namespace rackboot::dataplane {
namespace {

using proto::kMillisecond;
using proto::kSecond;
using proto::Nanos;

constexpr Nanos kStart = 1000 * kSecond;

TEST(RttGuard, NothingMeasuredIsNoFloor) {
    RttGuard g;
    EXPECT_EQ(g.floor(), 0);
    g.advance(kStart);
    EXPECT_EQ(g.floor(), 0);
    EXPECT_EQ(g.floor_ptr(), g.floor_ptr());
}

TEST(RttGuard, TheFloorIsTwiceTheLongestRoundTripAndRisesAtOnce) {
    RttGuard g;
    g.add(1 * kMillisecond, kStart);
    EXPECT_EQ(g.floor(), 2 * kMillisecond);
    g.add(300 * proto::kMicrosecond, kStart + kMillisecond);  // a shorter one lowers nothing
    EXPECT_EQ(g.floor(), 2 * kMillisecond);
    g.add(7 * kMillisecond, kStart + 2 * kMillisecond);  // a late ACK: the floor covers it now
    EXPECT_EQ(*g.floor_ptr(), 14 * kMillisecond);
}

TEST(RttGuard, ALateRoundTripIsRememberedTenSecondsThenForgotten) {
    RttGuard g;
    g.add(20 * kMillisecond, kStart);  // one spike
    for (int s = 1; s < RttGuard::kSeconds; ++s) {
        g.add(1 * kMillisecond, kStart + s * kSecond);
        EXPECT_EQ(g.floor(), 40 * kMillisecond) << "second " << s;
    }
    g.add(1 * kMillisecond, kStart + RttGuard::kSeconds * kSecond);
    EXPECT_EQ(g.floor(), 2 * kMillisecond);
    // A quiet path forgets everything, however long it was quiet.
    g.advance(kStart + 100 * kSecond);
    EXPECT_EQ(g.floor(), 0);
}

TEST(RttGuard, AdvanceWithoutSamplesDropsTheOldestSecondOnly) {
    RttGuard g;
    g.add(10 * kMillisecond, kStart);
    g.add(4 * kMillisecond, kStart + 5 * kSecond);
    g.advance(kStart + 9 * kSecond + 999 * kMillisecond);
    EXPECT_EQ(g.floor(), 20 * kMillisecond);
    g.advance(kStart + 10 * kSecond);
    EXPECT_EQ(g.floor(), 8 * kMillisecond);
    g.advance(kStart + 15 * kSecond);
    EXPECT_EQ(g.floor(), 0);
}

}  // namespace
}  // namespace rackboot::dataplane
