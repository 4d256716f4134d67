// The control plane's record joins: boot timelines (phases, results) and the event bus (filters,
// bounded queues, parked readers woken).
#include "control/events/boot_timeline.h"

#include <gtest/gtest.h>

#include "control/events/event_bus.h"
#include "control/events/event_log.h"
#include "dataplane/counters.h"
#include "proto/dhcp_codec.h"
#include "proto/dhcp_responder.h"
#include "proto/tftp_transfer.h"
#include "support/metrics_text.h"

namespace rackboot::control {
namespace {

dataplane::DhcpRecord dhcp(proto::DhcpMessageType type, std::uint32_t serial, std::uint32_t yiaddr = 0) {
    dataplane::DhcpRecord r;
    r.mac = {0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56};
    r.serial = proto::Serial(serial);
    r.model = 4;
    r.type = type;
    r.verdict = proto::DhcpVerdict::replied;
    r.yiaddr = proto::Ipv4(yiaddr);
    return r;
}

dataplane::TransferRecord tftp(const char* file, proto::TftpResult result, std::uint32_t ip, bool via_serial,
                               std::uint16_t error = 0) {
    dataplane::TransferRecord r;
    r.client_ip = proto::Ipv4(ip);
    r.result = result;
    r.error_code = error;
    // What the worker would count it as (tftp_service.cpp).
    switch (result) {
        case proto::TftpResult::Complete: r.outcome = dataplane::ResultLabel::complete; break;
        case proto::TftpResult::Timeout: r.outcome = dataplane::ResultLabel::timeout; break;
        case proto::TftpResult::Aborted: r.outcome = dataplane::ResultLabel::aborted; break;
        case proto::TftpResult::Unacknowledged: r.outcome = dataplane::ResultLabel::unacknowledged; break;
        default: r.outcome = error == 1 ? dataplane::ResultLabel::not_found : dataplane::ResultLabel::error; break;
    }
    r.duration_ns = 20'000'000;
    r.bytes = 100;
    if (via_serial) r.serial = proto::Serial(0x1a2b3c4d);
    std::snprintf(r.file, sizeof r.file, "%s", file);
    return r;
}

// Made-up serials (option 97, or a serial prefix in a path) cannot grow the timelines without
// bound: those no board has are kept for the last kMaxStrangers only, a board's always.
TEST(BootTimeline, MadeUpSerialsAndAddressesAreBounded) {
    BootTimeline::Hooks hooks;
    hooks.is_board = [](proto::Serial serial) { return serial == proto::Serial(0x1a2b3c4d); };
    BootTimeline t(50, nullptr, hooks);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 1000);
    constexpr std::uint32_t kFlood = 5000;
    for (std::uint32_t i = 0; i < kFlood; ++i) {
        t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x50000000 + i, 0x0a000000 + i), 2000 + i);
        t.on_transfer(tftp("start4.elf", proto::TftpResult::Complete, 0x0b000000 + i, true), 2000 + i);
    }
    EXPECT_EQ(t.kept(), BootTimeline::kMaxStrangers + 1);
    EXPECT_EQ(t.forgotten(), kFlood - BootTimeline::kMaxStrangers);
    EXPECT_TRUE(t.timeline(proto::Serial(0x1a2b3c4d)));               // the board's, from before the flood
    EXPECT_TRUE(t.timeline(proto::Serial(0x50000000 + kFlood - 1)));  // the latest stranger's
    EXPECT_FALSE(t.timeline(proto::Serial(0x50000000)));              // the first stranger's, let go
    // Spoofed sources, each naming a made-up serial: the address joins stay bounded too, and
    // the board's own address still joins its unprefixed requests.
    for (std::uint32_t i = 0; i < BootTimeline::kMaxAddresses + 1000; ++i) {
        dataplane::TransferRecord r = tftp("start4.elf", proto::TftpResult::Complete, 0x0c000000 + i, true);
        r.serial = proto::Serial(0x60000000 + i);
        t.on_transfer(r, 30'000 + i);
    }
    EXPECT_LE(t.joined_addresses(), BootTimeline::kMaxAddresses);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Request, 0x1a2b3c4d, 0x0a0000fe), 200'000);
    t.on_transfer(tftp("cmdline.txt", proto::TftpResult::Complete, 0x0a0000fe, false), 200'100);
    EXPECT_EQ(t.timeline(proto::Serial(0x1a2b3c4d))->at("events").back().at("file"), "cmdline.txt");
}

