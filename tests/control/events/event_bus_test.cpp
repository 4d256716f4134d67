// The event bus: one bounded history read by every subscriber with its own cursor; a subscriber
// that falls behind is told in-band how many it lost; Last-Event-ID replays what is kept; ids go
// on from a recorded block.
#include "control/events/event_bus.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rackboot::control {
namespace {

const proto::Mac kPi = proto::Mac::from_key(0xdca632123456);

BusEvent ev(const std::string& kind, proto::Mac mac = kPi, const std::string& json = "{}") {
    return BusEvent{0, kind, std::nullopt, mac, json};
}

// The frames of a take, as (id, event, data).
struct Frame {
    std::uint64_t id = 0;
    std::string event;
    std::string data;
};

std::vector<Frame> frames(const std::string& text) {
    std::vector<Frame> out;
    Frame f;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl - start);
        start = nl + 1;
        if (line.empty()) {
            out.push_back(f);
            f = Frame{};
        } else if (line.rfind("id: ", 0) == 0) {
            f.id = std::stoull(line.substr(4));
        } else if (line.rfind("event: ", 0) == 0) {
            f.event = line.substr(7);
        } else if (line.rfind("data: ", 0) == 0) {
            f.data = line.substr(6);
        }
    }
    return out;
}

TEST(EventBus, SubscribersAreLimitedAndParkedReadersWokenOnlyForWhatTheyWant) {
    EventBus bus;
    std::vector<std::shared_ptr<Subscription>> subs;
    for (std::size_t i = 0; i < EventBus::kMaxSubscribers; ++i) subs.push_back(bus.subscribe({}));
    EXPECT_FALSE(bus.subscribe({}));
    bus.unsubscribe(subs.back());
    subs.pop_back();
    auto s = bus.subscribe(EventFilter{std::nullopt, kPi, ""});
    ASSERT_TRUE(s);
    int resumed = 0;
    bus.set_resume(*s, [&] { ++resumed; });
    bool parked = false;
    EXPECT_EQ(bus.take(*s, [&] { parked = true; }), "");
    EXPECT_TRUE(parked);
    bus.publish(ev("dhcp", proto::Mac::from_key(0x1)));  // another MAC: not for it
    EXPECT_EQ(resumed, 0);
    bus.publish(ev("dhcp", kPi, "{\"x\":1}"));
    EXPECT_EQ(resumed, 1);
    EXPECT_EQ(bus.take(*s, nullptr), "id: 2\nevent: dhcp\ndata: {\"x\":1}\n\n");
    EXPECT_EQ(bus.published(), 2u);
}

TEST(EventBus, ASubscriberBehindTheHistoryIsToldHowManyItLostAndWhich) {
    EventBus bus(8);
    auto all = bus.subscribe({});
    auto tftp_only = bus.subscribe(EventFilter{std::nullopt, std::nullopt, "tftp"});
    for (int i = 0; i < 20; ++i) bus.publish(ev(i % 2 == 0 ? "tftp" : "dhcp"));
    EXPECT_EQ(bus.history_size(), 8u);
    std::vector<Frame> got = frames(bus.take(*all, nullptr));
    ASSERT_EQ(got.size(), 9u);
    EXPECT_EQ(got[0].event, "lost");
    EXPECT_EQ(got[0].id, 12u);  // the last it stands for
    auto notice = nlohmann::json::parse(got[0].data);
    EXPECT_EQ(notice["lost"], 12);
    EXPECT_EQ(notice["first_id"], 1);
    EXPECT_EQ(notice["last_id"], 12);
    EXPECT_EQ(notice["exact"], true);
    EXPECT_EQ(notice["reason"], "behind");
    EXPECT_EQ(got[1].id, 13u);
    EXPECT_EQ(got.back().id, 20u);
    // Filtered: only what it wanted counts as lost (ids 1, 3, ... 11 were tftp).
    got = frames(bus.take(*tftp_only, nullptr));
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(nlohmann::json::parse(got[0].data)["lost"], 6);
    EXPECT_EQ(got[1].id, 13u);
    EXPECT_EQ(bus.lost(), 18u);
    // Told once; caught up, nothing more.
    EXPECT_EQ(bus.take(*all, nullptr), "");
    bus.publish(ev("dhcp"));
    got = frames(bus.take(*all, nullptr));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, 21u);
}

