#include "proto/dhcp_codec.h"

#include <string>

#include <gtest/gtest.h>

#include "support/dhcp_vectors.h"

namespace rackboot::proto {
namespace {

using test::from_hex;
using test::make_request;

TEST(DhcpCodec, ParsesThePi3bCapture) {
    auto raw = test::pi3b_discover();
    ASSERT_EQ(raw.size(), 320u);
    DhcpPacket p;
    ASSERT_EQ(parse_dhcp(raw, p), DhcpParseError::none);
    EXPECT_EQ(p.op, 1);
    EXPECT_EQ(p.xid, 0x26f30339u);
    EXPECT_EQ(p.type, DhcpMessageType::Discover);
    EXPECT_EQ(p.mac(), (Mac{0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d}));
    auto vc = p.options.find(dhcp_option::kVendorClass);
    ASSERT_TRUE(vc);
    EXPECT_EQ(std::string(vc->begin(), vc->end()), "PXEClient:Arch:00000:UNDI:002001");
    auto guid = p.options.find(dhcp_option::kClientGuid);
    ASSERT_TRUE(guid);
    EXPECT_EQ(guid->size(), 17u);
    EXPECT_EQ(p.options.find(dhcp_option::kParameterList)->size(), 12u);
    EXPECT_EQ(p.options.find(dhcp_option::kClientArch)->size(), 2u);
    EXPECT_FALSE(p.file_overloaded);
}

TEST(DhcpCodec, NamedErrorsForBrokenInput) {
    DhcpPacket p;
    auto good = test::pi3b_discover();
    EXPECT_EQ(parse_dhcp(ConstBytes(good.data(), 239), p), DhcpParseError::truncated_header);
    auto bad = good;
    bad[236] = 0;
    EXPECT_EQ(parse_dhcp(bad, p), DhcpParseError::bad_cookie);
    bad = good;
    bad[0] = 3;
    EXPECT_EQ(parse_dhcp(bad, p), DhcpParseError::bad_op);
    bad = good;
    bad[2] = 17;
    EXPECT_EQ(parse_dhcp(bad, p), DhcpParseError::bad_hlen);
    // An option whose length runs past the end.
    auto cut = make_request({1, 2, 3, 4, 5, 6}, 1, {{53, {1}}});
    cut.pop_back();  // END
    cut.push_back(60);
    cut.push_back(40);
    cut.push_back('x');
    EXPECT_EQ(parse_dhcp(cut, p), DhcpParseError::option_truncated);
    cut.resize(cut.size() - 2);  // code with no length byte
    EXPECT_EQ(parse_dhcp(cut, p), DhcpParseError::option_truncated);
    EXPECT_EQ(parse_dhcp(make_request({1, 2, 3, 4, 5, 6}, 1, {{60, {'a'}}}), p), DhcpParseError::bad_message_type);
    EXPECT_EQ(parse_dhcp(make_request({1, 2, 3, 4, 5, 6}, 1, {{53, {9}}}), p), DhcpParseError::bad_message_type);
    EXPECT_EQ(parse_dhcp(make_request({1, 2, 3, 4, 5, 6}, 1, {{53, {1, 1}}}), p), DhcpParseError::bad_message_type);
    EXPECT_EQ(parse_dhcp(make_request({1, 2, 3, 4, 5, 6}, 1, {{53, {1}}, {52, {4}}}), p), DhcpParseError::bad_overload);
}

TEST(DhcpCodec, TooManyOptionInstances) {
    std::vector<test::Opt> none;
    auto raw = make_request({1, 2, 3, 4, 5, 6}, 1, {{53, {1}}});
    raw.pop_back();
    for (int i = 0; i < 200; ++i) {
        raw.push_back(224);
        raw.push_back(0);
    }
    raw.push_back(0xff);
    DhcpPacket p;
    EXPECT_EQ(parse_dhcp(raw, p), DhcpParseError::too_many_options);
}

TEST(DhcpCodec, OverloadReadsFileThenSname) {
    auto raw = make_request({1, 2, 3, 4, 5, 6}, 7, {{53, {1}}, {52, {3}}, {43, {1, 2}}});
    // file field (offset 108): option 43 continues, then option 12; sname (offset 44): 43 again.
    std::vector<std::uint8_t> file = {43, 2, 3, 4, 12, 3, 'p', 'i', '1', 0xff};
    std::copy(file.begin(), file.end(), raw.begin() + 108);
    std::vector<std::uint8_t> sname = {43, 1, 5, 0xff};
    std::copy(sname.begin(), sname.end(), raw.begin() + 44);
    DhcpPacket p;
    ASSERT_EQ(parse_dhcp(raw, p), DhcpParseError::none);
    EXPECT_TRUE(p.file_overloaded);
    EXPECT_TRUE(p.sname_overloaded);
    EXPECT_EQ(p.options.instances(43), 3u);
    std::array<std::uint8_t, 16> scratch{};
    auto joined = p.options.joined(43, scratch);
    ASSERT_TRUE(joined);
    EXPECT_EQ(std::vector<std::uint8_t>(joined->begin(), joined->end()), (std::vector<std::uint8_t>{1, 2, 3, 4, 5}));
    EXPECT_FALSE(p.options.joined(43, std::span<std::uint8_t>(scratch.data(), 4)));  // too small
    EXPECT_TRUE(p.options.find(12));
}

TEST(DhcpCodec, OverloadInsideFileIsRefused) {
    auto raw = make_request({1, 2, 3, 4, 5, 6}, 7, {{53, {1}}, {52, {1}}});
    std::vector<std::uint8_t> file = {52, 1, 1, 0xff};  // would loop back into file
    std::copy(file.begin(), file.end(), raw.begin() + 108);
    DhcpPacket p;
    EXPECT_EQ(parse_dhcp(raw, p), DhcpParseError::bad_overload);
}

TEST(DhcpCodec, WriterSplitsLongOptionsAndPads) {
    DhcpPacket like;
    ASSERT_EQ(parse_dhcp(test::pi3b_discover(), like), DhcpParseError::none);
    std::vector<std::uint8_t> out(1500);
    DhcpWriter w(out);
    w.header(2, like, 0, 0x0a000005, 0, 0);
    w.option_u8(dhcp_option::kMessageType, 2);
    std::vector<std::uint8_t> big(600);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
    w.option(dhcp_option::kVendorSpecific, big);
    std::size_t n = w.finish();
    ASSERT_GT(n, 0u);
    DhcpPacket back;
    ASSERT_EQ(parse_dhcp(ConstBytes(out.data(), n), back), DhcpParseError::none);
    EXPECT_EQ(back.options.instances(43), 3u);  // 255 + 255 + 90
    std::vector<std::uint8_t> scratch(1024);
    auto joined = back.options.joined(43, scratch);
    ASSERT_TRUE(joined);
    EXPECT_TRUE(std::equal(joined->begin(), joined->end(), big.begin(), big.end()));
    EXPECT_EQ(back.yiaddr, 0x0a000005u);
    EXPECT_EQ(back.xid, like.xid);

    DhcpWriter small_reply(out);
    small_reply.header(2, like, 0, 0, 0, 0);
    small_reply.option_u8(dhcp_option::kMessageType, 2);
    EXPECT_EQ(small_reply.finish(), kBootpMinSize);
    std::vector<std::uint8_t> tiny(100);
    DhcpWriter no_room(tiny);
    no_room.header(2, like, 0, 0, 0, 0);
    EXPECT_EQ(no_room.finish(), 0u);
}

}  // namespace
}  // namespace rackboot::proto
