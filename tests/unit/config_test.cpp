#include "control/config.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <vector>

namespace rackboot::control {
namespace {

std::optional<DaemonConfig> parse(std::vector<const char*> args, std::string& err) {
    args.insert(args.begin(), "rackbootd");
    return parse_daemon_args(static_cast<int>(args.size()), args.data(), err);
}

TEST(DaemonConfig, Defaults) {
    std::string err;
    auto c = parse({}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_TRUE(c->tftp_root.empty());
    EXPECT_EQ(c->listen.s_addr, htonl(INADDR_LOOPBACK));
    EXPECT_EQ(c->api_addr.s_addr, htonl(INADDR_LOOPBACK));  // not open to the world
    EXPECT_FALSE(c->tftp_port.has_value());
    EXPECT_EQ(c->max_transfers, 20000u);
}

TEST(DaemonConfig, ParsesEveryFlag) {
    std::string err;
    auto c = parse({"--tftp-root", "/srv/tftp", "--board", "1a2b3c4d=/srv/a", "--board=dc-a6-32-01-02-03=/srv/b",
                    "--listen", "0.0.0.0", "--tftp-port", "1069", "--workers", "3", "--cpus", "1,2,3",
                    "--max-transfers", "50000", "--mtu", "9000", "--max-windowsize", "128", "--api", "off"},
                   err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->tftp_root, "/srv/tftp");
    ASSERT_EQ(c->boards.size(), 2u);
    EXPECT_EQ(c->boards[0].serial, 0x1a2b3c4du);
    EXPECT_EQ(c->boards[1].kind, proto::BootPrefix::Kind::Mac);
    EXPECT_EQ(c->boards[1].dir, "/srv/b");
    EXPECT_EQ(*c->tftp_port, 1069);
    EXPECT_EQ(c->workers, 3u);
    EXPECT_EQ(c->cpus, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(c->mtu, 9000u);
    EXPECT_FALSE(c->api_enabled);
}

TEST(DaemonConfig, ErrorsNameTheFlagAndValue) {
    std::string err;
    EXPECT_FALSE(parse({"--workers", "zero"}, err));
    EXPECT_EQ(err, "--workers: 'zero' is not a worker count (1..1024)");
    EXPECT_FALSE(parse({"--tftp-port", "70000"}, err));
    EXPECT_NE(err.find("--tftp-port"), std::string::npos);
    EXPECT_FALSE(parse({"--listen", "localhost"}, err));
    EXPECT_NE(err.find("not an IPv4 address"), std::string::npos);
    EXPECT_FALSE(parse({"--board", "xyz=/srv"}, err));
    EXPECT_NE(err.find("neither an 8-hex-digit serial nor a MAC"), std::string::npos);
    EXPECT_FALSE(parse({"--api", "8080"}, err));
    EXPECT_FALSE(parse({"--bogus"}, err));
    EXPECT_NE(err.find("unknown option '--bogus'"), std::string::npos);
    EXPECT_FALSE(parse({"--tftp-root"}, err));
    EXPECT_EQ(err, "--tftp-root: missing value");
    EXPECT_FALSE(parse({"--max-windowsize", "0"}, err));
}

}  // namespace
}  // namespace rackboot::control
