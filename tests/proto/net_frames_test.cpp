#include "proto/net_frames.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "proto/inet_checksum.h"

namespace rackboot::proto {
namespace {

const LocalAddress kUs{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}, Ipv4(0x0a000001)};
const Mac kPi = {0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d};
constexpr Ipv4 kPiIp{0x0a000064};
constexpr Ipv4 kBroadcast24{0x0a0000ff};

TEST(InetChecksum, Rfc1071ExampleAndOddPieces) {
    std::vector<std::uint8_t> b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    InetChecksum c;
    c.add(b);
    EXPECT_EQ(c.finish(), static_cast<std::uint16_t>(~0xddf2));
    std::mt19937 rng(3);
    std::vector<std::uint8_t> data(1001);
    for (auto& x : data) x = static_cast<std::uint8_t>(rng());
    InetChecksum whole;
    whole.add(data);
    for (std::size_t cut : {1u, 3u, 500u, 990u}) {
        InetChecksum parts;
        parts.add(ConstBytes(data.data(), cut));
        parts.add(ConstBytes(data.data() + cut, 7));
        parts.add(ConstBytes(data.data() + cut + 7, data.size() - cut - 7));
        EXPECT_EQ(parts.finish(), whole.finish()) << cut;
    }
}

// RFC 1071 word by word, the plain way: the fast sum must agree with it at every length, every
// alignment of the pointer, and on all-ones data where every step carries.
std::uint16_t reference_checksum(const std::uint8_t* p, std::size_t n) {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
    if (n % 2 != 0) s += static_cast<std::uint32_t>(p[n - 1] << 8);
    while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(~s & 0xffff);
}

TEST(InetChecksum, MatchesWordByWordAtEveryLengthAndAlignment) {
    std::mt19937 rng(11);
    std::vector<std::uint8_t> random(2100), ones(2100, 0xff);
    for (auto& x : random) x = static_cast<std::uint8_t>(rng());
    for (const auto* data : {&random, &ones}) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            for (std::size_t n = 0; n <= 2000; n += (n < 80 ? 1 : 37)) {
                InetChecksum c;
                c.add(ConstBytes(data->data() + offset, n));
                ASSERT_EQ(c.finish(), reference_checksum(data->data() + offset, n))
                    << "offset " << offset << " n " << n;
            }
        }
    }
}

// A remembered sum of a piece (taken from an even start) added at any position of a stream equals
// summing the bytes there: at an odd position its bytes swap.
TEST(InetChecksum, RememberedSumsAddAtOddAndEvenPositions) {
    std::mt19937 rng(5);
    std::vector<std::uint8_t> data(3001);
    for (auto& x : data) x = static_cast<std::uint8_t>(rng());
    for (std::size_t cut : {0u, 1u, 4u, 333u, 1468u, 2999u}) {
        for (std::size_t len : {0u, 1u, 2u, 333u, 1468u}) {
            if (cut + len > data.size()) continue;
            InetChecksum direct;
            direct.add(ConstBytes(data.data(), cut + len));
            InetChecksum piece;
            piece.add(ConstBytes(data.data() + cut, len));
            InetChecksum memo;
            memo.add(ConstBytes(data.data(), cut));
            memo.add_sum(piece.partial(), len);
            ASSERT_EQ(memo.finish(), direct.finish()) << "cut " << cut << " len " << len;
            memo.add(ConstBytes(data.data() + cut + len, data.size() - cut - len));  // and bytes after it
            direct.add(ConstBytes(data.data() + cut + len, data.size() - cut - len));
            ASSERT_EQ(memo.finish(), direct.finish()) << "cut " << cut << " len " << len;
        }
    }
}

std::vector<std::uint8_t> udp_frame(Ipv4 dst_ip, std::vector<std::uint8_t> payload, bool checksum = true) {
    std::vector<std::uint8_t> f(kUdpFrameOverhead + payload.size());
    ConstBytes piece(payload);
    std::uint16_t sum = checksum ? udp_checksum(kPiIp, dst_ip, 2000, 69, &piece, 1) : 0;
    EXPECT_EQ(build_udp_headers(f, kPi, kUs.mac, kPiIp, dst_ip, 2000, 69, payload.size(), 7, sum), kUdpFrameOverhead);
    std::copy(payload.begin(), payload.end(), f.begin() + kUdpFrameOverhead);
    return f;
}