TEST(BootTimeline, ABootIsJoinedByMacSerialAndAddressAndEndsBooted) {
    EventBus bus;
    auto sub = bus.subscribe(EventFilter{proto::Serial(0x1a2b3c4d), std::nullopt, "boot"});
    std::vector<std::pair<proto::Serial, nlohmann::json>> persisted;
    BootTimeline::Hooks hooks;
    hooks.on_boot = [&](proto::Serial serial, const nlohmann::json& s) { persisted.emplace_back(serial, s); };
    BootTimeline t(50, &bus, hooks);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 1000);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Request, 0x1a2b3c4d, 0x0a000107), 1300);
    dataplane::TransferRecord probe = tftp("1a2b3c4d/start4.elf", proto::TftpResult::Complete, 0x0a000107, true);
    probe.quirks = 1u << static_cast<unsigned>(dataplane::Quirk::probe_restart);
    t.on_transfer(probe, 1500);
    t.on_transfer(tftp("1a2b3c4d/missing.dat", proto::TftpResult::Error, 0x0a000107, true, 1), 1600);
    t.on_transfer(tftp("1a2b3c4d/kernel8.img", proto::TftpResult::Complete, 0x0a000107, true), 2500);
    ASSERT_TRUE(persisted.empty());  // no cmdline.txt yet
    // Unprefixed, joined by the address DHCP gave the board.
    t.on_transfer(tftp("cmdline.txt", proto::TftpResult::Complete, 0x0a000107, false), 2600);
    ASSERT_EQ(persisted.size(), 1u);
    const nlohmann::json& s = persisted[0].second;
    EXPECT_EQ(persisted[0].first, proto::Serial(0x1a2b3c4d));
    EXPECT_EQ(s["result"], "booted");
    EXPECT_EQ(s["dhcp_ms"], 300);
    EXPECT_EQ(s["total_ms"], 1600);
    EXPECT_EQ(s["files"].size(), 4u);  // a "not found" is part of the boot, not a failure
    auto tl = t.timeline(proto::Serial(0x1a2b3c4d));
    ASSERT_TRUE(tl);
    bool quirk_seen = false;
    for (const auto& e : (*tl)["events"]) {
        if (e.contains("quirks")) quirk_seen = e["quirks"][0] == "probe_restart";
    }
    EXPECT_TRUE(quirk_seen) << (*tl)["events"].dump();
    EXPECT_TRUE((*tl)["boot"].is_null());
    EXPECT_EQ((*tl)["last_boot"]["result"], "booted");
    std::string events = bus.take(*sub, nullptr);
    EXPECT_NE(events.find("boot_started"), std::string::npos);
    EXPECT_NE(events.find("boot_finished"), std::string::npos);
    EXPECT_EQ(events.find("event: tftp"), std::string::npos);  // filtered by kind
    EXPECT_FALSE(t.timeline(proto::Serial(0x99999999)));
}

