// Pi recognition and the proxy OFFER, field by field and byte by byte.
#include "proto/dhcp_responder.h"

#include <string>

#include <gtest/gtest.h>

#include "support/dhcp_vectors.h"

namespace rackboot::proto {
namespace {

using test::from_hex;

DhcpPacket parsed(const std::vector<std::uint8_t>& raw) {
    static std::vector<std::vector<std::uint8_t>> keep;  // the packet views point into these
    keep.push_back(raw);
    DhcpPacket p;
    EXPECT_EQ(parse_dhcp(keep.back(), p), DhcpParseError::none);
    return p;
}

constexpr std::uint32_t kServer = 0x0a000001;  // 10.0.0.1

TEST(PiRecognition, ModelsAndOthers) {
    auto ouis = default_pi_ouis();
    PiIdentity pi3 = recognise_pi(parsed(test::pi3b_discover()), ouis);
    EXPECT_TRUE(pi3.is_pi);
    EXPECT_TRUE(pi3.oui_match);
    EXPECT_FALSE(pi3.guid_rpi);  // the 3B ROM's GUID is a constant
    EXPECT_FALSE(pi3.serial);

    PiIdentity pi4 = recognise_pi(parsed(test::pi4_discover()), ouis);
    EXPECT_TRUE(pi4.is_pi);
    EXPECT_TRUE(pi4.guid_rpi);
    EXPECT_EQ(pi4.model, 4);
    ASSERT_TRUE(pi4.serial);
    EXPECT_EQ(*pi4.serial, Serial(0x1a2b3c4d));

    PiIdentity pi5 = recognise_pi(parsed(test::pi5_discover()), ouis);
    EXPECT_TRUE(pi5.is_pi);
    EXPECT_EQ(pi5.model, 5);
    EXPECT_EQ(*pi5.serial, Serial(0xdeadbeef));

    EXPECT_FALSE(recognise_pi(parsed(test::uboot_discover()), ouis).is_pi);
    PiIdentity ipxe = recognise_pi(parsed(test::ipxe_discover()), ouis);
    EXPECT_TRUE(ipxe.vendor_class);  // same option 60 as a Pi...
    EXPECT_FALSE(ipxe.is_pi);        // ...but neither OUI nor GUID
}

TEST(PiRecognition, OuiListIsConfigurable) {
    // Without 2c:cf:67 a Pi 5 is still known by its GUID; a Pi 3B (constant GUID) is not.
    std::vector<Oui> old_list = {{0xdc, 0xa6, 0x32}};
    EXPECT_TRUE(recognise_pi(parsed(test::pi5_discover()), old_list).is_pi);
    EXPECT_FALSE(recognise_pi(parsed(test::pi3b_discover()), old_list).is_pi);
    std::vector<Oui> with_ipxe = {{0x52, 0x54, 0x00}};
    EXPECT_TRUE(recognise_pi(parsed(test::ipxe_discover()), with_ipxe).is_pi);
}

TEST(ProxyOffer, Pi3bOfferByteForByte) {
    DhcpPacket req = parsed(test::pi3b_discover());
    DhcpResponder r({DhcpMode::Proxy, default_pi_ouis(), {}, {}});
    std::vector<std::uint8_t> out(1500);
    DhcpReply reply = r.handle(req, kServer, out);
    ASSERT_EQ(reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(reply.dest, DhcpReply::Dest::Broadcast);

    // Expected, written out from PI-BOOT.md.
    std::vector<std::uint8_t> want(236, 0);
    want[0] = 2;
    want[1] = 1;
    want[2] = 6;
    want[4] = 0x26, want[5] = 0xf3, want[6] = 0x03, want[7] = 0x39;  // xid
    want[20] = 10, want[23] = 1;                                     // siaddr = TFTP server
    std::vector<std::uint8_t> mac = {0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d};
    std::copy(mac.begin(), mac.end(), want.begin() + 28);
    std::vector<std::uint8_t> opts = {0x63, 0x82, 0x53, 0x63, 53, 1, 2, 54, 4, 10, 0, 0, 1};
    std::string pxe = "PXEClient";
    opts.push_back(60);
    opts.push_back(9);
    opts.insert(opts.end(), pxe.begin(), pxe.end());
    opts.push_back(97);
    opts.push_back(17);
    opts.push_back(0);
    opts.insert(opts.end(), 16, 0x44);
    std::string menu = "Raspberry Pi Boot   ";
    std::vector<std::uint8_t> o43 = {6, 1, 3, 10, 4, 0, 'P', 'X', 'E', 9, 23, 0, 0, 20};
    o43.insert(o43.end(), menu.begin(), menu.end());
    o43.push_back(0xff);
    ASSERT_EQ(o43.size(), 35u);
    opts.push_back(43);
    opts.push_back(static_cast<std::uint8_t>(o43.size()));
    opts.insert(opts.end(), o43.begin(), o43.end());
    opts.push_back(0xff);
    want.insert(want.end(), opts.begin(), opts.end());
    if (want.size() < 300) want.resize(300, 0);  // BOOTP minimum; this reply is longer
    std::vector<std::uint8_t> got(out.begin(), out.begin() + static_cast<long>(reply.length));
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "first difference at byte " << i;
}

TEST(ProxyOffer, FieldsForPi4WithSeparateTftpServerAndRelay) {
    DhcpPacket req = parsed(test::make_request(
        {0xdc, 0xa6, 0x32, 1, 2, 3}, 99,
        {{53, {1}}, {60, test::bytes_of("PXEClient:Arch:00000:UNDI:002001")}, {82, {1, 4, 'p', 'o', 'r', 't'}}}, 0x8000,
        0xc0a80101, 1));
    DhcpResponder r({DhcpMode::Proxy, default_pi_ouis(), Ipv4(kServer), Ipv4(0x0a000002)});
    std::vector<std::uint8_t> out(1500);
    DhcpReply reply = r.handle(req, 0x7f000001, out);
    ASSERT_EQ(reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(reply.dest, DhcpReply::Dest::Relay);
    EXPECT_EQ(reply.dest_ip, 0xc0a80101u);
    DhcpPacket offer = parsed(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<long>(reply.length)));
    EXPECT_EQ(offer.op, 2);
    EXPECT_EQ(offer.type, DhcpMessageType::Offer);
    EXPECT_EQ(offer.yiaddr, 0u);
    EXPECT_EQ(offer.giaddr, 0xc0a80101u);
    EXPECT_EQ(offer.flags, 0x8000);
    EXPECT_EQ(offer.hops, 0);
    EXPECT_EQ(offer.siaddr, 0x0a000002u);
    auto sid = offer.options.find(dhcp_option::kServerId);
    EXPECT_EQ(std::vector<std::uint8_t>(sid->begin(), sid->end()), (std::vector<std::uint8_t>{10, 0, 0, 1}));
    auto tftp = offer.options.find(dhcp_option::kTftpServerName);
    ASSERT_TRUE(tftp);
    EXPECT_EQ(std::string(tftp->begin(), tftp->end()), "10.0.0.2");
    auto relay = offer.options.find(dhcp_option::kRelayAgentInfo);
    ASSERT_TRUE(relay);
    EXPECT_EQ(relay->size(), 6u);
    EXPECT_FALSE(offer.options.find(dhcp_option::kClientGuid));  // none sent, none echoed
}

TEST(ProxyOffer, OnlyPisAndOnlyDiscovers) {
    DhcpResponder r({DhcpMode::Proxy, default_pi_ouis(), {}, {}});
    std::vector<std::uint8_t> out(1500);
    EXPECT_EQ(r.handle(parsed(test::uboot_discover()), kServer, out).verdict, DhcpVerdict::not_a_pi);
    EXPECT_EQ(r.handle(parsed(test::ipxe_discover()), kServer, out).verdict, DhcpVerdict::not_a_pi);
    EXPECT_EQ(r.handle(parsed(test::pi5_discover()), kServer, out).verdict, DhcpVerdict::replied);
    auto zero_mac = test::make_request({0, 0, 0, 0, 0, 0}, 1,
                                       {{53, {1}}, {60, test::bytes_of("PXEClient:Arch:00000:UNDI:002001")}});
    EXPECT_EQ(r.handle(parsed(zero_mac), kServer, out).verdict, DhcpVerdict::bad_mac);
    auto request = test::make_request({0xdc, 0xa6, 0x32, 1, 2, 3}, 1,
                                      {{53, {3}}, {60, test::bytes_of("PXEClient:Arch:00000:UNDI:002001")}});
    EXPECT_EQ(r.handle(parsed(request), kServer, out).verdict, DhcpVerdict::not_a_request);
}

}  // namespace
}  // namespace rackboot::proto