TEST(NetFrames, UdpToUsBroadcastOrOthers) {
    auto f = udp_frame(kUs.ip, {0, 1, 'a', 0, 'o', 'c', 't', 'e', 't', 0});
    FrameInfo i = classify_frame(f, kUs, kBroadcast24, true);
    ASSERT_EQ(i.kind, FrameInfo::Kind::Udp);
    EXPECT_EQ(i.src_ip, kPiIp);
    EXPECT_EQ(i.src_port, 2000);
    EXPECT_EQ(i.dst_port, 69);
    EXPECT_EQ(i.src_mac, kPi);
    EXPECT_EQ(i.payload.size(), 10u);
    EXPECT_EQ(classify_frame(udp_frame(Ipv4::broadcast(), {1}), kUs, Ipv4(), true).kind, FrameInfo::Kind::Udp);
    EXPECT_EQ(classify_frame(udp_frame(kBroadcast24, {1}), kUs, kBroadcast24, true).kind, FrameInfo::Kind::Udp);
    EXPECT_EQ(classify_frame(udp_frame(Ipv4(0x0a000002), {1}), kUs, kBroadcast24, true).drop, FrameDrop::ip_not_for_us);
    EXPECT_EQ(classify_frame(udp_frame(kUs.ip, {1, 2, 3}, false), kUs, Ipv4(), true).kind,
              FrameInfo::Kind::Udp);  // no checksum
}

TEST(NetFrames, DropsWithReasons) {
    auto good = udp_frame(kUs.ip, {1, 2, 3, 4});
    EXPECT_EQ(classify_frame(ConstBytes(good.data(), 10), kUs, Ipv4(), true).drop, FrameDrop::runt);
    auto bad = good;
    bad.back() ^= 0xff;
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::udp_bad_checksum);
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), false).kind, FrameInfo::Kind::Udp);  // NIC-verified path
    bad = good;
    bad[kEthHeaderSize + 8] = 1;  // TTL changed, header checksum not
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::ip_bad_checksum);
    bad = good;
    bad[5] = 0x77;  // another unicast MAC
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::not_our_mac);
    bad = good;
    bad[12] = 0x86, bad[13] = 0xdd;
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::other_ethertype);
    bad = good;
    bad[kEthHeaderSize + 2] = 0x10;  // total length past the frame
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::ip_malformed);
    bad = udp_frame(kUs.ip, {1, 2, 3, 4});
    bad[kEthHeaderSize + 6] = 0x20;  // more fragments
    InetChecksum c;                  // fix the header checksum so the fragment rule is what drops it
    bad[kEthHeaderSize + 10] = bad[kEthHeaderSize + 11] = 0;
    c.add(ConstBytes(bad.data() + kEthHeaderSize, kIpv4HeaderSize));
    bad[kEthHeaderSize + 10] = static_cast<std::uint8_t>(c.finish() >> 8);
    bad[kEthHeaderSize + 11] = static_cast<std::uint8_t>(c.finish());
    EXPECT_EQ(classify_frame(bad, kUs, Ipv4(), true).drop, FrameDrop::ip_fragment);
}

TEST(NetFrames, KernelPartialChecksumIsAccepted) {
    // A veth peer with tx offload on leaves only the pseudo-header sum in the checksum field.
    auto f = udp_frame(kUs.ip, {0, 4, 0, 1});
    InetChecksum pseudo;
    pseudo.add32(kPiIp.value());
    pseudo.add32(kUs.ip.value());
    pseudo.add16(17);
    pseudo.add16(static_cast<std::uint16_t>(kUdpHeaderSize + 4));
    auto partial = static_cast<std::uint16_t>(~pseudo.finish());
    f[kEthHeaderSize + kIpv4HeaderSize + 6] = static_cast<std::uint8_t>(partial >> 8);
    f[kEthHeaderSize + kIpv4HeaderSize + 7] = static_cast<std::uint8_t>(partial);
    FrameInfo i = classify_frame(f, kUs, Ipv4(), true);
    ASSERT_EQ(i.kind, FrameInfo::Kind::Udp);
    EXPECT_TRUE(i.partial_checksum);
    EXPECT_FALSE(classify_frame(udp_frame(kUs.ip, {0, 4, 0, 1}), kUs, Ipv4(), true).partial_checksum);
    f[kEthHeaderSize + kIpv4HeaderSize + 7] ^= 1;  // neither complete nor partial
    EXPECT_EQ(classify_frame(f, kUs, Ipv4(), true).drop, FrameDrop::udp_bad_checksum);
}

