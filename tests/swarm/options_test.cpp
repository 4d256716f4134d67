// rackboot-swarm's command line: the issue's example, each flag, and each refusal.
#include "swarm/options.h"

#include <gtest/gtest.h>

namespace rackboot::swarm {
namespace {

bool parse(std::vector<std::string_view> args, SwarmOptions& o, std::string& err) {
    proto::Result<SwarmOptions> r = parse_swarm_options(args);
    if (!r) {
        err = r.error().reason;
        return false;
    }
    o = *r;
    return true;
}

TEST(SwarmOptions, TheIssuesExampleParses) {
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(
        parse({"--eal", "--no-huge -m 1024 --no-pci --vdev=net_af_packet0,iface=veth1", "--pis", "1000", "--mix",
               "pi4=100", "--ramp", "0", "--json", "report.json", "--require", "failed=0,p99_boot_s<30", "--fault",
               "loss=0.02", "--fault", "dup=0.01", "--fault", "rrq-race=0.1"},
              o, err))
        << err;
    EXPECT_EQ(o.pis, 1000u);
    EXPECT_EQ(o.mix[1], 100u);
    EXPECT_EQ(o.mix[0] + o.mix[2], 0u);
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[0], 0.02);
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[1], 0.02);
    EXPECT_DOUBLE_EQ(o.frame_faults.dup[1], 0.01);
    EXPECT_DOUBLE_EQ(o.pi_faults.rrq_race, 0.1);
    EXPECT_EQ(o.json_path, "report.json");
}

// The proxy OFFER rate: DHCP mode with the Pis' own addresses, no TFTP server to name.
TEST(SwarmOptions, DhcpModeWithAStaticPoolMeasuresAProxy) {
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(parse(
        {"--eal", "x", "--mode", "dhcp", "--dhcp-rate", "100000", "--pis", "9", "--static-pool", "10.0.0.1-10.0.0.9"},
        o, err))
        << err;
    EXPECT_EQ(o.mode, SwarmMode::dhcp);
    EXPECT_FALSE(o.pool_first.unset());
    EXPECT_DOUBLE_EQ(o.dhcp_rate, 100000);
}

TEST(SwarmOptions, EachFaultAndDirection) {
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(
        parse({"--eal", "x", "--fault", "loss-tx=0.1", "--fault", "corrupt-rx=0.2", "--fault", "reorder", "--fault",
               "no-request", "--fault", "dup-trap=0.05", "--fault", "zero-pad-ack=1", "--fault", "late-link=7"},
              o, err))
        << err;
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[0], 0.1);
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[1], 0);
    EXPECT_DOUBLE_EQ(o.frame_faults.corrupt[1], 0.2);
    EXPECT_DOUBLE_EQ(o.frame_faults.reorder[0], 1);
    EXPECT_DOUBLE_EQ(o.pi_faults.no_request, 1);
    EXPECT_DOUBLE_EQ(o.pi_faults.dup_trap, 0.05);
    EXPECT_DOUBLE_EQ(o.pi_faults.zero_pad_ack, 1);
    EXPECT_DOUBLE_EQ(o.late_link_s, 7);
}

TEST(SwarmOptions, ALinkAndTheFirmwaresRetryLoop) {
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(
        parse({"--eal", "x", "--link-rate", "400m", "--link-buffer", "256k", "--attempts", "0", "--retry-delay", "2.5"},
              o, err))
        << err;
    EXPECT_EQ(o.link_bps, 400'000'000u);
    EXPECT_EQ(o.link_buffer, 256u * 1024);
    EXPECT_EQ(o.attempts, 0);
    EXPECT_DOUBLE_EQ(o.retry_delay_s, 2.5);
    ASSERT_TRUE(parse({"--eal", "x", "--link-rate", "1g"}, o, err)) << err;
    EXPECT_EQ(o.link_bps, 1'000'000'000u);
}

TEST(SwarmOptions, RefusalsNameTheFlag) {
    struct Case {
        std::vector<std::string_view> args;
        const char* says;
    } cases[] = {
        {{"--pis", "3"}, "--eal is required"},
        {{"--eal", "x", "--pis", "0"}, "--pis"},
        {{"--eal", "x", "--mix", "pi6=3"}, "unknown model 'pi6'"},
        {{"--eal", "x", "--mix", "pi4=0"}, "every weight 0"},
        {{"--eal", "x", "--fault", "loss=2"}, "not in [0, 1]"},
        {{"--eal", "x", "--fault", "gremlins"}, "unknown fault 'gremlins'"},
        {{"--eal", "x", "--static-pool", "10.0.0.9-10.0.0.1", "--server", "10.0.0.1"}, "--static-pool"},
        {{"--eal", "x", "--static-pool", "10.0.0.1-10.0.0.9"}, "needs --server"},
        {{"--eal", "x", "--pis", "20", "--static-pool", "10.0.0.1-10.0.0.9", "--server", "10.0.0.1"}, "fewer"},
        {{"--eal", "x", "--pi4-blksize", "512"}, "1024 or 1468"},
        {{"--eal", "x", "--pis", "1000000", "--mac-offset", "16000000"}, "16777216"},
        {{"--eal", "x", "--bogus", "1"}, "unknown option '--bogus'"},
        {{"--eal"}, "--eal: missing value"},
        {{"--eal", "x", "--link-rate", "fast"}, "--link-rate"},
        {{"--eal", "x", "--link-rate", "10"}, "at least 1000"},
        {{"--eal", "x", "--link-buffer", "100"}, "--link-buffer"},
        {{"--eal", "x", "--retry-delay", "-1"}, "--retry-delay"},
    };
    for (const Case& c : cases) {
        SwarmOptions o;
        std::string err;
        EXPECT_FALSE(parse(c.args, o, err)) << c.says;
        EXPECT_NE(err.find(c.says), std::string::npos) << err;
    }
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(parse({"--help"}, o, err)) << err;  // no --eal: the usage is all that is asked
    EXPECT_TRUE(o.help);
    SwarmOptions v;
    ASSERT_TRUE(parse({"--version"}, v, err)) << err;  // nor for the version
    EXPECT_TRUE(v.version);
    EXPECT_EQ(parse_swarm_options(std::vector<std::string_view>{"--pis", "x"}).error().exit_code, 2);
}

// The usage is the rows': every flag in it, each once.
TEST(SwarmOptions, TheUsageListsEveryFlagOnce) {
    std::string usage = swarm_usage();
    for (const proto::FlagRow<SwarmOptions>& row : swarm_flags()) {
        std::string name = "  " + std::string(row.name) + " ";
        std::size_t at = usage.find(name);
        EXPECT_NE(at, std::string::npos) << row.name;
        EXPECT_EQ(usage.find(name, at + 1), std::string::npos) << row.name;
    }
}

// Both spellings of a valued flag, and a switch.
TEST(SwarmOptions, InlineValuesAndSwitches) {
    SwarmOptions o;
    std::string err;
    ASSERT_TRUE(parse({"--eal=x", "--pis=7", "--json-pis", "--fault", "loss-tx=0.5"}, o, err)) << err;
    EXPECT_EQ(o.eal, "x");
    EXPECT_EQ(o.pis, 7u);
    EXPECT_TRUE(o.json_pis);
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[0], 0.5);
    EXPECT_DOUBLE_EQ(o.frame_faults.loss[1], 0);
}

}  // namespace
}  // namespace rackboot::swarm
