#include "proto/netascii.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/tftp_transfer.h"

namespace rackboot::proto {
namespace {

ConstBytes bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Encodes a whole file block by block the way the dataplane does: blksize input bytes at most.
std::vector<std::string> blocks_of(const std::string& file, std::size_t blksize) {
    std::vector<std::string> out;
    NetasciiCursor cur;
    std::vector<std::uint8_t> buf(blksize);
    for (;;) {
        std::size_t in_len = std::min<std::size_t>(blksize, file.size() - cur.offset);
        std::size_t n = netascii_encode(bytes(file).subspan(cur.offset, in_len), cur, buf);
        out.emplace_back(reinterpret_cast<char*>(buf.data()), n);
        if (n < blksize) return out;
    }
}

TEST(Netascii, ExpandsLineEndsAndBareCr) {
    auto b = blocks_of(std::string("a\nb\rc", 5), 512);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0], std::string("a\r\nb\r\0c", 7));
}

TEST(Netascii, ExpansionSplitAcrossBlocks) {
    // "abc\n" with blksize 4: "abc\r" then "\n" (short: last).
    auto b = blocks_of("abc\n", 4);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0], "abc\r");
    EXPECT_EQ(b[1], "\n");
}

TEST(Netascii, ExactMultipleEndsWithEmptyBlock) {
    auto b = blocks_of("ab\n", 4);  // encodes to 4 bytes
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0], "ab\r\n");
    EXPECT_EQ(b[1], "");
}

TEST(Netascii, ConcatenationEqualsWholeEncoding) {
    std::string file;
    for (int i = 0; i < 5000; ++i) file += (i % 7 == 0) ? '\n' : (i % 11 == 0 ? '\r' : static_cast<char>('a' + i % 26));
    std::string expect;
    for (char c : file)
        expect += c == '\n' ? std::string("\r\n") : c == '\r' ? std::string("\r\0", 2) : std::string(1, c);
    for (std::size_t blksize : {8u, 9u, 512u, 1468u}) {
        std::string joined;
        for (auto& blk : blocks_of(file, blksize)) joined += blk;
        EXPECT_EQ(joined, expect) << blksize;
    }
}

TEST(Netascii, EngineLearnsTheEndFromTheSender) {
    TftpTransfer t;
    TftpNegotiated n;
    TftpOptionList o;
    o.items[o.count++] = {"windowsize", "8"};
    ASSERT_TRUE(negotiate_tftp_options(o, TftpMode::Netascii, 0, TftpLimits{}, n).ok);
    EXPECT_EQ(n.windowsize, 1);  // one netascii block in flight
    t.start(n, TftpTransfer::kUnknownSize, TftpLimits{}, 0);
    auto a = t.on_ack(0, 0);
    EXPECT_EQ(a.first_block, 1u);
    a = t.on_ack(1, 0);
    EXPECT_EQ(a.first_block, 2u);
    t.set_final_block(2);
    t.on_ack(2, 0);
    EXPECT_EQ(t.result(), TftpResult::Complete);
}

}  // namespace
}  // namespace rackboot::proto