TEST(NetFrames, ArpForOurAddressGetsAReply) {
    std::vector<std::uint8_t> req(64);
    LocalAddress pi{kPi, kPiIp};
    std::size_t n = build_arp_request(req, pi, kUs.ip, false);
    ASSERT_EQ(n, 42u);
    FrameInfo i = classify_frame(ConstBytes(req.data(), n), kUs, Ipv4(), true);
    ASSERT_EQ(i.kind, FrameInfo::Kind::ArpRequest);
    EXPECT_EQ(i.src_mac, kPi);
    EXPECT_EQ(i.src_ip, kPiIp);
    std::vector<std::uint8_t> rep(64);
    n = build_arp_reply(rep, kUs, i);
    ASSERT_EQ(n, 42u);
    EXPECT_TRUE(std::equal(kPi.begin(), kPi.end(), rep.begin()));  // to the asker
    FrameInfo back = classify_frame(ConstBytes(rep.data(), n), pi, Ipv4(), true);
    EXPECT_EQ(back.kind, FrameInfo::Kind::ArpReply);
    EXPECT_EQ(back.src_mac, kUs.mac);
    EXPECT_EQ(back.src_ip, kUs.ip);
    std::size_t m = build_arp_request(req, pi, Ipv4(0x0a000009), false);
    EXPECT_EQ(classify_frame(ConstBytes(req.data(), m), kUs, Ipv4(), true).drop, FrameDrop::arp_not_for_us);
}

TEST(NetFrames, PingGetsAnEchoReply) {
    // An echo request from the Pi, built here with its checksums.
    std::vector<std::uint8_t> icmp = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', '!'};
    InetChecksum ic;
    ic.add(icmp);
    icmp[2] = static_cast<std::uint8_t>(ic.finish() >> 8);
    icmp[3] = static_cast<std::uint8_t>(ic.finish());
    std::vector<std::uint8_t> f(kEthHeaderSize + kIpv4HeaderSize + icmp.size());
    // Reuse the UDP header builder for Ethernet/IPv4, then patch the protocol and checksum.
    std::vector<std::uint8_t> hdr(kUdpFrameOverhead);
    ASSERT_GT(build_udp_headers(hdr, kPi, kUs.mac, kPiIp, kUs.ip, 0, 0, icmp.size() - kUdpHeaderSize, 9, 0), 0u);
    std::copy(hdr.begin(), hdr.begin() + kEthHeaderSize + kIpv4HeaderSize, f.begin());
    f[kEthHeaderSize + 9] = 1;
    f[kEthHeaderSize + 10] = f[kEthHeaderSize + 11] = 0;
    InetChecksum hc;
    hc.add(ConstBytes(f.data() + kEthHeaderSize, kIpv4HeaderSize));
    f[kEthHeaderSize + 10] = static_cast<std::uint8_t>(hc.finish() >> 8);
    f[kEthHeaderSize + 11] = static_cast<std::uint8_t>(hc.finish());
    std::copy(icmp.begin(), icmp.end(), f.begin() + kEthHeaderSize + kIpv4HeaderSize);
    FrameInfo i = classify_frame(f, kUs, Ipv4(), true);
    ASSERT_EQ(i.kind, FrameInfo::Kind::IcmpEcho);
    std::vector<std::uint8_t> rep(128);
    std::size_t n = build_icmp_echo_reply(rep, kUs, i);
    ASSERT_EQ(n, f.size());
    ConstBytes reply_icmp(rep.data() + kEthHeaderSize + kIpv4HeaderSize, icmp.size());
    EXPECT_EQ(reply_icmp[0], 0);
    InetChecksum check;
    check.add(reply_icmp);
    EXPECT_EQ(check.finish(), 0);  // a valid checksum sums to zero
    EXPECT_TRUE(std::equal(icmp.begin() + 4, icmp.end(), reply_icmp.begin() + 4));
    InetChecksum iph;
    iph.add(ConstBytes(rep.data() + kEthHeaderSize, kIpv4HeaderSize));
    EXPECT_EQ(iph.finish(), 0);
}

}  // namespace
}  // namespace rackboot::proto
