#include "dataplane/timer_wheel.h"

#include <vector>

#include <gtest/gtest.h>

namespace rackboot::dataplane {
namespace {

using proto::kMillisecond;
using proto::kSecond;
using proto::Nanos;

TEST(TimerWheel, FiresAtOrAfterTheDeadlineNeverBefore) {
    TimerWheel w(8);
    Nanos base = 100 * kSecond;
    std::vector<std::uint32_t> fired;
    auto collect = [&](std::uint32_t id) { fired.push_back(id); };
    w.expire(base, collect);
    w.arm(1, base + kSecond);
    w.arm(2, base + 10 * kMillisecond);
    w.expire(base + 5 * kMillisecond, collect);
    EXPECT_TRUE(fired.empty());
    w.expire(base + 20 * kMillisecond, collect);
    EXPECT_EQ(fired, std::vector<std::uint32_t>{2});
    w.expire(base + kSecond, collect);
    EXPECT_EQ(fired, (std::vector<std::uint32_t>{2, 1}));
    EXPECT_FALSE(w.armed(1));
}

TEST(TimerWheel, DeadlinesBeyondTheHorizonWaitForTheirTurn) {
    TimerWheel w(4);
    Nanos base = 50 * kSecond;
    std::vector<std::uint32_t> fired;
    auto collect = [&](std::uint32_t id) { fired.push_back(id); };
    w.expire(base, collect);
    w.arm(0, base + 30 * kSecond);  // > 8.6 s horizon
    for (Nanos t = base; t < base + 30 * kSecond; t += 100 * kMillisecond) w.expire(t, collect);
    EXPECT_TRUE(fired.empty());
    w.expire(base + 30 * kSecond + 10 * kMillisecond, collect);
    EXPECT_EQ(fired, std::vector<std::uint32_t>{0});
}

TEST(TimerWheel, CancelAndRearm) {
    TimerWheel w(4);
    std::vector<std::uint32_t> fired;
    auto collect = [&](std::uint32_t id) { fired.push_back(id); };
    w.expire(0, collect);
    w.arm(0, kSecond);
    w.arm(1, kSecond);
    w.arm(2, kSecond);
    w.cancel(1);
    w.arm(2, 2 * kSecond);
    w.expire(kSecond + kMillisecond * 10, collect);
    EXPECT_EQ(fired, std::vector<std::uint32_t>{0});
    // A callback may re-arm the timer it is called for.
    w.expire(3 * kSecond, [&](std::uint32_t id) {
        fired.push_back(id);
        w.arm(id, 4 * kSecond);
    });
    EXPECT_EQ(fired, (std::vector<std::uint32_t>{0, 2}));
    EXPECT_TRUE(w.armed(2));
    EXPECT_GE(w.next_deadline(), 3 * kSecond);
}

TEST(TimerWheel, LongSleepDoesNotLoopOverEveryTick) {
    TimerWheel w(2);
    std::vector<std::uint32_t> fired;
    w.expire(kSecond, [&](std::uint32_t id) { fired.push_back(id); });
    w.arm(0, 2 * kSecond);
    w.expire(100'000 * kSecond, [&](std::uint32_t id) { fired.push_back(id); });
    EXPECT_EQ(fired, std::vector<std::uint32_t>{0});
}

}  // namespace
}  // namespace rackboot::dataplane