// Issue 23: the stream carries a boot's last transfer before the boot's end, each file's role
// with it, so a reader (the web view) never sees a finished boot go back to "kernel".
TEST(BootTimeline, TheLastTransferComesBeforeTheBootsEndWithItsRole) {
    EventBus bus;
    auto sub = bus.subscribe({});
    BootTimeline t(50, &bus, {});
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 1000);
    t.on_transfer(tftp("1a2b3c4d/cmdline.txt", proto::TftpResult::Complete, 0, true), 1500);
    t.on_transfer(tftp("1a2b3c4d/kernel8.img", proto::TftpResult::Complete, 0, true), 2500);
    std::string events = bus.take(*sub, nullptr);
    std::size_t kernel = events.find("\"file\":\"1a2b3c4d/kernel8.img\"");
    std::size_t finished = events.find("\"kind\":\"boot_finished\"");
    ASSERT_NE(kernel, std::string::npos) << events;
    ASSERT_NE(finished, std::string::npos) << events;
    EXPECT_LT(kernel, finished) << events;
    EXPECT_NE(events.find("\"role\":\"kernel\""), std::string::npos) << events;
    EXPECT_NE(events.find("\"role\":\"config\""), std::string::npos) << events;
}

TEST(BootTimeline, ATimeoutThenSilenceIsAFailureWithTheFileAndAStartOverAbandons) {
    std::vector<nlohmann::json> persisted;
    BootTimeline::Hooks hooks;
    hooks.on_boot = [&](proto::Serial, const nlohmann::json& s) { persisted.push_back(s); };
    BootTimeline t(3, nullptr, hooks);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 1000);
    t.on_transfer(tftp("1a2b3c4d/start4.elf", proto::TftpResult::Timeout, 0, true), 2000);
    t.tick(2000 + BootTimeline::kIdleMs - 1);
    EXPECT_TRUE(persisted.empty());
    t.tick(2001 + BootTimeline::kIdleMs);
    ASSERT_EQ(persisted.size(), 1u);
    EXPECT_EQ(persisted[0]["result"], "failed");
    EXPECT_EQ(persisted[0]["failed_file"], "1a2b3c4d/start4.elf");
    EXPECT_EQ(persisted[0]["reason"], "the transfer timed out");
    // A DISCOVER after files: the board started over without its kernel.
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 200'000);
    t.on_transfer(tftp("1a2b3c4d/start4.elf", proto::TftpResult::Complete, 0, true), 200'100);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 200'200);
    ASSERT_EQ(persisted.size(), 2u);
    EXPECT_EQ(persisted[1]["result"], "abandoned");
    EXPECT_LE((*t.timeline(proto::Serial(0x1a2b3c4d)))["events"].size(), 3u);  // bounded per board
}

// Issue 18: a serial claimed from a MAC its board does not list starts no boot, and shows on the
// board's timeline and the event stream with both MACs and where it came from (that it teaches
// nothing: event_fanout_test).
TEST(BootTimeline, AnIdentityConflictIsAnEventWithBothMacsAndStartsNoBoot) {
    EventBus bus;
    auto sub = bus.subscribe(EventFilter{proto::Serial(0x1234abcd), std::nullopt, ""});
    BootTimeline::Hooks hooks;
    hooks.configured_macs = [](proto::Serial serial) {
        return serial == proto::Serial(0x1234abcd) ? std::vector<proto::Mac>{proto::Mac::from_key(0xdca632000001)}
                                                   : std::vector<proto::Mac>{};
    };
    BootTimeline t(50, &bus, hooks);
    dataplane::DhcpRecord r = dhcp(proto::DhcpMessageType::Discover, 0x1234abcd);
    r.mac = {0x02, 0x66, 0x66, 0x00, 0x00, 0x01};
    r.verdict = proto::DhcpVerdict::identity_conflict;
    r.via = proto::Ipv4(0x0a000001);
    t.on_dhcp(r, 1000);
    r.type = proto::DhcpMessageType::Request;
    t.on_dhcp(r, 1100);
    auto tl = t.timeline(proto::Serial(0x1234abcd));
    ASSERT_TRUE(tl);
    ASSERT_EQ((*tl)["events"].size(), 2u) << tl->dump();
    const nlohmann::json& e = (*tl)["events"][0];
    EXPECT_EQ(e["result"], "identity_conflict");
    EXPECT_EQ(e["mac"], "02:66:66:00:00:01");
    EXPECT_EQ(e["board_macs"], nlohmann::json::array({"dc:a6:32:00:00:01"}));
    EXPECT_EQ(e["from"], "relay 10.0.0.1");
    EXPECT_TRUE((*tl)["boot"].is_null());  // no boot started
    std::string events = bus.take(*sub, nullptr);
    EXPECT_NE(events.find("identity_conflict"), std::string::npos) << events;
    EXPECT_NE(events.find("dc:a6:32:00:00:01"), std::string::npos) << events;
}

}  // namespace
}  // namespace rackboot::control

