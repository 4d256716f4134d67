#include "proto/tftp_path.h"

#include <string>

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

TEST(TftpPath, AcceptsOrdinaryBootPaths) {
    EXPECT_EQ(check_tftp_path("start4.elf"), PathVerdict::ok);
    EXPECT_EQ(check_tftp_path("overlays/vc4-kms-v3d.dtbo"), PathVerdict::ok);
    EXPECT_EQ(check_tftp_path("1a2b3c4d/start4.elf"), PathVerdict::ok);
    EXPECT_EQ(check_tftp_path("a..b/c...d"), PathVerdict::ok);
}

TEST(TftpPath, RefusesEscapes) {
    EXPECT_EQ(check_tftp_path("../etc/passwd"), PathVerdict::parent_reference);
    EXPECT_EQ(check_tftp_path("a/../../b"), PathVerdict::parent_reference);
    EXPECT_EQ(check_tftp_path("a/.."), PathVerdict::parent_reference);
    EXPECT_EQ(check_tftp_path("/etc/passwd"), PathVerdict::absolute);
    EXPECT_EQ(check_tftp_path("..\\windows"), PathVerdict::backslash);
    EXPECT_EQ(check_tftp_path(std::string("a\x01"
                                          "b")),
              PathVerdict::control_char);
    EXPECT_EQ(check_tftp_path(std::string("a\x00"
                                          "b",
                                          3)),
              PathVerdict::control_char);
    EXPECT_EQ(check_tftp_path(std::string(1025, 'a')), PathVerdict::too_long);
    EXPECT_EQ(check_tftp_path(std::string(256, 'a')), PathVerdict::too_long);
    EXPECT_EQ(check_tftp_path("dir/"), PathVerdict::empty);
    EXPECT_EQ(check_tftp_path(""), PathVerdict::empty);
}

TEST(TftpPath, OneSpellingPerFile) {
    char out[kMaxPathLength];
    for (std::string_view p : {"kernel8.img", "./kernel8.img", ".//./kernel8.img", "././/./kernel8.img"}) {
        ASSERT_EQ(check_tftp_path(p), PathVerdict::ok) << p;
        EXPECT_EQ(normalize_tftp_path(p, out), "kernel8.img") << p;
    }
    EXPECT_EQ(normalize_tftp_path("1a2b3c4d//./start4.elf", out), "1a2b3c4d/start4.elf");
    EXPECT_EQ(normalize_tftp_path("overlays/./x.dtbo", out), "overlays/x.dtbo");
    EXPECT_EQ(normalize_tftp_path("a.b/..c/.d", out), "a.b/..c/.d");  // only "." itself goes
    EXPECT_EQ(normalize_tftp_path(".", out), "");
    EXPECT_EQ(normalize_tftp_path("./.", out), "");
}

TEST(TftpPath, SerialPrefix) {
    BootPrefix p = split_boot_prefix("1A2b3c4d/start4.elf");
    EXPECT_EQ(p.kind, BootPrefix::Kind::Serial);
    EXPECT_EQ(p.serial.value(), 0x1a2b3c4du);
    EXPECT_EQ(p.rest, "start4.elf");
    EXPECT_EQ(split_boot_prefix("1a2b3c4/start4.elf").kind, BootPrefix::Kind::None);
    EXPECT_EQ(split_boot_prefix("1a2b3c4g/start4.elf").kind, BootPrefix::Kind::None);
    EXPECT_EQ(split_boot_prefix("start4.elf").kind, BootPrefix::Kind::None);
    EXPECT_EQ(split_boot_prefix("overlays/x.dtbo").rest, "overlays/x.dtbo");
}

TEST(TftpPath, MacPrefix) {
    BootPrefix p = split_boot_prefix("dc-a6-32-01-02-03/overlays/a.dtbo");
    ASSERT_EQ(p.kind, BootPrefix::Kind::Mac);
    EXPECT_EQ(p.mac[0], 0xdc);
    EXPECT_EQ(p.mac[5], 0x03);
    EXPECT_EQ(p.rest, "overlays/a.dtbo");
    EXPECT_EQ(split_boot_prefix("dc:a6:32:01:02:03/x").kind, BootPrefix::Kind::None);  // only '-' on the wire
    EXPECT_EQ(Mac::parse("DC:A6:32:01:02:03"), p.mac);
    EXPECT_FALSE(Mac::parse("dc-a6:32-01-02-03"));
}

}  // namespace
}  // namespace rackboot::proto
