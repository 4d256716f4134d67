#include "proto/tftp_codec.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

std::vector<std::uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

// Parsed views point into the datagram: keep the last one alive for the assertions that follow.
TftpParseError parse(const std::string& wire, TftpPacket& pkt) {
    static std::vector<std::uint8_t> last;
    last = bytes(wire);
    return parse_tftp(last, pkt);
}

TEST(TftpCodec, ParsesRrqWithOptionsAsCurlSendsIt) {
    static const char raw[] =
        "\x00\x01start4.elf\x00octet\x00tsize\x00"
        "0\x00"
        "blksize\x00"
        "1468\x00timeout\x00"
        "6";
    std::string wire(raw, sizeof raw);  // the literal's own NUL ends the last option
    auto b = bytes(wire);
    TftpPacket pkt;
    ASSERT_EQ(parse_tftp(b, pkt), TftpParseError::none);
    EXPECT_EQ(pkt.opcode, TftpOpcode::Rrq);
    EXPECT_EQ(pkt.filename, "start4.elf");
    EXPECT_EQ(pkt.mode, TftpMode::Octet);
    ASSERT_EQ(pkt.options.count, 3u);
    EXPECT_EQ(pkt.options.find("BLKSIZE")->value, "1468");
    EXPECT_EQ(pkt.options.find("tsize")->value, "0");
    EXPECT_EQ(pkt.options.find("windowsize"), nullptr);
}

TEST(TftpCodec, ModeIsCaseInsensitive) {
    TftpPacket pkt;
    ASSERT_EQ(parse(std::string("\x00\x01"
                                "a\x00NetASCII\x00",
                                13),
                    pkt),
              TftpParseError::none);
    EXPECT_EQ(pkt.mode, TftpMode::Netascii);
}

TEST(TftpCodec, NamedErrorsForMalformedInput) {
    TftpPacket pkt;
    EXPECT_EQ(parse("", pkt), TftpParseError::truncated);
    EXPECT_EQ(parse(std::string("\x00", 1), pkt), TftpParseError::truncated);
    EXPECT_EQ(parse(std::string("\x00\x07", 2), pkt), TftpParseError::bad_opcode);
    EXPECT_EQ(parse(std::string("\x00\x00", 2), pkt), TftpParseError::bad_opcode);
    EXPECT_EQ(parse(std::string("\x00\x01"
                                "abc",
                                5),
                    pkt),
              TftpParseError::unterminated_filename);
    EXPECT_EQ(parse(std::string("\x00\x01\x00octet\x00", 9), pkt), TftpParseError::empty_filename);
    EXPECT_EQ(parse(std::string("\x00\x01"
                                "a\x00octet",
                                9),
                    pkt),
              TftpParseError::unterminated_mode);
    EXPECT_EQ(parse(std::string("\x00\x01"
                                "a\x00binary\x00",
                                11),
                    pkt),
              TftpParseError::bad_mode);
    EXPECT_EQ(parse(std::string("\x00\x01"
                                "a\x00octet\x00tsize\x00"
                                "0",
                                17),
                    pkt),
              TftpParseError::unterminated_option);
    EXPECT_EQ(parse(std::string("\x00\x01"
                                "a\x00octet\x00\x00"
                                "0\x00",
                                13),
                    pkt),
              TftpParseError::empty_option_name);
    EXPECT_EQ(parse(std::string("\x00\x04\x00", 3), pkt), TftpParseError::truncated);
    EXPECT_EQ(parse(std::string("\x00\x05\x00", 3), pkt), TftpParseError::truncated);
}

TEST(TftpCodec, TrailingNulsArePadding) {
    TftpPacket pkt;
    for (std::size_t pad = 1; pad <= 8; ++pad) {
        std::string wire = std::string("\x00\x01kernel8.img\x00octet\x00", 20) + std::string(pad, '\0');
        ASSERT_EQ(parse(wire, pkt), TftpParseError::none) << pad;
        EXPECT_EQ(pkt.filename, "kernel8.img");
        EXPECT_EQ(pkt.options.count, 0u);
    }
    std::string with_option = std::string(
                                  "\x00\x01"
                                  "a\x00octet\x00tsize\x00"
                                  "0\x00",
                                  18) +
                              std::string(3, '\0');
    ASSERT_EQ(parse(with_option, pkt), TftpParseError::none);
    EXPECT_EQ(pkt.options.count, 1u);
}

