// The transfer engine driven step by step with a virtual clock: every option, loss, duplication,
// reordering, rollover and the Pi's probe habits.
#include "proto/tftp_transfer.h"

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

using Kind = TftpAction::Kind;

struct Harness {
    TftpTransfer t;
    TftpLimits limits;
    Nanos now = 1000 * kSecond;

    TftpAction start(std::uint64_t size, std::initializer_list<TftpOption> options = {}) {
        TftpOptionList list;
        for (const auto& o : options) list.items[list.count++] = o;
        TftpNegotiated n;
        EXPECT_TRUE(negotiate_tftp_options(list, TftpMode::Octet, size, limits, n).ok);
        return t.start(n, size, limits, now);
    }
    TftpAction ack(std::uint16_t block) { return t.on_ack(block, now); }
    TftpAction fire() {
        now = t.deadline();
        return t.on_timer(now);
    }
};

void expect_data(const TftpAction& a, std::uint64_t first, std::uint32_t count, bool retransmit = false) {
    EXPECT_EQ(a.kind, Kind::Data);
    EXPECT_EQ(a.first_block, first);
    EXPECT_EQ(a.count, count);
    EXPECT_EQ(a.retransmit, retransmit);
}

TEST(TftpTransfer, PlainRfc1350TransferSendsBlocksInLockStep) {
    Harness h;
    expect_data(h.start(1300), 1, 1);
    EXPECT_EQ(h.t.block_length(1), 512u);
    EXPECT_EQ(h.t.block_length(3), 276u);
    expect_data(h.ack(1), 2, 1);
    expect_data(h.ack(2), 3, 1);
    EXPECT_EQ(h.ack(3).kind, Kind::None);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, ExactMultipleOfBlksizeEndsWithAnEmptyBlock) {
    Harness h;
    expect_data(h.start(1024), 1, 1);
    EXPECT_EQ(h.t.total_blocks(), 3u);
    expect_data(h.ack(1), 2, 1);
    expect_data(h.ack(2), 3, 1);
    EXPECT_EQ(h.t.block_length(3), 0u);
    h.ack(3);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, EmptyFileIsOneEmptyBlock) {
    Harness h;
    expect_data(h.start(0), 1, 1);
    EXPECT_EQ(h.t.block_length(1), 0u);
    h.ack(1);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, OptionsGetAnOackAndWaitForAckZero) {
    Harness h;
    EXPECT_EQ(h.start(5000, {{"blksize", "1468"}, {"tsize", "0"}}).kind, Kind::Oack);
    EXPECT_TRUE(h.t.oack_pending());
    EXPECT_EQ(h.ack(5).kind, Kind::None);  // not ACK 0: ignored
    EXPECT_EQ(h.t.last_event(), TftpEvent::StrayAck);
    expect_data(h.ack(0), 1, 1);
    EXPECT_TRUE(h.t.at_block_zero());
    EXPECT_EQ(h.t.block_length(1), 1468u);
    expect_data(h.ack(1), 2, 1);
    expect_data(h.ack(2), 3, 1);
    expect_data(h.ack(3), 4, 1);
    EXPECT_EQ(h.t.block_length(4), 5000u - 3 * 1468u);
    h.ack(4);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, DuplicateAckNeverSendsData) {
    Harness h;
    h.start(4096);
    expect_data(h.ack(1), 2, 1);
    EXPECT_EQ(h.ack(1).kind, Kind::None);  // the Sorcerer's Apprentice stops here
    EXPECT_EQ(h.t.last_event(), TftpEvent::DuplicateAck);
    EXPECT_EQ(h.ack(1).kind, Kind::None);
    expect_data(h.ack(2), 3, 1);
}

TEST(TftpTransfer, AckForABlockNotYetSentIsStray) {
    Harness h;
    h.start(4096);
    EXPECT_EQ(h.ack(5).kind, Kind::None);
    EXPECT_EQ(h.t.last_event(), TftpEvent::StrayAck);
    EXPECT_EQ(h.t.acked_blocks(), 0u);
}

