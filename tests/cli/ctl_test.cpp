// rackbootctl's options and output for people (issue 23): global options anywhere on the line,
// a command's options, local times and ages, labels, events as one line each.
#include "cli/ctl.h"

#include <cstdlib>
#include <ctime>
#include <sstream>

#include <gtest/gtest.h>

namespace rackboot::cli {
namespace {

using nlohmann::json;

TEST(GlobalOptions, AreTakenBeforeOrAfterTheCommandAndTheRestKeptInOrder) {
    GlobalOptions g = parse_global_options({"boards", "ls", "--json", "--label", "rack=r1", "--api", "10.0.0.1:8069"});
    EXPECT_TRUE(g.error.empty()) << g.error;
    EXPECT_TRUE(g.as_json);
    EXPECT_EQ(g.api, "10.0.0.1:8069");
    EXPECT_EQ(g.rest, (std::vector<std::string>{"boards", "ls", "--label", "rack=r1"}));
    g = parse_global_options({"--json", "status"});
    EXPECT_TRUE(g.as_json);
    EXPECT_EQ(g.rest, (std::vector<std::string>{"status"}));
    // After "--", nothing is ours.
    g = parse_global_options({"boards", "set", "--", "--json"});
    EXPECT_FALSE(g.as_json);
    EXPECT_EQ(g.rest, (std::vector<std::string>{"boards", "set", "--json"}));
    EXPECT_EQ(parse_global_options({"status", "--api"}).error, "--api needs a value");
    EXPECT_NE(parse_global_options({"--token-file", "/nonexistent/token"}).error.find("cannot read"),
              std::string::npos);
}

TEST(GlobalOptions, AFlagAfterTheCommandWorksEndToEnd) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_ctl({"status", "--version"}, out, err), kExitOk);
    EXPECT_EQ(out.str().rfind("rackbootctl ", 0), 0u) << out.str();
    out.str("");
    // Nothing listens on port 1: unreachable (3), not a usage error.
    EXPECT_EQ(run_ctl({"status", "--json", "--api", "127.0.0.1:1"}, out, err), kExitUnreachable) << err.str();
    EXPECT_EQ(run_ctl({"status", "--bogus"}, out, err), kExitUsage);  // status takes no options
}

TEST(CommandOptions, PairsCollectAndSwitchesTakeNoValue) {
    Options o;
    std::string bad;
    ASSERT_TRUE(
        parse_options({"boards", "set", "--label", "a=1", "--dry-run", "--label", "b=2"}, 2, {"dry-run"}, o, bad));
    EXPECT_EQ(o["label"], (std::vector<std::string>{"a=1", "b=2"}));
    EXPECT_EQ(o.count("dry-run"), 1u);
    EXPECT_FALSE(parse_options({"boards", "set", "--image"}, 2, {}, o, bad));
    EXPECT_EQ(bad, "--image (it needs a value)");
    EXPECT_FALSE(parse_options({"boards", "set", "stray"}, 2, {}, o, bad));
    EXPECT_EQ(bad, "stray");
}

TEST(BoardsSet, ALabelWithoutAValueIsRefusedBeforeAnyRequest) {
    std::ostringstream out;
    std::ostringstream err;
    // Port 1: a request would exit 3; a usage error exits 2 first.
    EXPECT_EQ(run_ctl({"--api", "127.0.0.1:1", "boards", "set", "5a5a0001", "--label", "k="}, out, err), kExitUsage);
    EXPECT_NE(err.str().find("--unlabel"), std::string::npos) << err.str();
    EXPECT_EQ(run_ctl({"--api", "127.0.0.1:1", "boards", "set", "--selector", "rack", "--netboot", "off"}, out, err),
              kExitUsage);
    EXPECT_EQ(run_ctl({"--api", "127.0.0.1:1", "boards", "set", "--selector", "rack=r1", "--name", "x"}, out, err),
              kExitUsage);
    EXPECT_EQ(run_ctl({"--api", "127.0.0.1:1", "boards", "set", "--selector", "rack=r1"}, out, err), kExitUsage);
    EXPECT_EQ(run_ctl({"--api", "127.0.0.1:1", "boards", "set", "--selector", "rack=r1", "--netboot", "off"}, out, err),
              kExitUnreachable);
}

TEST(Output, TimesAreLocalAndAgesShort) {
    EXPECT_EQ(local_time(1'796'646'228'474), "2026-12-07 12:23:48");  // TZ=UTC (the test's environment)
    EXPECT_EQ(local_time(1'796'646'228'474, true), "2026-12-07 12:23:48.474");
    EXPECT_EQ(local_time(0), "-");
    std::time_t now = 1'796'646'228;
    EXPECT_EQ(age(now - 5, now), "5s ago");
    EXPECT_EQ(age(now - 600, now), "10m ago");
    EXPECT_EQ(age(now - 3 * 3600, now), "3h ago");
    EXPECT_EQ(age(now - 3 * 86400, now), "3d ago");
    EXPECT_EQ(age(now + 5, now), "just now");
    EXPECT_EQ(age(0, now), "-");
    EXPECT_EQ(human_bytes(3'000'000), "3.0 MB");
    EXPECT_EQ(labels_text(json{{"rack", "r1"}, {"row", "a"}}), "rack=r1,row=a");
    EXPECT_EQ(labels_text(json::object()), "-");
    json boot{{"result", "booted"}, {"started_ms", (now - 65) * 1000}, {"total_ms", 5000}};
    EXPECT_EQ(last_boot_text(boot, now), "booted 60s ago");
    EXPECT_EQ(last_boot_text(nullptr, now), "-");
}

TEST(Output, AnEventIsOneLine) {
    json dhcp{{"at_ms", 1'796'646'228'474},
              {"type", "DISCOVER"},
              {"mac", "dc:a6:32:00:00:01"},
              {"result", "replied"},
              {"serial", "1a2b3c4d"},
              {"ip", "10.0.1.5"},
              {"model", 4}};
    EXPECT_EQ(event_line("dhcp", dhcp, 12),
              "2026-12-07 12:23:48.474  dhcp  1a2b3c4d  dc:a6:32:00:00:01  DISCOVER replied 10.0.1.5 (pi4)  #12");
    json tftp{{"at_ms", 1'796'646'228'474},
              {"file", "1a2b3c4d/start4.elf"},
              {"client", "10.0.1.5"},
              {"result", "probe"},
              {"bytes", 1024},
              {"size", 2'300'000},
              {"ms", 3},
              {"quirks", {"probe_restart"}}};
    EXPECT_EQ(event_line("tftp", tftp, 0),
              "2026-12-07 12:23:48.474  tftp  -  10.0.1.5  1a2b3c4d/start4.elf probe, 1.0 KB of 2.3 MB in 3 ms "
              "[probe_restart]");
    json failed{{"at_ms", 1'796'646'228'474},
                {"kind", "boot_finished"},
                {"serial", "1a2b3c4d"},
                {"result", "failed"},
                {"total_ms", 31000},
                {"failed_file", "kernel8.img"},
                {"reason", "the transfer timed out"}};
    EXPECT_EQ(
        event_line("boot", failed, 7),
        "2026-12-07 12:23:48.474  boot  1a2b3c4d  failed in 31000 ms, on kernel8.img: the transfer timed out  #7");
    json lost{{"lost", 12}, {"first_id", 5}, {"last_id", 16}, {"exact", true}, {"reason", "behind"}};
    EXPECT_NE(event_line("lost", lost, 0).find("lost  12 events (ids 5..16): behind"), std::string::npos);
}

}  // namespace
}  // namespace rackboot::cli