TEST(TftpCodec, TooManyOptionsIsAnError) {
    std::string wire(
        "\x00\x01"
        "a\x00octet\x00",
        10);
    for (int i = 0; i <= static_cast<int>(kMaxTftpOptions); ++i) {
        wire += "o" + std::to_string(i) + std::string("\x00", 1) + "1" + std::string("\x00", 1);
    }
    TftpPacket pkt;
    EXPECT_EQ(parse(wire, pkt), TftpParseError::too_many_options);
}

TEST(TftpCodec, TrailingNulPaddingIsAccepted) {
    TftpPacket pkt;
    ASSERT_EQ(parse(std::string("\x00\x01"
                                "a\x00octet\x00\x00",
                                11),
                    pkt),
              TftpParseError::none);
    EXPECT_EQ(pkt.options.count, 0u);
}

TEST(TftpCodec, AckDataAndError) {
    TftpPacket pkt;
    ASSERT_EQ(parse(std::string("\x00\x04\xff\xfe", 4), pkt), TftpParseError::none);
    EXPECT_EQ(pkt.opcode, TftpOpcode::Ack);
    EXPECT_EQ(pkt.block, 0xfffe);
    ASSERT_EQ(parse(std::string("\x00\x03\x00\x02xyz", 7), pkt), TftpParseError::none);
    EXPECT_EQ(pkt.opcode, TftpOpcode::Data);
    EXPECT_EQ(pkt.block, 2);
    EXPECT_EQ(pkt.payload.size(), 3u);
    ASSERT_EQ(parse(std::string("\x00\x05\x00\x08"
                                "refused\x00",
                                12),
                    pkt),
              TftpParseError::none);
    EXPECT_EQ(pkt.error_code, TftpErrorCode::OptionRefused);
    EXPECT_EQ(pkt.error_message, "refused");
    // A message missing its NUL is still read.
    ASSERT_EQ(parse(std::string("\x00\x05\x00\x00"
                                "Early terminate",
                                19),
                    pkt),
              TftpParseError::none);
    EXPECT_EQ(pkt.error_message, "Early terminate");
}

TEST(TftpCodec, BuildersRoundTrip) {
    std::vector<std::uint8_t> buf(64);
    std::size_t n = build_tftp_error(buf, TftpErrorCode::FileNotFound, "file not found");
    ASSERT_EQ(n, 4u + 15u);
    TftpPacket pkt;
    ASSERT_EQ(parse_tftp(ConstBytes(buf.data(), n), pkt), TftpParseError::none);
    EXPECT_EQ(pkt.error_code, TftpErrorCode::FileNotFound);
    EXPECT_EQ(pkt.error_message, "file not found");

    n = build_tftp_ack(buf, 513);
    ASSERT_EQ(n, 4u);
    EXPECT_EQ(buf[2], 2);
    EXPECT_EQ(buf[3], 1);

    TftpOptionList opts;
    opts.items[0] = {"blksize", "1024"};
    opts.items[1] = {"tsize", "0"};
    opts.count = 2;
    n = build_tftp_request(buf, TftpOpcode::Rrq, "x/y", "octet", opts);
    ASSERT_GT(n, 0u);
    ASSERT_EQ(parse_tftp(ConstBytes(buf.data(), n), pkt), TftpParseError::none);
    EXPECT_EQ(pkt.filename, "x/y");
    EXPECT_EQ(pkt.options.find("blksize")->value, "1024");
}

TEST(TftpCodec, BuildersRefuseShortBuffers) {
    std::vector<std::uint8_t> buf(6);
    EXPECT_EQ(build_tftp_error(buf, TftpErrorCode::NotDefined, "too long for six"), 0u);
    EXPECT_EQ(build_tftp_ack(std::span<std::uint8_t>(buf.data(), 3), 1), 0u);
}

}  // namespace
}  // namespace rackboot::proto