TEST(TftpTransfer, LostDataIsResentOnlyWhenTheTimerFiresWithBackoff) {
    Harness h;
    h.limits.max_backoff = 4 * kSecond;
    Nanos t0 = h.now;
    h.start(4096);
    EXPECT_EQ(h.t.deadline(), t0 + kSecond);
    EXPECT_EQ(h.t.on_timer(t0 + kSecond / 2).kind, Kind::None);  // too early
    expect_data(h.fire(), 1, 1, true);
    EXPECT_EQ(h.t.deadline() - h.now, 2 * kSecond);
    expect_data(h.fire(), 1, 1, true);
    EXPECT_EQ(h.t.deadline() - h.now, 4 * kSecond);
    expect_data(h.fire(), 1, 1, true);
    EXPECT_EQ(h.t.deadline() - h.now, 4 * kSecond);  // capped
    expect_data(h.ack(1), 2, 1);                     // progress resets the back-off
    EXPECT_EQ(h.t.deadline() - h.now, kSecond);
}

TEST(TftpTransfer, RetriesExhaustedAfterProgressIsATimeout) {
    Harness h;
    h.limits.max_retries = 3;
    h.start(4096);
    h.ack(1);
    for (int i = 0; i < 3; ++i) expect_data(h.fire(), 2, 1, true);
    EXPECT_EQ(h.fire().kind, Kind::None);
    EXPECT_EQ(h.t.result(), TftpResult::Timeout);
    EXPECT_EQ(h.t.last_event(), TftpEvent::RetriesExhausted);
}

