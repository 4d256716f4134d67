// The fleet from an inventory (issue 23): rackbootd's boards as JSON, or "SERIAL MAC [MODEL]"
// lines; models from the board or its MAC; a made-up MAC for a board with none; what is wrong
// named.
#include "swarm/inventory.h"

#include <gtest/gtest.h>

#include "swarm/options.h"
#include "swarm/report.h"

namespace rackboot::swarm {
namespace {

TEST(Inventory, RackbootdsBoardsAsJson) {
    const char* text = R"({"items": [
        {"serial": "5a5a0001", "macs": ["dc:a6:32:00:00:01"], "model": "", "learnt_macs": []},
        {"serial": "5a5a0002", "macs": [], "model": "pi5",
         "learnt_macs": [{"mac": "2c:cf:67:00:00:02", "from": "interface eth0"}]},
        {"serial": "5a5a0003", "macs": ["b8:27:eb:00:00:03"], "model": ""},
        {"serial": "5a5a0004", "macs": [], "model": "pi4"},
        {"serial": "5a5a0005", "macs": [], "model": "pi3"}]})";
    auto inv = parse_inventory(text);
    ASSERT_TRUE(inv) << inv.error().reason;
    ASSERT_EQ(inv->pis.size(), 4u);
    EXPECT_EQ(inv->pis[0].serial.to_string(), "5a5a0001");
    EXPECT_EQ(inv->pis[0].model, proto::PiModel::pi4);
    EXPECT_EQ(inv->pis[1].mac.to_string(), "2c:cf:67:00:00:02");  // the learnt one
    EXPECT_EQ(inv->pis[1].model, proto::PiModel::pi5);
    EXPECT_EQ(inv->pis[2].model, proto::PiModel::pi3);            // by its OUI
    EXPECT_EQ(inv->pis[3].mac.to_string(), "dc:a6:32:f0:00:03");  // made up: OUI, 0xf00000 + its place
    ASSERT_EQ(inv->notes.size(), 2u);
    EXPECT_EQ(inv->notes[0], "board 5a5a0004: no MAC listed, booted as dc:a6:32:f0:00:03");
    EXPECT_NE(inv->notes[1].find("5a5a0005: a Pi 3 with no MAC is left out"), std::string::npos);
    // rackbootctl --json boards ls: a bare array.
    auto arr = parse_inventory(R"([{"serial": "100000005a5a0001", "macs": ["dc:a6:32:00:00:01"]}])");
    ASSERT_TRUE(arr) << arr.error().reason;
    EXPECT_EQ(arr->pis[0].serial.to_string(), "5a5a0001");
}

TEST(Inventory, ListFleetLinesRoundTrip) {
    SwarmOptions o;
    o.pis = 20;
    o.mix[0] = 1;
    o.mix[1] = 8;
    o.mix[2] = 1;
    std::string listing = fleet_listing(o);
    auto inv = parse_inventory("# the rack\n\n" + listing);
    ASSERT_TRUE(inv) << inv.error().reason;
    ASSERT_EQ(inv->pis.size(), 20u);
    o.fleet = inv->pis;
    EXPECT_EQ(fleet_listing(o), listing);  // the same Pis, models included
}

TEST(Inventory, WhatIsWrongIsNamed) {
    const std::pair<const char*, const char*> cases[] = {
        {"5a5a0001 dc:a6:32:00:00:01\nzz dc:a6:32:00:00:02\n", "line 2: 'zz' is not a serial"},
        {"5a5a0001 dc:a6:32:00:00:0g\n", "line 1: 'dc:a6:32:00:00:0g' is not a MAC"},
        {"5a5a0001 dc:a6:32:00:00:01 pi9\n", "the model 'pi9' is not pi3, pi4 or pi5"},
        {"5a5a0001 dc:a6:32:00:00:01 pi4 extra\n", "line 1: expected SERIAL MAC [MODEL]"},
        {"5a5a0001 dc:a6:32:00:00:01\n5a5a0001 dc:a6:32:00:00:02\n", "serial 5a5a0001 is listed twice"},
        {"5a5a0001 dc:a6:32:00:00:01\n5a5a0002 dc:a6:32:00:00:01\n", "MAC dc:a6:32:00:00:01 is listed twice"},
        {"# nothing\n", "holds no board"},
        {"[{\"name\": \"x\"}]", "board 1 of the listing has no serial"},
        {"{\"items\": 3}", "not a list of boards"},
        {"[{", "does not parse"},
    };
    for (const auto& [text, want] : cases) {
        auto inv = parse_inventory(text);
        ASSERT_FALSE(inv) << text;
        EXPECT_NE(inv.error().reason.find(want), std::string::npos) << text << " -> " << inv.error().reason;
    }
}

TEST(Inventory, TheFlagsTakeTheFleetFromTheInventoryAlone) {
    std::vector<std::string_view> args = {"--eal", "x", "--boards", "f", "--pis", "3"};
    auto o = parse_swarm_options(args);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().reason.find("leave out --pis and --mix"), std::string::npos) << o.error().reason;
    args = {"--eal", "x", "--boards", "f", "--from-api", "http://127.0.0.1:1"};
    ASSERT_FALSE(parse_swarm_options(args));
    args = {"--eal", "x", "--boards", "/nonexistent/boards"};
    auto ok = parse_swarm_options(args);
    ASSERT_TRUE(ok) << ok.error().reason;
    auto loaded = load_inventory(*ok);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().exit_code, 2);
    EXPECT_NE(loaded.error().reason.find("--boards /nonexistent/boards: cannot read it"), std::string::npos);
    ok->boards_file.clear();
    ok->from_api = "http://127.0.0.1:1";
    loaded = load_inventory(*ok);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().reason.find("--from-api"), std::string::npos) << loaded.error().reason;
}

}  // namespace
}  // namespace rackboot::swarm
