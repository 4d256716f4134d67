// The fleet's link (issue 19): frames leave at the port's rate, in order, each after its wire
// time; a queue fuller than the buffer drops the frame (tail drop); with no rate, no link.
#include "swarm/link.h"

#include <vector>

#include <gtest/gtest.h>

namespace rackboot::swarm {
namespace {

using proto::kMicrosecond;
using proto::Nanos;

std::vector<std::uint8_t> frame(std::size_t n, std::uint8_t tag) {
    return std::vector<std::uint8_t>(n, tag);
}

TEST(Link, FramesLeaveAtTheRateInOrder) {
    Link l(1'000'000'000, 64 * 1024);  // 1 Gb/s: 8 ns a wire byte
    ASSERT_TRUE(l.enabled());
    auto a = frame(1476, 1), b = frame(1476, 2);  // 1500 wire bytes each: 12 µs
    EXPECT_TRUE(l.offer(a, 0));
    EXPECT_TRUE(l.offer(b, 0));
    std::vector<std::uint8_t> out;
    l.release(11 * kMicrosecond, [&](proto::ConstBytes f) { out.push_back(f[0]); });
    EXPECT_TRUE(out.empty());
    l.release(12 * kMicrosecond, [&](proto::ConstBytes f) { out.push_back(f[0]); });
    EXPECT_EQ(out, std::vector<std::uint8_t>({1}));
    EXPECT_EQ(l.next_release(), 24 * kMicrosecond);
    l.release(24 * kMicrosecond, [&](proto::ConstBytes f) { out.push_back(f[0]); });
    EXPECT_EQ(out, std::vector<std::uint8_t>({1, 2}));
    EXPECT_EQ(l.stats().frames, 2u);
    EXPECT_EQ(l.stats().wire_bytes, 3000u);
    // A short frame is padded to the minimum on the wire: 84 bytes, 672 ns.
    auto c = frame(42, 3);
    EXPECT_TRUE(l.offer(c, 100 * kMicrosecond));
    EXPECT_EQ(l.next_release(), 100 * kMicrosecond + 672);
}

TEST(Link, AFullQueueDropsTheFrameThatArrives) {
    Link l(100'000'000, 4500);  // 100 Mb/s, room for three 1500-byte frames
    auto f = frame(1476, 7);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.offer(f, 0)) << i;
    EXPECT_FALSE(l.offer(f, 0));  // tail drop
    EXPECT_EQ(l.stats().dropped, 1u);
    EXPECT_EQ(l.stats().max_queue, 4500u);
    // One frame time later (120 µs) one has left: room for one more.
    EXPECT_TRUE(l.offer(f, 120 * kMicrosecond));
    EXPECT_FALSE(l.offer(f, 120 * kMicrosecond));
    int n = 0;
    l.release(10'000 * kMicrosecond, [&](proto::ConstBytes) { ++n; });
    EXPECT_EQ(n, 4);
}

TEST(Link, NoRateIsNoLink) {
    Link l(0, 1024);
    EXPECT_FALSE(l.enabled());
}

}  // namespace
}  // namespace rackboot::swarm
