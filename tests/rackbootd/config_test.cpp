#include "rackbootd/config.h"

#include <arpa/inet.h>

#include <vector>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

std::optional<DaemonConfig> parse(std::vector<const char*> args, std::string& err) {
    args.insert(args.begin(), "rackbootd");
    auto cfg = parse_daemon_args(static_cast<int>(args.size()), args.data());
    if (!cfg) {
        err = cfg.error().reason;
        return std::nullopt;
    }
    return std::move(*cfg);
}

// The DPDK backend's required flags (a ring port, 10.2.0.1/16), then `extra`.
std::optional<DaemonConfig> parse_dpdk(std::vector<const char*> extra, std::string& err) {
    std::vector<const char*> args{"--backend", "dpdk", "--eal", "--vdev=net_ring0", "--ip", "10.2.0.1/16"};
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args, err);
}

TEST(DaemonConfig, Defaults) {
    std::string err;
    auto c = parse({}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_TRUE(c->tftp_root.empty());
    EXPECT_EQ(c->listen, proto::Ipv4(INADDR_LOOPBACK));
    EXPECT_EQ(c->api_addr, proto::Ipv4(INADDR_LOOPBACK));  // not open to the world
    EXPECT_FALSE(c->tftp_port.has_value());
    EXPECT_EQ(c->max_transfers, 20000u);
}

TEST(DaemonConfig, ParsesEveryFlag) {
    std::string err;
    auto c = parse({"--tftp-root",
                    "/srv/tftp",
                    "--board",
                    "1a2b3c4d=/srv/a",
                    "--board=dc-a6-32-01-02-03=/srv/b",
                    "--listen",
                    "0.0.0.0",
                    "--tftp-port",
                    "1069",
                    "--workers",
                    "3",
                    "--cpus",
                    "1,2,3",
                    "--max-transfers",
                    "50000",
                    "--mtu",
                    "9000",
                    "--max-windowsize",
                    "128",
                    "--api-heartbeat",
                    "2",
                    "--api",
                    "off"},
                   err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->api_heartbeat_s, 2u);
    EXPECT_EQ(c->tftp_root, "/srv/tftp");
    ASSERT_EQ(c->boards.size(), 2u);
    EXPECT_EQ(c->boards[0].serial.value(), 0x1a2b3c4du);
    EXPECT_EQ(c->boards[1].kind, proto::BootPrefix::Kind::Mac);
    EXPECT_EQ(c->boards[1].dir, "/srv/b");
    EXPECT_EQ(*c->tftp_port, 1069);
    EXPECT_EQ(c->workers, 3u);
    EXPECT_EQ(c->cpus, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(c->mtu, 9000u);
    EXPECT_FALSE(c->api_enabled);
}

TEST(DaemonConfig, DpdkGatewayInsideTheSubnetOnly) {
    std::string err;
    auto c = parse_dpdk({"--gateway", "10.2.255.254"}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->dpdk_gateway, proto::Ipv4(0x0a02fffe));
    EXPECT_FALSE(parse_dpdk({"--gateway", "10.3.0.1"}, err));
    EXPECT_NE(err.find("--gateway must be another address inside --ip's subnet"), std::string::npos) << err;
    EXPECT_FALSE(parse_dpdk({"--gateway", "10.2.0.1"}, err));
    EXPECT_FALSE(parse({"--gateway", "10.2.0.1"}, err));
    EXPECT_NE(err.find("--gateway applies to --backend dpdk"), std::string::npos) << err;
    EXPECT_FALSE(parse_dpdk({"--gateway", "nope"}, err));
    EXPECT_NE(err.find("--gateway"), std::string::npos) << err;
}

TEST(DaemonConfig, DpdkPortByName) {
    std::string err;
    auto c = parse_dpdk({"--port", "net_ring0"}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->dpdk_port, "net_ring0");
    c = parse_dpdk({}, err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->dpdk_port, "");
    EXPECT_FALSE(parse({"--port", "net_ring0"}, err));
    EXPECT_NE(err.find("--port applies to --backend dpdk"), std::string::npos) << err;
    EXPECT_FALSE(parse_dpdk({"--port", ""}, err));
    EXPECT_NE(err.find("--port: '' is not a DPDK port name"), std::string::npos) << err;
}

TEST(DaemonConfig, DhcpServerFlags) {
    std::string err;
    auto c = parse({"--listen",      "0.0.0.0",
                    "--dhcp",        "server",
                    "--subnet",      "10.1.0.0/16",
                    "--pool",        "10.1.1.0-10.1.1.255",
                    "--router",      "10.1.0.1",
                    "--dns",         "10.1.0.1,10.1.0.2",
                    "--lease-time",  "600",
                    "--reserve",     "1a2b3c4d=10.1.0.50",
                    "--reserve",     "dc:a6:32:01:02:03=10.1.0.51",
                    "--state",       "/var/lib/rb",
                    "--lease-fsync", "off",
                    "--pi-ouis",     "b8:27:eb,2c:cf:67",
                    "--tftp-server", "10.1.0.9"},
                   err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->dhcp_mode, proto::DhcpMode::Server);
    EXPECT_EQ(c->subnet, proto::Ipv4(0x0a010000));
    EXPECT_EQ(c->prefix, 16);
    EXPECT_EQ(c->pool_end, proto::Ipv4(0x0a0101ff));
    EXPECT_EQ(c->dns.size(), 2u);
    EXPECT_EQ(c->serial_reservations.at(0).first, proto::Serial(0x1a2b3c4d));
    EXPECT_EQ(c->mac_reservations.at(0).first, proto::Mac::from_key(0xdca632010203ULL));
    EXPECT_FALSE(c->lease_fsync);
    EXPECT_EQ(c->pi_ouis.size(), 2u);
    EXPECT_EQ(c->tftp_server_ip, proto::Ipv4(0x0a010009));
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
    EXPECT_FALSE(parse({"--dhcp", "proxy"}, err));  // TFTP on loopback cannot serve the Pis
    EXPECT_NE(err.find("loopback"), std::string::npos);
    EXPECT_TRUE(parse({"--dhcp", "proxy", "--listen", "0.0.0.0"}, err)) << err;
    EXPECT_FALSE(parse({"--dhcp", "server", "--listen", "0.0.0.0", "--pool", "10.0.0.10-10.0.0.20"}, err));
    EXPECT_EQ(err, "--dhcp server needs --subnet");
    EXPECT_FALSE(parse({"--reserve", "zz=10.0.0.1"}, err));
    EXPECT_FALSE(parse({"--subnet", "10.0.0.0"}, err));
    EXPECT_FALSE(parse({"--pi-ouis", "b8:27"}, err));
    EXPECT_FALSE(parse({"--api-heartbeat", "0"}, err));
    EXPECT_EQ(err, "--api-heartbeat: '0' must be 1..300 seconds");
}

// A refusal is one line however hostile the value (found by the flags fuzzer: a value with a
// newline made a two-line error, and a log line anyone could forge).
TEST(DaemonConfig, ErrorsQuoteValuesAsOnePrintableLine) {
    std::string err;
    EXPECT_FALSE(parse({"--workers", "1\nevent=start tftp=0.0.0.0:69"}, err));
    EXPECT_EQ(err, "--workers: '1\\x0aevent=start tftp=0.0.0.0:69' is not a worker count (1..1024)");
    EXPECT_FALSE(parse({"--bogus\x1b[2J"}, err));
    EXPECT_EQ(err, "unknown option '--bogus\\x1b[2J' (see --help)");
    EXPECT_FALSE(parse({"--board", "\xff\xfe=/srv"}, err));
    EXPECT_NE(err.find("'\\xff\\xfe' is neither"), std::string::npos) << err;
    std::string long_value(5000, '7');
    EXPECT_FALSE(parse({"--workers", long_value.c_str()}, err));
    EXPECT_LT(err.size(), 300u);
    EXPECT_NE(err.find("...'"), std::string::npos) << err;
}

}  // namespace
}  // namespace rackboot::control
