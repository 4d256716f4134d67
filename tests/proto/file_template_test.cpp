// Per-board file templates and what the firmware would cut: variables rendered, braces escaped,
// unknown variables and lone braces refused with where; rendering into a buffer that is too
// small refused; config.txt settings past byte 4096 or lines past 98 characters, and a kernel
// command line past 1024 characters or on two lines, named by line.
#include "proto/file_template.h"

#include <gtest/gtest.h>

#include "proto/pi_file_limits.h"

namespace rackboot::proto {
namespace {

std::array<std::string_view, kTemplateVars> values() {
    return {"5a5a0001", "dc:a6:32:01:02:03", "10.0.0.7", "r1-u7", "rack=r1", "10.0.0.1", "5a5a0001"};
}

TEST(FileTemplate, RendersEveryVariableAndEscapedBraces) {
    auto t = FileTemplate::compile(
        "root=/dev/nbd0p2 nbdroot={server}/{root} ip={address} {{x}} mac={mac} n={name} l={labels}\n");
    ASSERT_TRUE(t) << t.error().reason;
    std::string want =
        "root=/dev/nbd0p2 nbdroot=10.0.0.1/5a5a0001 ip=10.0.0.7 {x} mac=dc:a6:32:01:02:03 n=r1-u7 "
        "l=rack=r1\n";
    EXPECT_EQ(t->render(values()), want);
    std::array<std::uint8_t, 256> out{};
    std::size_t n = t->render(values(), out);
    ASSERT_EQ(n, want.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), n), want);
    // One byte short: refused, never cut.
    EXPECT_EQ(t->render(values(), std::span<std::uint8_t>(out.data(), want.size() - 1)), SIZE_MAX);
    EXPECT_TRUE(t->uses(TemplateVar::server));
    EXPECT_TRUE(t->uses(TemplateVar::root));
    EXPECT_FALSE(t->uses(TemplateVar::serial));
    auto plain = FileTemplate::compile("no variables");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->uses(TemplateVar::serial));
    EXPECT_EQ(plain->render(values()), "no variables");
}

TEST(FileTemplate, RefusesWhatItCannotRenderWithWhere) {
    struct Case {
        const char* text;
        const char* why;
    };
    for (const Case& c : {Case{"nbdroot={server}/{rootfs}", "unknown variable {rootfs} at byte 17"},
                          Case{"a {serial", "a '{' with no '}' at byte 2"},
                          Case{"a } b", "a '}' with no '{' at byte 2"}, Case{"{}", "unknown variable {} at byte 0"}}) {
        auto t = FileTemplate::compile(c.text);
        ASSERT_FALSE(t) << c.text;
        EXPECT_NE(t.error().reason.find(c.why), std::string::npos) << t.error().reason;
    }
    EXPECT_FALSE(FileTemplate::compile(std::string(kMaxTemplateBytes + 1, 'x')));
}

TEST(FirmwareLimits, ConfigTxtOverTheNetwork) {
    EXPECT_EQ(firmware_would_cut("config.txt", "[all]\narm_64bit=1\n"), std::nullopt);
    // A setting that ends at byte 4096 is read; one that ends past it is not.
    std::string fill = "# " + std::string(4096 - 2 - 1 - 14, 'c') + "\n";  // a comment up to byte 4081
    std::string ok = fill + "enable_uart=1\n";                             // ends at byte 4095
    ASSERT_EQ(ok.size(), 4096u);
    EXPECT_EQ(firmware_would_cut("config.txt", ok), std::nullopt);
    std::string late = fill + "#\nenable_uart=1\n";
    auto why = firmware_would_cut("config.txt", late);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("config.txt line 3 'enable_uart=1' has its last byte at offset 4096"), std::string::npos)
        << *why;
    // Past 4096, only comments and blank lines are harmless.
    EXPECT_EQ(firmware_would_cut("config.txt", ok + "\n# a comment\n  \n"), std::nullopt);
    // Lines: 98 characters read whole, 99 not; a long comment is nothing to lose.
    EXPECT_EQ(firmware_would_cut("config.txt", "dtoverlay=" + std::string(88, 'x') + "\n"), std::nullopt);
    why = firmware_would_cut("Overlays/../CONFIG.TXT", "a=1\r\ndtoverlay=" + std::string(89, 'x') + "\r\n");
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("line 2"), std::string::npos) << *why;
    EXPECT_NE(why->find("is 99 characters"), std::string::npos) << *why;
    EXPECT_EQ(firmware_would_cut("config.txt", "# " + std::string(300, 'x') + "\n"), std::nullopt);
    EXPECT_EQ(firmware_would_cut("other.txt", std::string(9000, 'x')), std::nullopt);
}

TEST(FirmwareLimits, CmdlineTxtIsOneLineOf1024) {
    EXPECT_EQ(firmware_would_cut("cmdline.txt", std::string(1024, 'x') + "\n"), std::nullopt);
    auto why = firmware_would_cut("cmdline.txt", std::string(1025, 'x'));
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("1025 characters"), std::string::npos) << *why;
    EXPECT_EQ(firmware_would_cut("cmdline.txt", "console=tty1 root=/dev/nbd0p2\n\n  \n"), std::nullopt);
    why = firmware_would_cut("5a5a0001/cmdline.txt", "console=tty1\nroot=/dev/nbd0p2\n");
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("line 2 'root=/dev/nbd0p2'"), std::string::npos) << *why;
}

}  // namespace
}  // namespace rackboot::proto