TEST(EventBus, LastEventIdReplaysWhatIsKeptAndReportsWhatIsNot) {
    EventBus bus(4);
    for (int i = 0; i < 6; ++i) bus.publish(ev("dhcp"));  // ids 1..6; kept 3..6
    auto resumed = bus.subscribe({}, 4);
    std::vector<Frame> got = frames(bus.take(*resumed, nullptr));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].id, 5u);
    EXPECT_EQ(got[1].id, 6u);
    auto late = bus.subscribe({}, 1);
    got = frames(bus.take(*late, nullptr));
    ASSERT_EQ(got.size(), 5u);
    auto notice = nlohmann::json::parse(got[0].data);
    EXPECT_EQ(got[0].event, "lost");
    EXPECT_EQ(notice["lost"], 1);  // id 2 is gone
    EXPECT_EQ(notice["first_id"], 2);
    EXPECT_EQ(notice["reason"], "history");
    EXPECT_EQ(got[1].id, 3u);
    // Caught up: nothing replayed, and nothing lost.
    auto current = bus.subscribe({}, 6);
    EXPECT_EQ(bus.take(*current, nullptr), "");
    // An id never handed out: all that is kept, after a notice that cannot count the gap.
    auto stranger = bus.subscribe({}, 999);
    got = frames(bus.take(*stranger, nullptr));
    ASSERT_EQ(got.size(), 5u);
    notice = nlohmann::json::parse(got[0].data);
    EXPECT_TRUE(notice["lost"].is_null());
    EXPECT_EQ(notice["reason"], "unknown_id");
    EXPECT_EQ(got[0].id, 2u);  // a reconnect after it resumes here, not at 999
    EXPECT_EQ(got[1].id, 3u);
}

TEST(EventBus, IdsGoOnFromTheRecordedBlockAndAGapAcrossARestartIsReported) {
    std::vector<std::uint64_t> recorded;
    EventBus bus(100);
    bus.start_ids(501, 4, [&](std::uint64_t last) { recorded.push_back(last); });
    for (int i = 0; i < 9; ++i) bus.publish(ev("boot"));
    // Blocks of 4: each recorded before its first id goes out.
    EXPECT_EQ(recorded, (std::vector<std::uint64_t>{504, 508, 512}));
    EXPECT_EQ(bus.last_id(), 509u);
    EXPECT_EQ(bus.published(), 9u);
    // A client that last saw id 450 of the last run: what this run kept, after a notice.
    auto s = bus.subscribe({}, 450);
    std::vector<Frame> got = frames(bus.take(*s, nullptr));
    ASSERT_EQ(got.size(), 10u);
    auto notice = nlohmann::json::parse(got[0].data);
    EXPECT_EQ(notice["reason"], "restart");
    EXPECT_EQ(notice["first_id"], 451);
    EXPECT_EQ(notice["last_id"], 500);
    EXPECT_EQ(notice["exact"], false);  // a crash leaves ids of a block unused
    EXPECT_EQ(got[1].id, 501u);
}

TEST(EventBus, ATakeIsBoundedAndTheRestFollows) {
    EventBus bus;
    auto s = bus.subscribe({});
    std::string big(1000, 'x');
    for (int i = 0; i < 200; ++i) bus.publish(ev("tftp", kPi, "\"" + big + "\""));
    std::string first = bus.take(*s, nullptr);
    EXPECT_LE(first.size(), EventBus::kTakeBytes + 1100);
    std::size_t n = frames(first).size();
    EXPECT_LT(n, 200u);
    std::size_t rest = frames(bus.take(*s, nullptr)).size() + frames(bus.take(*s, nullptr)).size() +
                       frames(bus.take(*s, nullptr)).size() + frames(bus.take(*s, nullptr)).size();
    EXPECT_EQ(n + rest, 200u);
}

}  // namespace
}  // namespace rackboot::control
