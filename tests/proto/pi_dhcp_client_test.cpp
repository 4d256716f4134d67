// The fake Pi's DHCP (issue 11's swarm and the tests' synthetic Pis): each model's DISCOVER is
// byte for byte the one on record (the captured Pi 3B ROM packet, the Pi 4/5 EEPROM vectors from
// PI-BOOT.md); rackbootd's proxy and full server answer them; the Pi reads its address, the server
// and the TFTP server from the answer, and only its own.
#include "proto/pi_dhcp_client.h"

#include <gtest/gtest.h>

#include "proto/dhcp_responder.h"
#include "proto/dhcp_server.h"
#include "support/dhcp_vectors.h"
#include "support/pi_dhcp_server.h"

namespace rackboot::proto {
namespace {

constexpr std::uint32_t kServer = 0x0a000001;

std::vector<std::uint8_t> built(const FakePi& pi, std::uint32_t xid) {
    std::vector<std::uint8_t> out(1500);
    std::size_t n = build_pi_discover(pi, xid, out);
    out.resize(n);
    return out;
}

TEST(PiDhcpClient, EachModelsDiscoverIsTheOneOnRecord) {
    FakePi pi3{PiModel::pi3, {0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d}, Serial(0)};
    EXPECT_EQ(built(pi3, 0x26f30339), test::pi3b_discover());  // the capture, all 320 bytes
    FakePi pi4{PiModel::pi4, {0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56}, Serial(0x1a2b3c4d)};
    std::vector<std::uint8_t> v4 = test::pi4_discover();  // up to END; ours is padded to 300
    std::vector<std::uint8_t> b4 = built(pi4, 0x11223344);
    ASSERT_GE(b4.size(), v4.size());
    EXPECT_EQ(std::vector<std::uint8_t>(b4.begin(), b4.begin() + static_cast<long>(v4.size())), v4);
    FakePi pi5{PiModel::pi5, {0x2c, 0xcf, 0x67, 0x01, 0x02, 0x03}, Serial(0xdeadbeef)};
    std::vector<std::uint8_t> v5 = test::pi5_discover();
    std::vector<std::uint8_t> b5 = built(pi5, 0x55667788);
    ASSERT_GE(b5.size(), v5.size());
    EXPECT_EQ(std::vector<std::uint8_t>(b5.begin(), b5.begin() + static_cast<long>(v5.size())), v5);
    std::array<std::uint8_t, 100> small{};
    EXPECT_EQ(build_pi_discover(pi4, 1, small), 0u);  // too small: nothing half-written is sent
}

TEST(PiDhcpClient, TheProxyAnswersEveryModelAndThePiReadsItsAnswer) {
    DhcpResponderConfig cfg;
    cfg.tftp_ip = Ipv4(0x0a000005);
    DhcpResponder responder(cfg);
    for (PiModel m : {PiModel::pi3, PiModel::pi4, PiModel::pi5}) {
        FakePi pi{m,
                  {0xdc, 0xa6, 0x32, 0x00, 0x00, static_cast<std::uint8_t>(m)},
                  Serial(0x10000000u + static_cast<unsigned>(m))};
        std::vector<std::uint8_t> d = built(pi, 77);
        DhcpPacket p;
        ASSERT_EQ(parse_dhcp(d, p), DhcpParseError::none);
        std::vector<std::uint8_t> out(1500);
        DhcpReply r = responder.handle(p, kServer, out);
        ASSERT_EQ(r.verdict, DhcpVerdict::replied) << static_cast<int>(m);
        EXPECT_TRUE(r.pi.is_pi);
        EXPECT_EQ(r.pi.serial.has_value(), m != PiModel::pi3);
        PiDhcpAnswer a;
        ConstBytes reply(out.data(), r.length);
        ASSERT_TRUE(read_pi_dhcp_answer(reply, pi, 77, a));
        EXPECT_EQ(a.type, DhcpMessageType::Offer);
        EXPECT_TRUE(a.pxe_menu);
        EXPECT_EQ(a.server_id, kServer);
        EXPECT_EQ(a.tftp_server, 0x0a000005u);                // option 66 names another host
        EXPECT_FALSE(read_pi_dhcp_answer(reply, pi, 78, a));  // another exchange
        FakePi other = pi;
        other.mac[5] ^= 1;
        EXPECT_FALSE(read_pi_dhcp_answer(reply, other, 77, a));       // another Pi's
        EXPECT_FALSE(read_pi_dhcp_answer(ConstBytes(d), pi, 77, a));  // a request, not a reply
    }
}

TEST(PiDhcpClient, AFullServerLeasesToAPi4ThatRequests) {
    std::unique_ptr<DhcpServer> made = test::small_dhcp_server(kServer);
    ASSERT_TRUE(made);
    DhcpServer& server = *made;
    FakePi pi{PiModel::pi4, {0xdc, 0xa6, 0x32, 0xaa, 0xbb, 0xcc}, Serial(0x1a2b3c4d)};
    std::vector<std::uint8_t> out(1500);
    std::vector<std::uint8_t> d = built(pi, 9);
    DhcpPacket p;
    ASSERT_EQ(parse_dhcp(d, p), DhcpParseError::none);
    DhcpServerResult offer = server.handle(p, kServer, 1'800'000'000, out);
    PiDhcpAnswer a;
    ASSERT_TRUE(read_pi_dhcp_answer(ConstBytes(out.data(), offer.reply.length), pi, 9, a));
    ASSERT_EQ(a.type, DhcpMessageType::Offer);
    std::vector<std::uint8_t> req(1500);
    req.resize(build_pi_request(pi, 10, a.yiaddr, a.server_id, req));
    ASSERT_EQ(parse_dhcp(req, p), DhcpParseError::none);
    EXPECT_EQ(p.type, DhcpMessageType::Request);
    DhcpServerResult ack = server.handle(p, kServer, 1'800'000'001, out);
    PiDhcpAnswer b;
    ASSERT_TRUE(read_pi_dhcp_answer(ConstBytes(out.data(), ack.reply.length), pi, 10, b));
    EXPECT_EQ(b.type, DhcpMessageType::Ack);
    EXPECT_EQ(b.yiaddr, a.yiaddr);
    EXPECT_EQ(b.tftp_server, kServer);
}

}  // namespace
}  // namespace rackboot::proto