TEST(TftpTransfer, AdaptiveTimeoutResendsAfterTheMeasuredRoundTrip) {
    Harness h;
    h.limits.min_rto = 50 * kMillisecond;
    h.start(100'000);
    EXPECT_EQ(h.t.deadline() - h.now, kSecond);  // nothing measured yet: the timeout
    for (std::uint16_t b = 1; b <= 20; ++b) {
        h.now += kMillisecond;  // a LAN round trip
        expect_data(h.ack(b), b + 1u, 1);
    }
    EXPECT_GE(h.t.smoothed_rtt(), kMillisecond - kMicrosecond);
    EXPECT_EQ(h.t.deadline() - h.now, 50 * kMillisecond);   // the floor, not a second
    expect_data(h.fire(), 21, 1, true);                     // DATA 21 was lost
    EXPECT_EQ(h.t.deadline() - h.now, 100 * kMillisecond);  // backing off from there
    // Karn: the ACK of a retransmitted block, however late, is no sample.
    Nanos srtt = h.t.smoothed_rtt();
    h.now += 90 * kMillisecond;
    expect_data(h.ack(21), 22, 1);
    EXPECT_EQ(h.t.smoothed_rtt(), srtt);
    // A slow client raises the estimate: 300 ms round trips give a timeout above them.
    for (std::uint16_t b = 22; b <= 60; ++b) {
        h.now += 300 * kMillisecond;
        expect_data(h.ack(b), b + 1u, 1);
    }
    EXPECT_GT(h.t.deadline() - h.now, 300 * kMillisecond);
    EXPECT_LE(h.t.deadline() - h.now, kSecond);  // never above the timeout
}

TEST(TftpTransfer, AnAdaptiveTimeoutRetriesSoonerButGivesUpNoSooner) {
    Harness h;
    h.limits.min_rto = 50 * kMillisecond;
    h.start(100'000);
    h.now += kMillisecond;
    h.ack(1);
    Nanos silent_from = h.now;
    int resends = 0;
    while (h.t.result() == TftpResult::Running && resends < 100) {
        if (h.fire().kind == Kind::Data) ++resends;
    }
    EXPECT_EQ(h.t.result(), TftpResult::Timeout);
    EXPECT_GT(resends, 5);
    // The fixed schedule's silence: 1 + 2 + 4 + 4 + 4 + 4 s (timeout 1 s, cap 4 s, 5 retries).
    EXPECT_GE(h.now - silent_from, 19 * kSecond);
    EXPECT_LT(h.now - silent_from, 24 * kSecond);
}

TEST(TftpTransfer, ARealLossLowersTheFloorALateAckDoesNot) {
    Harness h;
    h.limits.min_rto = 50 * kMillisecond;
    h.limits.loss_rto = 5 * kMillisecond;
    h.start(100'000);
    for (std::uint16_t b = 1; b <= 5; ++b) {
        h.now += kMillisecond;
        expect_data(h.ack(b), b + 1u, 1);
    }
    EXPECT_EQ(h.t.deadline() - h.now, 50 * kMillisecond);
    // A late ACK: resent at 50 ms, answered 0.5 ms later (sooner than a round trip). Spurious:
    // no loss, the floor stays; Karn's rule: no sample.
    expect_data(h.fire(), 6, 1, true);
    h.now += kMillisecond / 2;
    expect_data(h.ack(6), 7, 1);
    EXPECT_TRUE(h.t.last_ack_spurious());
    EXPECT_FALSE(h.t.lossy());
    EXPECT_EQ(h.t.last_rtt(), -1);
    EXPECT_EQ(h.t.deadline() - h.now, 50 * kMillisecond);
    // An ACK answering the resend only much later proves nothing either.
    expect_data(h.fire(), 7, 1, true);
    h.now += 30 * kMillisecond;
    expect_data(h.ack(7), 8, 1);
    EXPECT_FALSE(h.t.last_ack_spurious());
    EXPECT_FALSE(h.t.lossy());
    for (std::uint16_t b = 8; b <= 60; ++b) {
        h.now += kMillisecond;
        expect_data(h.ack(b), b + 1u, 1);
    }
    EXPECT_EQ(h.t.deadline() - h.now, 50 * kMillisecond);
    // A real loss: the resend is answered a round trip later. The floor falls to loss_rto.
    expect_data(h.fire(), 61, 1, true);
    h.now += kMillisecond;
    expect_data(h.ack(61), 62, 1);
    EXPECT_FALSE(h.t.last_ack_spurious());
    EXPECT_TRUE(h.t.lossy());
    EXPECT_LT(h.t.deadline() - h.now, 50 * kMillisecond);
    EXPECT_GE(h.t.deadline() - h.now, 5 * kMillisecond);
}

TEST(TftpTransfer, TheCallersFloorHoldsTheTimeoutUpToAQuarterOfIt) {
    Harness h;
    Nanos guard = 30 * kMillisecond;
    h.limits.min_rto = 5 * kMillisecond;
    h.limits.rto_floor = &guard;
    h.start(100'000);
    h.now += kMillisecond;
    expect_data(h.ack(1), 2, 1);
    EXPECT_EQ(h.t.deadline() - h.now, 30 * kMillisecond);
    guard = 0;  // the caller moves it: read at every arm
    h.now += kMillisecond;
    expect_data(h.ack(2), 3, 1);
    EXPECT_LT(h.t.deadline() - h.now, 30 * kMillisecond);
    guard = 5 * kSecond;  // never above a quarter of the timeout
    h.now += kMillisecond;
    expect_data(h.ack(3), 4, 1);
    EXPECT_EQ(h.t.deadline() - h.now, kSecond / 4);
}

TEST(TftpTransfer, AnAckAsLateAsTheClientsOwnTimeoutIsNoSample) {
    Harness h;
    h.limits.min_rto = 50 * kMillisecond;
    h.start(100'000);
    // DATA 1's ACK was lost; the client repeated it after its own 1 s, just before our timer.
    h.now += kSecond - kMillisecond;
    expect_data(h.ack(1), 2, 1);
    EXPECT_EQ(h.t.last_rtt(), -1);
    EXPECT_EQ(h.t.smoothed_rtt(), -1);
    h.now += kMillisecond;
    expect_data(h.ack(2), 3, 1);
    EXPECT_EQ(h.t.last_rtt(), kMillisecond);
}

TEST(TftpTransfer, ClientAckTimeoutNegotiatedIsUsed) {
    Harness h;
    h.limits.min_rto = 50 * kMillisecond;  // adaptation never overrides what the client asked
    h.start(100, {{"timeout", "3"}});
    EXPECT_EQ(h.t.deadline() - h.now, 3 * kSecond);
    EXPECT_EQ(h.fire().kind, Kind::Oack);
    h.now += kMillisecond;
    h.ack(0);
    EXPECT_EQ(h.t.deadline() - h.now, 3 * kSecond);
}

TEST(TftpTransfer, WindowsizeSendsAWindowPerAck) {
    Harness h;
    ASSERT_EQ(h.start(1468 * 40 + 10, {{"blksize", "1468"}, {"windowsize", "16"}}).kind, Kind::Oack);
    expect_data(h.ack(0), 1, 16);
    expect_data(h.ack(16), 17, 16);
    expect_data(h.ack(32), 33, 9);  // 41 blocks in all
    h.ack(41);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, PartialWindowAckTopsUpWithoutResending) {
    Harness h;
    h.start(512 * 100, {{"windowsize", "8"}});
    expect_data(h.ack(0), 1, 8);
    // Receiver saw 1..5 and lost 6 (RFC 7440): only never-sent blocks go out now.
    expect_data(h.ack(5), 9, 5);
    EXPECT_EQ(h.t.acked_blocks(), 5u);
    // Its timeout makes it ACK 5 again: a duplicate, ignored.
    EXPECT_EQ(h.ack(5).kind, Kind::None);
    // Our timer resends the window from the first missing block.
    expect_data(h.fire(), 6, 8, true);
    expect_data(h.ack(13), 14, 8);
}

TEST(TftpTransfer, ReorderedAcksDoNotMoveTheWindowBack) {
    Harness h;
    h.start(512 * 100, {{"windowsize", "4"}});
    expect_data(h.ack(0), 1, 4);
    expect_data(h.ack(4), 5, 4);
    EXPECT_EQ(h.ack(2).kind, Kind::None);  // late, older ACK
    EXPECT_EQ(h.t.acked_blocks(), 4u);
    expect_data(h.ack(8), 9, 4);
}

TEST(TftpTransfer, BlockNumbersRollOverPast65535) {
    Harness h;
    // 70,000 blocks of 512: past the 16-bit block number, as a 34 MB file would be.
    std::uint64_t size = 512ull * 70'000 + 7;
    h.start(size);
    for (std::uint64_t b = 1; b < 70'001; ++b) {
        TftpAction a = h.ack(static_cast<std::uint16_t>(b));
        ASSERT_EQ(a.kind, Kind::Data) << b;
        ASSERT_EQ(a.first_block, b + 1);
        if (b == 65535) {
            EXPECT_EQ(static_cast<std::uint16_t>(a.first_block), 0);  // wire block 0 follows 65535
            EXPECT_EQ(h.t.block_offset(a.first_block), 512ull * 65535);
        }
    }
    EXPECT_EQ(h.t.block_length(70'001), 7u);
    h.ack(static_cast<std::uint16_t>(70'001));
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

TEST(TftpTransfer, RolloverWithAWindowAcrossTheWrap) {
    Harness h;
    h.start(512ull * 66'000, {{"windowsize", "8"}});
    h.ack(0);
    std::uint64_t acked = 0;
    while (acked + 8 < 65'540) {
        acked += 8;
        ASSERT_EQ(h.ack(static_cast<std::uint16_t>(acked)).kind, Kind::Data);
    }
    EXPECT_EQ(h.t.acked_blocks(), acked);
    EXPECT_GT(acked, 65535u);
}

TEST(TftpTransfer, ProbeAbortedByErrorAfterOack) {
    Harness h;
    h.start(2'253'088, {{"tsize", "0"}, {"blksize", "1024"}});
    h.t.on_error(h.now);
    EXPECT_EQ(h.t.result(), TftpResult::Aborted);
    EXPECT_EQ(h.t.last_event(), TftpEvent::ProbeAbort);
}

TEST(TftpTransfer, ProbeAbortedBySilenceIsNotATimeout) {
    Harness h;
    h.limits.max_retries = 2;
    h.start(2'253'088, {{"tsize", "0"}});
    EXPECT_EQ(h.fire().kind, Kind::Oack);
    EXPECT_EQ(h.fire().kind, Kind::Oack);
    EXPECT_EQ(h.fire().kind, Kind::None);
    EXPECT_EQ(h.t.result(), TftpResult::Aborted);
    EXPECT_EQ(h.t.last_event(), TftpEvent::ProbeAbort);
}

TEST(TftpTransfer, ErrorAfterFirstDataWithoutAckIsStillAProbe) {
    Harness h;
    h.start(4096);
    h.t.on_error(h.now);
    EXPECT_EQ(h.t.last_event(), TftpEvent::ProbeAbort);
}

TEST(TftpTransfer, ErrorMidTransferIsAClientAbort) {
    Harness h;
    h.start(4096);
    h.ack(1);
    h.t.on_error(h.now);
    EXPECT_EQ(h.t.result(), TftpResult::Aborted);
    EXPECT_EQ(h.t.last_event(), TftpEvent::ClientError);
}

TEST(TftpTransfer, NothingHappensAfterTheEnd) {
    Harness h;
    h.start(10);
    h.ack(1);
    ASSERT_TRUE(h.t.finished());
    EXPECT_EQ(h.ack(1).kind, Kind::None);
    EXPECT_EQ(h.t.on_timer(h.now + 100 * kSecond).kind, Kind::None);
    h.t.on_error(h.now);
    EXPECT_EQ(h.t.result(), TftpResult::Complete);
}

}  // namespace
}  // namespace rackboot::proto