namespace rackboot::control {
namespace {

using test::series_value;

// Boots feed the metrics page: counted by model and result, timed whole and by phase (DHCP, each
// file role from its first request to its last end), complete transfers timed by role and their
// rate taken from files large enough to have one; boots under way counted by the phase they are in.
TEST(BootFigures, BootsAreCountedByModelAndResultAndTimedByPhase) {
    BootTimeline t(50, nullptr, {});
    // A Pi 4 (model from option 97): DHCP done 300 ms after its DISCOVER.
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x1a2b3c4d), 1000);
    t.on_dhcp(dhcp(proto::DhcpMessageType::Request, 0x1a2b3c4d, 0x0a000107), 1300);
    auto at = [&](const char* file, std::int64_t end_ms, std::int64_t ms, std::uint64_t size,
                  dataplane::ResultLabel outcome = dataplane::ResultLabel::complete) {
        dataplane::TransferRecord r = tftp(file, proto::TftpResult::Complete, 0x0a000107, true);
        r.duration_ns = ms * 1'000'000;
        r.file_size = size;
        r.outcome = outcome;
        if (outcome != dataplane::ResultLabel::complete) r.result = proto::TftpResult::Aborted;
        t.on_transfer(r, end_ms);
    };
    at("1a2b3c4d/start4.elf", 1310, 5, 2'000'000, dataplane::ResultLabel::probe);  // the probe: no figure
    at("1a2b3c4d/start4.elf", 2300, 980, 2'000'000);                               // firmware 1305..2300
    at("1a2b3c4d/config.txt", 2320, 10, 400);
    std::string mid = t.render_metrics();
    EXPECT_EQ(series_value(mid, "rackboot_boots_in_progress{phase=\"config\"}"), 1);
    EXPECT_EQ(series_value(mid, "rackboot_boots_in_progress{phase=\"dhcp\"}"), 0);
    at("1a2b3c4d/kernel8.img", 4400, 2000, 8'000'000);  // kernel 2400..4400: 4 MB/s
    at("1a2b3c4d/cmdline.txt", 4500, 20, 100);          // config 2310..4500
    std::string page = t.render_metrics();
    EXPECT_EQ(series_value(page, "rackboot_boots_total{model=\"pi4\",result=\"booted\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_boots_total{model=\"pi4\",result=\"failed\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_boots_in_progress{phase=\"config\"}"), 0);
    // 3.5 s from DISCOVER to cmdline.txt: in le=5, not in le=3.
    EXPECT_EQ(series_value(page, "rackboot_boot_duration_seconds_bucket{model=\"pi4\",le=\"3\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_boot_duration_seconds_bucket{model=\"pi4\",le=\"5\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_boot_duration_seconds_sum{model=\"pi4\"}"), 3.5);
    EXPECT_EQ(series_value(page, "rackboot_boot_duration_seconds_count{model=\"pi3\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_sum{phase=\"dhcp\"}"), 0.3);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_sum{phase=\"firmware\"}"), 0.995);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_sum{phase=\"config\"}"), 2.19);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_sum{phase=\"kernel\"}"), 2);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_count{phase=\"initramfs\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_duration_seconds_count{role=\"config\"}"), 2);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_duration_seconds_count{role=\"firmware\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_duration_seconds_bucket{role=\"kernel\",le=\"1\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_duration_seconds_bucket{role=\"kernel\",le=\"2.5\"}"), 1);
    // The start4.elf and the kernel have a rate; config.txt and cmdline.txt are too small.
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_rate_bytes_per_second_count"), 2);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_rate_bytes_per_second_bucket{le=\"2621440\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_tftp_transfer_rate_bytes_per_second_bucket{le=\"5242880\"}"), 2);
    EXPECT_NE(page.find("# TYPE rackboot_boot_duration_seconds histogram\n"), std::string::npos);
    // The timeline and the log line name the probe as what it was, as the metrics count it.
    nlohmann::json files = (*t.timeline(proto::Serial(0x1a2b3c4d)))["last_boot"]["files"];
    EXPECT_EQ(files[0]["result"], "probe") << files.dump();
    EXPECT_EQ(files[1]["result"], "complete");
    dataplane::TransferRecord lookup = tftp("recover4.elf", proto::TftpResult::Error, 0x0a000107, false, 1);
    EXPECT_NE(format_transfer(lookup).find(" result=not_found "), std::string::npos) << format_transfer(lookup);
    EXPECT_EQ(page.find("undocumented"), std::string::npos);
}

