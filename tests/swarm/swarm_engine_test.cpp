// The engine's side of the wire with no server: each Pi's frames carry its own MAC and address,
// ARP is answered for every Pi, replies reach the Pi they are for, faults drop and count, and the
// run's bound stops Pis still booting.
#include "swarm/swarm_engine.h"

#include <gtest/gtest.h>

#include "proto/net_frames.h"
#include "proto/tftp_codec.h"

namespace rackboot::swarm {
namespace {

using proto::FrameInfo;
using proto::Ipv4;

struct Capture : FrameTx {
    std::vector<std::vector<std::uint8_t>> frames;
    void send(proto::ConstBytes f) override { frames.emplace_back(f.begin(), f.end()); }
};

SwarmOptions three_pis() {
    SwarmOptions o;
    o.eal = "x";
    o.pis = 3;
    o.pool_first = Ipv4(0x0a000064);
    o.pool_last = Ipv4(0x0a0000c8);
    o.server = Ipv4(0x0a000001);
    o.duration_s = 60;
    return o;
}

const proto::LocalAddress kServer{{0x02, 0, 0, 0, 0, 1}, Ipv4(0x0a000001)};

TEST(SwarmEngine, EachPiFramesItsOwnRequestsAndArpIsAnsweredForEveryPi) {
    SwarmOptions o = three_pis();
    Manifest m;
    SwarmEngine e(o, m, nullptr);
    Capture tx;
    proto::Nanos t = proto::kSecond;
    e.start(t);
    e.poll(t, tx);
    ASSERT_EQ(tx.frames.size(), 3u);  // a static address each: straight to ARP for the server
    std::vector<FrameInfo> arps;
    for (std::size_t i = 0; i < 3; ++i) {
        FrameInfo f = proto::classify_frame(tx.frames[i], kServer, Ipv4{}, true);
        ASSERT_EQ(f.kind, FrameInfo::Kind::ArpRequest);
        EXPECT_EQ(f.src_ip, Ipv4(0x0a000064 + static_cast<std::uint32_t>(i)));
        EXPECT_EQ(f.src_mac, e.pi(i).config().pi.mac);
        arps.push_back(f);
    }
    EXPECT_EQ(e.phases().arp, 3u);

    // The server asks who has Pi 1's address: Pi 1 answers.
    std::vector<std::uint8_t> q(64);
    q.resize(proto::build_arp_request(q, kServer, Ipv4(0x0a000065), false));
    tx.frames.clear();
    e.on_frame(q, t, tx);
    ASSERT_EQ(tx.frames.size(), 1u);
    FrameInfo reply = proto::classify_frame_any_address(tx.frames[0], true);
    ASSERT_EQ(reply.kind, FrameInfo::Kind::ArpReply);
    EXPECT_EQ(reply.src_mac, e.pi(1).config().pi.mac);
    EXPECT_EQ(reply.src_ip, Ipv4(0x0a000065));

    // The server's ARP replies: each Pi sends its first RRQ, unicast from its own address.
    tx.frames.clear();
    for (const FrameInfo& a : arps) {
        std::vector<std::uint8_t> r(64);
        r.resize(proto::build_arp_reply(r, kServer, a));
        e.on_frame(r, t, tx);
    }
    ASSERT_EQ(tx.frames.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        FrameInfo f = proto::classify_frame(tx.frames[i], kServer, Ipv4{}, true);  // checksums verified
        ASSERT_EQ(f.kind, FrameInfo::Kind::Udp);
        EXPECT_EQ(f.src_mac, e.pi(i).config().pi.mac);
        EXPECT_EQ(f.dst_mac, kServer.mac);
        EXPECT_EQ(f.src_ip, e.pi(i).address());
        EXPECT_EQ(f.dst_port, 69);
        proto::TftpPacket p;
        ASSERT_EQ(proto::parse_tftp(f.payload, p), proto::TftpParseError::none);
        char want[32];
        std::snprintf(want, sizeof want, "%s/start4.elf", e.pi(i).config().pi.serial.to_string().c_str());
        EXPECT_EQ(p.filename, want);
    }
    EXPECT_EQ(e.phases().tftp, 3u);

    // A frame for an address no Pi holds is ignored and counted.
    std::vector<std::uint8_t> stray(64);
    stray.resize(proto::build_arp_request(stray, kServer, Ipv4(0x0a0000fe), false));
    tx.frames.clear();
    e.on_frame(stray, t, tx);
    EXPECT_TRUE(tx.frames.empty());
    EXPECT_EQ(e.stats().frames_ignored, 1u);

    // The run's bound: every Pi still booting is stopped, as failed "stopped".
    EXPECT_FALSE(e.finished(t));
    EXPECT_TRUE(e.finished(t + 61 * proto::kSecond));
    e.stop(t + 61 * proto::kSecond);
    EXPECT_EQ(e.stats().failed, 3u);
    EXPECT_EQ(e.stats().failed_by[static_cast<std::size_t>(proto::PiFailure::stopped)], 3u);
}

TEST(SwarmEngine, FrameFaultsDropDuplicateAndCorruptByDirection) {
    SwarmOptions o = three_pis();
    o.frame_faults.loss[0] = 1;  // every frame to the server lost
    Manifest m;
    SwarmEngine lossy(o, m, nullptr);
    Capture tx;
    lossy.start(0);
    lossy.poll(0, tx);
    EXPECT_TRUE(tx.frames.empty());
    EXPECT_EQ(lossy.stats().lost[0], 3u);

    SwarmOptions d = three_pis();
    d.frame_faults.dup[0] = 1;
    d.frame_faults.corrupt[1] = 1;  // every frame from the server corrupted: its checksum fails
    SwarmEngine dup(d, m, nullptr);
    Capture tx2;
    dup.start(0);
    dup.poll(0, tx2);
    EXPECT_EQ(tx2.frames.size(), 6u);
    EXPECT_EQ(dup.stats().duplicated[0], 3u);
    FrameInfo a = proto::classify_frame_any_address(tx2.frames[0], true);
    std::vector<std::uint8_t> r(64);
    r.resize(proto::build_arp_reply(r, kServer, a));  // ARP has no checksum: it still arrives
    tx2.frames.clear();
    dup.on_frame(r, 0, tx2);
    EXPECT_EQ(dup.phases().tftp, 1u);
    EXPECT_EQ(dup.stats().corrupted[1], 0u);  // only UDP frames are corrupted (the payload's last byte)
}

TEST(SwarmEngine, ReorderedFramesGoAfterTheNextOrWithinAMillisecond) {
    SwarmOptions o = three_pis();
    o.frame_faults.reorder[0] = 1;
    Manifest m;
    SwarmEngine e(o, m, nullptr);
    Capture tx;
    e.start(0);
    e.poll(0, tx);
    auto sender = [&](std::size_t k) { return proto::classify_frame_any_address(tx.frames[k], true).src_ip; };
    ASSERT_EQ(tx.frames.size(), 2u);  // Pi 0's ARP held, Pi 1's sent, then Pi 0's; Pi 2's held
    EXPECT_EQ(sender(0), Ipv4(0x0a000065));
    EXPECT_EQ(sender(1), Ipv4(0x0a000064));
    e.poll(proto::kMillisecond / 2, tx);
    EXPECT_EQ(tx.frames.size(), 2u);
    e.poll(2 * proto::kMillisecond, tx);  // held no longer than a millisecond
    ASSERT_EQ(tx.frames.size(), 3u);
    EXPECT_EQ(sender(2), Ipv4(0x0a000066));
    EXPECT_EQ(e.stats().reordered[0], 2u);
    EXPECT_EQ(e.stats().frames_tx, 3u);
}

TEST(SwarmEngine, ALinkCarriesFramesAtItsRate) {
    SwarmOptions o = three_pis();
    o.link_bps = 1'000'000;  // 1 Mb/s: a 42-byte ARP request is 84 bytes on the wire, 672 µs
    Manifest m;
    SwarmEngine e(o, m, nullptr);
    Capture tx;
    e.start(0);
    e.poll(0, tx);
    EXPECT_TRUE(tx.frames.empty());  // on the link, not through it yet
    e.poll(671 * proto::kMicrosecond, tx);
    EXPECT_TRUE(tx.frames.empty());
    e.poll(672 * proto::kMicrosecond, tx);
    EXPECT_EQ(tx.frames.size(), 1u);
    e.poll(3 * 672 * proto::kMicrosecond, tx);
    EXPECT_EQ(tx.frames.size(), 3u);
    EXPECT_EQ(e.link(0).stats().frames, 3u);
    // The server's answer waits its turn on the way back too.
    FrameInfo a = proto::classify_frame_any_address(tx.frames[0], true);
    std::vector<std::uint8_t> r(64);
    r.resize(proto::build_arp_reply(r, kServer, a));
    Capture tx2;
    e.on_frame(r, 3 * proto::kMillisecond, tx2);
    EXPECT_EQ(e.phases().tftp, 0u);
    e.poll(3 * proto::kMillisecond + 672 * proto::kMicrosecond, tx2);
    EXPECT_EQ(e.phases().tftp, 1u);
}

TEST(SwarmEngine, AFailedBootStartsOverAfterTheFirmwaresDelay) {
    SwarmOptions o = three_pis();  // nobody answers ARP: each attempt fails with arp_timeout
    o.pis = 1;
    o.attempts = 2;
    o.retry_delay_s = 5;
    o.duration_s = 600;
    Manifest m;
    SwarmEngine e(o, m, nullptr);
    Capture tx;
    e.start(0);
    std::vector<proto::Nanos> sent;
    for (proto::Nanos t = 0; t < 300 * proto::kSecond && !e.finished(t); t += 10 * proto::kMillisecond) {
        e.poll(t, tx);
        for (std::size_t i = sent.size(); i < tx.frames.size(); ++i) sent.push_back(t);
    }
    EXPECT_EQ(e.stats().failed, 1u);
    EXPECT_EQ(e.stats().attempts_retried, 1u);
    EXPECT_EQ(e.pi(0).attempts(), 2);
    // The longest silence between two ARP requests is the delay between the attempts.
    proto::Nanos gap = 0;
    for (std::size_t i = 1; i < sent.size(); ++i) gap = std::max(gap, sent[i] - sent[i - 1]);
    EXPECT_GE(gap, 5 * proto::kSecond);
    EXPECT_LT(gap, 7 * proto::kSecond);
}

TEST(SwarmEngine, RampAndMaxInFlightPaceThePowerOns) {
    SwarmOptions o = three_pis();
    o.ramp_s = 2;
    Manifest m;
    SwarmEngine e(o, m, nullptr);
    Capture tx;
    e.start(0);
    e.poll(0, tx);
    EXPECT_EQ(e.stats().boots_started, 1u);
    e.poll(proto::kSecond, tx);
    EXPECT_EQ(e.stats().boots_started, 2u);
    e.poll(2 * proto::kSecond, tx);
    EXPECT_EQ(e.stats().boots_started, 3u);

    SwarmOptions c = three_pis();
    c.max_in_flight = 2;
    SwarmEngine capped(c, m, nullptr);
    capped.start(0);
    capped.poll(0, tx);
    EXPECT_EQ(capped.stats().boots_started, 2u);
    EXPECT_EQ(capped.stats().max_in_flight, 2u);
}

}  // namespace
}  // namespace rackboot::swarm
