// The Pi's request habits, decided from the state of the transfers a client already has.
#include "proto/tftp_rrq_policy.h"

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

TftpTransfer started(bool with_options) {
    TftpTransfer t;
    TftpNegotiated n;
    TftpOptionList o;
    if (with_options) o.items[o.count++] = {"tsize", "0"};
    EXPECT_TRUE(negotiate_tftp_options(o, TftpMode::Octet, 100'000, TftpLimits{}, n).ok);
    t.start(n, 100'000, TftpLimits{}, 0);
    return t;
}

TEST(RrqPolicy, NewRequestStarts) {
    EXPECT_EQ(decide_rrq({}), RrqDecision::Start);
}

TEST(RrqPolicy, RetransmittedRrqFromTheSamePortIsIgnored) {
    TftpTransfer t = started(true);
    EXPECT_EQ(decide_rrq({&t, true, nullptr}), RrqDecision::IgnoreRetransmit);
    EXPECT_EQ(decide_rrq({&t, false, nullptr}), RrqDecision::ReplaceSamePort);
}

TEST(RrqPolicy, TheSameFileFromTheSamePortAfterASilenceIsARestart) {
    // A board rebooted and its firmware asked from the same port: its old transfer had data
    // acknowledged and has been resending since. Healthy, the same request is a repeat.
    TftpTransfer t = started(true);
    t.on_ack(0, 1);
    t.on_ack(1, 2);
    EXPECT_EQ(decide_rrq({&t, true, nullptr}), RrqDecision::IgnoreRetransmit);
    (void)t.on_timer(t.deadline());
    ASSERT_TRUE(t.retrying());
    EXPECT_EQ(decide_rrq({&t, true, nullptr}), RrqDecision::ReplaceSamePort);
    TftpTransfer probe = started(true);  // OACK resent, never acknowledged: still a repeat
    (void)probe.on_timer(probe.deadline());
    EXPECT_EQ(decide_rrq({&probe, true, nullptr}), RrqDecision::IgnoreRetransmit);
}

TEST(RrqPolicy, RaceAtBlockZeroSupersedesTheFirstTransfer) {
    TftpTransfer t = started(true);
    t.on_ack(0, 1);  // RRQ -> OACK -> ACK 0
    ASSERT_TRUE(t.at_block_zero());
    EXPECT_EQ(decide_rrq({nullptr, false, &t}), RrqDecision::SupersedeRace);
}

TEST(RrqPolicy, SilentProbeThenRestart) {
    TftpTransfer oack = started(true);  // OACK sent, no reply: the Pi went quiet and asked again
    EXPECT_EQ(decide_rrq({nullptr, false, &oack}), RrqDecision::SupersedeProbe);
    TftpTransfer plain = started(false);  // DATA 1 sent, no ACK
    EXPECT_EQ(decide_rrq({nullptr, false, &plain}), RrqDecision::SupersedeProbe);
}

TEST(RrqPolicy, TransferWithProgressIsLeftAlone) {
    TftpTransfer t = started(false);
    t.on_ack(1, 1);
    EXPECT_EQ(decide_rrq({nullptr, false, &t}), RrqDecision::Start);
}

TEST(RrqPolicy, FinishedTransfersDoNotCount) {
    TftpTransfer t = started(true);
    t.on_error(1);
    EXPECT_EQ(decide_rrq({&t, true, &t}), RrqDecision::Start);
}

TEST(RecentProbes, RemembersWithinTheWindowOnce) {
    RecentProbes p;
    const Ipv4 a{0x7f000001}, b{0x7f000002};
    p.record(a, 42, 0);
    EXPECT_FALSE(p.take(a, 43, kSecond));
    EXPECT_FALSE(p.take(b, 42, kSecond));
    EXPECT_TRUE(p.take(a, 42, kSecond));
    EXPECT_FALSE(p.take(a, 42, kSecond));
    p.record(b, 1, 0);
    EXPECT_FALSE(p.take(b, 1, RecentProbes::kWindow + 1));
}

}  // namespace
}  // namespace rackboot::proto