TEST(BootFigures, AFailureNetbootOffAndAPi3AreCountedApart) {
    BootTimeline t(50, nullptr, {});
    // A Pi 3 (no option 97; bootcode.bin names it) whose start.elf times out.
    dataplane::DhcpRecord d = dhcp(proto::DhcpMessageType::Discover, 0x33333333);
    d.model = 0;
    t.on_dhcp(d, 1000);
    dataplane::TransferRecord rom = tftp("33333333/bootcode.bin", proto::TftpResult::Complete, 0, true);
    rom.serial = proto::Serial(0x33333333);
    t.on_transfer(rom, 1100);
    dataplane::TransferRecord late = tftp("33333333/start.elf", proto::TftpResult::Timeout, 0, true);
    late.serial = proto::Serial(0x33333333);
    t.on_transfer(late, 1200);
    // A Pi 4 whose board has netboot off: its files are refused as not found.
    t.on_dhcp(dhcp(proto::DhcpMessageType::Discover, 0x44444444), 1000);
    dataplane::TransferRecord off = tftp("44444444/start4.elf", proto::TftpResult::Error, 0, true, 1);
    off.serial = proto::Serial(0x44444444);
    off.outcome = dataplane::ResultLabel::netboot_off;
    t.on_transfer(off, 1100);
    EXPECT_EQ(series_value(t.render_metrics(), "rackboot_boots_in_progress{phase=\"firmware\"}"), 2);
    t.tick(2000 + BootTimeline::kIdleMs);
    std::string page = t.render_metrics();
    EXPECT_EQ(series_value(page, "rackboot_boots_total{model=\"pi3\",result=\"failed\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_boots_total{model=\"pi4\",result=\"netboot_off\"}"), 1);
    EXPECT_EQ(series_value(page, "rackboot_boots_total{model=\"pi4\",result=\"abandoned\"}"), 0);
    // Only a booted boot is timed.
    EXPECT_EQ(series_value(page, "rackboot_boot_duration_seconds_count{model=\"pi3\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_boot_phase_seconds_count{phase=\"dhcp\"}"), 0);
    EXPECT_EQ(series_value(page, "rackboot_boots_in_progress{phase=\"firmware\"}"), 0);
    EXPECT_EQ((*t.timeline(proto::Serial(0x44444444)))["last_boot"]["result"], "netboot_off");
    // In server mode the firmware of a board with netboot off gets no DHCP answer at all.
    dataplane::DhcpRecord unanswered = dhcp(proto::DhcpMessageType::Discover, 0x55555555);
    unanswered.verdict = proto::DhcpVerdict::netboot_off;
    t.on_dhcp(unanswered, 300'000);
    t.tick(301'000 + BootTimeline::kIdleMs);
    EXPECT_EQ(series_value(t.render_metrics(), "rackboot_boots_total{model=\"pi4\",result=\"netboot_off\"}"), 2);
}

}  // namespace
}  // namespace rackboot::control
