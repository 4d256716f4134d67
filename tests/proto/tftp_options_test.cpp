#include "proto/tftp_options.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

TftpOptionList opts(std::initializer_list<TftpOption> list) {
    TftpOptionList o;
    for (const auto& x : list) o.items[o.count++] = x;
    return o;
}

TftpLimits limits() {
    return TftpLimits{};
}

TEST(TftpOptions, NoOptionsMeansNoOack) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({}), TftpMode::Octet, 100, limits(), n).ok);
    EXPECT_FALSE(n.needs_oack());
    EXPECT_EQ(n.blksize, 512);
    EXPECT_EQ(n.windowsize, 1);
    EXPECT_EQ(n.timeout, kSecond);
}

TEST(TftpOptions, BlksizeIsCappedToThePathMtu) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"blksize", "65464"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_EQ(n.blksize, 1468);
    EXPECT_TRUE(n.ack_blksize);
    ASSERT_TRUE(negotiate_tftp_options(opts({{"BlkSize", "1024"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_EQ(n.blksize, 1024);
    EXPECT_EQ(TftpLimits::blksize_for_mtu(1500), 1468);
    EXPECT_EQ(TftpLimits::blksize_for_mtu(9000), 8968);
    EXPECT_EQ(TftpLimits::blksize_for_mtu(65535), 65464);
}

TEST(TftpOptions, BadValuesAreRefusedWithAReason) {
    TftpNegotiated n;
    auto r = negotiate_tftp_options(opts({{"blksize", "7"}}), TftpMode::Octet, 1, limits(), n);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.refusal, "blksize below 8");
    EXPECT_FALSE(negotiate_tftp_options(opts({{"blksize", "abc"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(negotiate_tftp_options(opts({{"blksize", "-5"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(negotiate_tftp_options(opts({{"windowsize", "0"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(negotiate_tftp_options(opts({{"timeout", "x"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(
        negotiate_tftp_options(opts({{"blksize", "99999999999999999999999"}}), TftpMode::Octet, 1, limits(), n).ok);
}

TEST(TftpOptions, TsizeAnsweredWithTheFileSizeWhateverTheValue) {
    for (const char* v : {"0", "enable", "12345"}) {
        TftpNegotiated n;
        ASSERT_TRUE(negotiate_tftp_options(opts({{"tsize", v}}), TftpMode::Octet, 8301056, limits(), n).ok);
        EXPECT_TRUE(n.ack_tsize) << v;
        EXPECT_EQ(n.tsize, 8301056u);
    }
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"tsize", "0"}}), TftpMode::Netascii, 10, limits(), n).ok);
    EXPECT_FALSE(n.ack_tsize);
}

TEST(TftpOptions, EmptyFileLeavesTsizeOutOfTheOack) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"tsize", "0"}}), TftpMode::Octet, 0, limits(), n).ok);
    set_tftp_file_size(n, 0);
    EXPECT_FALSE(n.needs_oack());  // tsize was the only option: a plain RFC 1350 transfer
    ASSERT_TRUE(negotiate_tftp_options(opts({{"tsize", "0"}, {"blksize", "512"}}), TftpMode::Octet, 0, limits(), n).ok);
    set_tftp_file_size(n, 0);
    EXPECT_TRUE(n.needs_oack());
    EXPECT_FALSE(n.ack_tsize);
    set_tftp_file_size(n, 7);
    EXPECT_EQ(n.tsize, 7u);
}

TEST(TftpOptions, TimeoutAndUtimeout) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"timeout", "6"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_TRUE(n.ack_timeout);
    EXPECT_EQ(n.timeout, 6 * kSecond);
    ASSERT_TRUE(negotiate_tftp_options(opts({{"timeout", "0"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(n.ack_timeout);  // out of 1..255: ignored
    ASSERT_TRUE(negotiate_tftp_options(opts({{"timeout", "256"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(n.ack_timeout);
    ASSERT_TRUE(negotiate_tftp_options(opts({{"utimeout", "250000"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_TRUE(n.ack_utimeout);
    EXPECT_EQ(n.timeout, 250 * kMillisecond);
}

TEST(TftpOptions, WindowsizeClampedToOurMaximum) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"windowsize", "16"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_EQ(n.windowsize, 16);
    ASSERT_TRUE(negotiate_tftp_options(opts({{"windowsize", "1000"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_EQ(n.windowsize, 64);
}

TEST(TftpOptions, UnknownOptionsAreIgnored) {
    TftpNegotiated n;
    ASSERT_TRUE(
        negotiate_tftp_options(opts({{"multicast", ""}, {"rollover", "0"}}), TftpMode::Octet, 1, limits(), n).ok);
    EXPECT_FALSE(n.needs_oack());
}

TEST(TftpOptions, OackCarriesExactlyTheAgreedOptions) {
    TftpNegotiated n;
    ASSERT_TRUE(negotiate_tftp_options(opts({{"blksize", "2000"}, {"tsize", "0"}, {"windowsize", "8"}, {"foo", "1"}}),
                                       TftpMode::Octet, 4242, limits(), n)
                    .ok);
    std::vector<std::uint8_t> buf(128);
    std::size_t len = build_tftp_oack(buf, n);
    ASSERT_GT(len, 0u);
    TftpPacket pkt;
    ASSERT_EQ(parse_tftp(ConstBytes(buf.data(), len), pkt), TftpParseError::none);
    EXPECT_EQ(pkt.opcode, TftpOpcode::Oack);
    ASSERT_EQ(pkt.options.count, 3u);
    EXPECT_EQ(pkt.options.find("blksize")->value, "1468");
    EXPECT_EQ(pkt.options.find("tsize")->value, "4242");
    EXPECT_EQ(pkt.options.find("windowsize")->value, "8");
}

TEST(TftpOptions, ParseDecimal) {
    std::uint64_t v = 0;
    EXPECT_TRUE(parse_decimal("18446744073709551615", UINT64_MAX, v));
    EXPECT_EQ(v, UINT64_MAX);
    EXPECT_FALSE(parse_decimal("18446744073709551616", UINT64_MAX, v));
    EXPECT_FALSE(parse_decimal("", 10, v));
    EXPECT_FALSE(parse_decimal("1 ", 10, v));
    EXPECT_FALSE(parse_decimal("11", 10, v));
}

}  // namespace
}  // namespace rackboot::proto
