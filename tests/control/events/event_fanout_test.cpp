// The drain of a worker's event ring: each event once, in ring order, to the log, the learner
// (answered requests only) and the timelines; an identity conflict's log line names both sides.
#include "control/events/event_fanout.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "control/events/event_bus.h"

namespace rackboot::control {
namespace {

const proto::Mac kPi = proto::Mac::from_key(0xdca632123456);
const proto::Serial kBoard(0x1a2b3c4d);

dataplane::DhcpRecord dhcp(proto::DhcpMessageType type, proto::DhcpVerdict verdict, proto::Ipv4 yiaddr = {}) {
    dataplane::DhcpRecord r;
    r.mac = kPi;
    r.serial = kBoard;
    r.model = 4;
    r.type = type;
    r.verdict = verdict;
    r.yiaddr = yiaddr;
    return r;
}

// Log lines written to a memory stream, read back as text.
class Captured {
public:
    Captured() : file_(open_memstream(&buf_, &len_)) {}
    ~Captured() {
        std::fclose(file_);
        std::free(buf_);
    }
    Captured(const Captured&) = delete;
    Captured& operator=(const Captured&) = delete;
    [[nodiscard]] std::FILE* file() const { return file_; }
    [[nodiscard]] std::string text() {
        std::fflush(file_);
        return std::string(buf_, len_);
    }

private:
    char* buf_ = nullptr;
    std::size_t len_ = 0;
    std::FILE* file_;
};

TEST(EventFanout, ARingIsDrainedInOrderToTheLogTheLearnerAndTheTimeline) {
    Captured log;
    BootTimeline timeline(50, nullptr, {});
    std::vector<DhcpLesson> lessons;
    EventFanout::Sinks sinks;
    sinks.learn = [&](const DhcpLesson& l) { lessons.push_back(l); };
    EventFanout fanout(timeline, sinks, log.file());

    dataplane::EventRing ring(16);
    ASSERT_TRUE(ring.push(dhcp(proto::DhcpMessageType::Discover, proto::DhcpVerdict::replied)));
    ASSERT_TRUE(ring.push(dhcp(proto::DhcpMessageType::Request, proto::DhcpVerdict::replied, proto::Ipv4(0x0a000107))));
    dataplane::TransferRecord t;
    t.client_ip = proto::Ipv4(0x0a000107);
    t.client_port = 49152;
    t.client_mac = kPi;
    t.serial = kBoard;
    t.result = proto::TftpResult::Complete;
    std::snprintf(t.file, sizeof t.file, "%s", "start4.elf");
    ASSERT_TRUE(ring.push(t));
    fanout.drain(ring, 1000);

    dataplane::WorkerEvent left;
    EXPECT_FALSE(ring.pop(left));  // each event once
    std::string text = log.text();
    std::size_t discover = text.find("type=discover");
    std::size_t request = text.find("type=request");
    std::size_t transfer = text.find("event=tftp_transfer");
    ASSERT_NE(discover, std::string::npos) << text;
    ASSERT_NE(request, std::string::npos) << text;
    ASSERT_NE(transfer, std::string::npos) << text;
    EXPECT_LT(discover, request);
    EXPECT_LT(request, transfer);
    // The transfer names its board and the client's MAC the worker saw, though its path named
    // neither.
    std::string line = text.substr(transfer);
    EXPECT_NE(line.find("serial=1a2b3c4d"), std::string::npos) << line;
    EXPECT_NE(line.find("mac=dc:a6:32:12:34:56"), std::string::npos) << line;

    ASSERT_EQ(lessons.size(), 2u);
    EXPECT_EQ(lessons[0].mac, kPi);
    EXPECT_EQ(lessons[0].serial, kBoard);
    EXPECT_TRUE(lessons[0].ip.unset());
    EXPECT_EQ(lessons[1].ip, proto::Ipv4(0x0a000107));
    EXPECT_EQ(lessons[1].model, 4);
    EXPECT_EQ(lessons[1].from, "direct");

    auto tl = timeline.timeline(kBoard);
    ASSERT_TRUE(tl);
    EXPECT_EQ((*tl)["events"].size(), 4u) << tl->dump();  // boot_started, two DHCP, one transfer
}

// Issue 18: a refused claim teaches nothing; its log line names the MACs the board lists and the
// board the claiming MAC belongs to.
TEST(EventFanout, OnlyAnsweredRequestsTeachAndAConflictNamesBothSides) {
    Captured log;
    BootTimeline timeline(50, nullptr, {});
    int learnt = 0;
    EventFanout::Sinks sinks;
    sinks.learn = [&](const DhcpLesson&) { ++learnt; };
    sinks.configured_macs = [](proto::Serial s) {
        return s == kBoard ? std::vector<proto::Mac>{proto::Mac::from_key(0xdca632000001)} : std::vector<proto::Mac>{};
    };
    sinks.serial_of_mac = [](proto::Mac m) -> std::optional<proto::Serial> {
        if (m == kPi) return proto::Serial(0x0badc0de);
        return std::nullopt;
    };
    EventFanout fanout(timeline, sinks, log.file());
    dataplane::DhcpRecord conflict = dhcp(proto::DhcpMessageType::Discover, proto::DhcpVerdict::identity_conflict);
    conflict.via = proto::Ipv4(0x0a000001);
    fanout.deliver(conflict, 1000);
    fanout.deliver(dhcp(proto::DhcpMessageType::Discover, proto::DhcpVerdict::rate_limited), 1100);
    fanout.deliver(dhcp(proto::DhcpMessageType::Discover, proto::DhcpVerdict::netboot_off), 1150);
    EXPECT_EQ(learnt, 0);
    fanout.deliver(dhcp(proto::DhcpMessageType::Discover, proto::DhcpVerdict::replied), 1200);
    EXPECT_EQ(learnt, 1);
    std::string text = log.text();
    EXPECT_NE(text.find("result=identity_conflict"), std::string::npos) << text;
    EXPECT_NE(text.find("board_macs=dc:a6:32:00:00:01 mac_belongs_to=0badc0de from=\"relay 10.0.0.1\""),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace rackboot::control
