// The board import parsers: nobodd's INI and dnsmasq's lines, a bad line named.
#include "control/api/board_import.h"

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(BoardImport, NobodIniAndDnsmasqLinesParseAndABadLineIsNamed) {
    ImportParse p = parse_board_import(
        "# nobodd\n[board:1a2b3c4d]\nimage = /srv/a\nip = 10.0.0.5\npartition = 1\n\n[board:100000005a5a0001]\n"
        "[tftp]\nlisten = 0.0.0.0\n");
    ASSERT_EQ(p.error_line, 0u) << p.error;
    EXPECT_EQ(p.format, "nobodd");
    ASSERT_EQ(p.entries.size(), 2u);
    EXPECT_EQ(p.entries[0].serial->value(), 0x1a2b3c4du);
    EXPECT_EQ(p.entries[0].image_path, "/srv/a");
    EXPECT_EQ(p.entries[0].ip->to_string(), "10.0.0.5");
    EXPECT_EQ(p.entries[0].partition, 1u);
    EXPECT_EQ(p.entries[1].serial->value(), 0x5a5a0001u);
    EXPECT_EQ(p.entries[1].partition, std::nullopt);
    p = parse_board_import("dhcp-range=10.0.0.10,10.0.0.50\ndhcp-host=dc:a6:32:01:02:03,10.0.0.7,r1-u07,12h,set:pi\n");
    ASSERT_EQ(p.error_line, 0u) << p.error;
    EXPECT_EQ(p.format, "dnsmasq");
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].macs.size(), 1u);
    EXPECT_EQ(p.entries[0].name, "r1-u07");
    EXPECT_EQ(p.entries[0].ip->to_string(), "10.0.0.7");
    p = parse_board_import("[board:1a2b3c4d]\nimage = /a\nip = 10.0.0.300\n");
    EXPECT_EQ(p.error_line, 3u);
    EXPECT_TRUE(p.entries.empty());
    for (const char* bad : {"0", "129", "1x", ""}) {
        p = parse_board_import(std::string("[board:1a2b3c4d]\nimage = /a.img\npartition = ") + bad + "\n");
        EXPECT_EQ(p.error_line, 3u) << bad;
    }
    p = parse_board_import("[board:xyz]\n");
    EXPECT_EQ(p.error_line, 1u);
    p = parse_board_import("hello\n");
    EXPECT_EQ(p.error_line, 1u);
    p = parse_board_import("dhcp-host=r1-u07,10.0.0.7\n");
    EXPECT_EQ(p.error_line, 1u);
}

}  // namespace
}  // namespace rackboot::control
