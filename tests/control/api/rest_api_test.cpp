// The REST API's routes over a real SQLite inventory, request to response: every route, every
// error class, ETags and If-Match, paging; and a refusal changes nothing.
#include "control/api/rest_api.h"

#include <ctime>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "control/api/client_json.h"
#include "control/api/rest_fixture.h"
#include "dataplane/counters.h"

namespace rackboot::control {
namespace {

using nlohmann::json;

class RestApiTest : public test::RestFixture {
protected:
    RestApiTest() : RestFixture({"raspios-2026-11", "raspios-2026-12"}) {}

    // Writes carry the token unless the header map says otherwise.
    HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                      std::map<std::string, std::string> header = {}, std::map<std::string, std::string> query = {}) {
        header.try_emplace("authorization", std::string("Bearer ") + kToken);
        HttpRequest r{method, path, std::move(query), std::move(header), body};
        return api_->handle(r);
    }
    static json js(const HttpResponse& r) { return json::parse(r.body); }
    static std::string header(const HttpResponse& r, const std::string& name) {
        for (const auto& [k, v] : r.headers) {
            if (k == name) return v;
        }
        return "";
    }
    std::string image_body(const std::string& name) {
        return json{{"name", name}, {"kind", "dir"}, {"path", (dir_ / "images" / name).string()}}.dump();
    }
};

TEST_F(RestApiTest, ImagesAndBoardsByExample) {
    HttpResponse img = call("POST", "/api/v1/images", image_body("raspios-2026-11"));
    ASSERT_EQ(img.status, 201u) << img.body;
    EXPECT_EQ(header(img, "Location"), "/api/v1/images/raspios-2026-11");
    EXPECT_EQ(header(img, "ETag"), "\"1\"");
    ASSERT_EQ(call("POST", "/api/v1/images", image_body("raspios-2026-12")).status, 201u);

    HttpResponse b = call("POST", "/api/v1/boards",
                          R"({"serial": "8f3a21c0", "name": "r12-u07", "image": "raspios-2026-11",
                              "macs": ["dc:a6:32:01:02:03"], "labels": {"rack": "r12"}, "netboot": true,
                              "ip": "10.0.12.7"})");
    ASSERT_EQ(b.status, 201u) << b.body;
    EXPECT_EQ(js(b)["serial"], "8f3a21c0");
    EXPECT_EQ(js(b)["macs"][0], "dc:a6:32:01:02:03");
    EXPECT_EQ(js(b)["generation"], 1);

    // PATCH with the ETag: moved to the new image; the old ETag is stale now.
    HttpResponse p =
        call("PATCH", "/api/v1/boards/8f3a21c0", R"({"image": "raspios-2026-12"})", {{"if-match", "\"1\""}});
    ASSERT_EQ(p.status, 200u) << p.body;
    EXPECT_EQ(js(p)["image"], "raspios-2026-12");
    EXPECT_EQ(js(p)["ip"], "10.0.12.7");  // a patch leaves the rest
    EXPECT_EQ(header(p, "ETag"), "\"2\"");
    HttpResponse stale = call("PATCH", "/api/v1/boards/8f3a21c0", R"({"name": "x"})", {{"if-match", "\"1\""}});
    EXPECT_EQ(stale.status, 412u);
    EXPECT_EQ(js(stale)["error"], "precondition_failed");
    EXPECT_EQ(js(call("GET", "/api/v1/boards/8f3a21c0"))["name"], "r12-u07");  // unchanged

    // The 16-digit form reaches the same board; PUT replaces (fields left out take defaults).
    HttpResponse put = call("PUT", "/api/v1/boards/100000008f3a21c0", R"({"name": "r12-u08"})");
    ASSERT_EQ(put.status, 200u) << put.body;
    EXPECT_EQ(js(put)["image"], nullptr);
    EXPECT_EQ(js(put)["macs"].size(), 0u);

    EXPECT_EQ(js(call("GET", "/api/v1/images/raspios-2026-11"))["boards"], 0);
    EXPECT_EQ(call("DELETE", "/api/v1/images/raspios-2026-11").status, 204u);
    EXPECT_EQ(call("GET", "/api/v1/images/raspios-2026-11").status, 404u);
    EXPECT_EQ(call("DELETE", "/api/v1/boards/8f3a21c0").status, 204u);
    EXPECT_EQ(call("GET", "/api/v1/boards/8f3a21c0").status, 404u);
}

TEST_F(RestApiTest, EveryErrorClassAndNothingChanged) {
    ASSERT_EQ(call("POST", "/api/v1/images", image_body("raspios-2026-11")).status, 201u);
    ASSERT_EQ(call("POST", "/api/v1/boards", R"({"serial": "8f3a21c0", "image": "raspios-2026-11"})").status, 201u);
    struct Case {
        std::string method, path, body;
        unsigned status;
        std::string error, field;
    };
    std::vector<Case> cases = {
        {"POST", "/api/v1/boards", "{not json", 400, "bad_json", ""},
        {"POST", "/api/v1/boards", "[1,2]", 400, "bad_json", ""},
        {"POST", "/api/v1/boards", R"({"serial": "11111111", "colour": "red"})", 400, "unknown_field", "colour"},
        {"POST", "/api/v1/boards", R"({"serial": "1111"})", 400, "invalid_field", "serial"},
        {"POST", "/api/v1/boards", R"({"name": "x"})", 400, "missing_field", "serial"},
        {"POST", "/api/v1/boards", R"({"serial": "11111111", "macs": ["zz"]})", 400, "invalid_field", "macs"},
        {"POST", "/api/v1/boards", R"({"serial": "11111111", "ip": "10.0.0.300"})", 400, "invalid_field", "ip"},
        {"POST", "/api/v1/boards", R"({"serial": "11111111", "image": "nope"})", 400, "invalid_field", "image"},
        {"POST", "/api/v1/boards", R"({"serial": "11111111", "generation": 5})", 400, "invalid_field", "generation"},
        {"POST", "/api/v1/boards", R"({"serial": "8f3a21c0"})", 409, "conflict", "serial"},
        {"PATCH", "/api/v1/boards/8f3a21c0", R"({"serial": "11111111"})", 400, "invalid_field", "serial"},
        {"PATCH", "/api/v1/boards/22222222", R"({"name": "x"})", 404, "not_found", ""},
        {"GET", "/api/v1/boards/xyz", "", 404, "not_found", ""},
        {"POST", "/api/v1/boards/8f3a21c0", "{}", 405, "method_not_allowed", ""},
        {"PUT", "/api/v1/images", "{}", 405, "method_not_allowed", ""},
        {"POST", "/api/v1/images", image_body("raspios-2026-11"), 409, "conflict", "name"},
        {"POST", "/api/v1/images", R"({"name": "x", "path": "/etc"})", 400, "invalid_field", "path"},
        {"POST", "/api/v1/images", R"({"name": "x"})", 400, "missing_field", "path"},
        {"POST", "/api/v1/images", R"({"name": "x", "kind": "iso", "path": "/srv/x"})", 400, "invalid_field", "kind"},
        {"POST", "/api/v1/images", R"({"name": "x", "kind": "dir", "path": "/srv/x", "partition": 1})", 400,
         "invalid_field", "partition"},
        {"POST", "/api/v1/images", R"({"name": "x", "kind": "img", "path": "/srv/x", "partition": "2"})", 400,
         "invalid_field", "partition"},
        {"PATCH", "/api/v1/boards/8f3a21c0", R"({"state": "lost"})", 400, "invalid_field", "state"},
        {"PATCH", "/api/v1/boards/8f3a21c0", R"({"state": 1})", 400, "invalid_field", "state"},
        {"DELETE", "/api/v1/images/raspios-2026-11", "", 409, "conflict", ""},
        {"GET", "/api/v1/boards", "", 200, "", ""},
    };
    for (const Case& c : cases) {
        HttpResponse r = call(c.method, c.path, c.body);
        EXPECT_EQ(r.status, c.status) << c.method << ' ' << c.path << ' ' << c.body << " -> " << r.body;
        if (c.error.empty()) continue;
        json j = js(r);
        EXPECT_EQ(j["error"], c.error) << c.body;
        EXPECT_FALSE(j["message"].get<std::string>().empty());
        if (!c.field.empty()) {
            EXPECT_EQ(j.value("field", ""), c.field) << c.body;
        }
    }
    HttpResponse wrong_type =
        call("POST", "/api/v1/boards", R"({"serial": "11111111"})", {{"content-type", "text/plain"}});
    EXPECT_EQ(wrong_type.status, 415u);
    // Nothing the refusals carried was stored.
    json all = js(call("GET", "/api/v1/boards"));
    ASSERT_EQ(all["items"].size(), 1u);
    EXPECT_EQ(all["items"][0]["generation"], 1);
}

// A body nested 50,000 deep once overflowed the stack (the error message dumped the client's
// value): now it is refused at parse time with the field, and no message quotes a value whole.
TEST_F(RestApiTest, DeepNestingAndHugeValuesAreRefusedNotQuoted) {
    std::string deep = R"({"serial":"aaaa0042","macs":[)" + std::string(50000, '[') + std::string(50000, ']') + "]}";
    HttpResponse r = call("POST", "/api/v1/boards", deep);
    ASSERT_EQ(r.status, 400u) << r.body.substr(0, 200);
    EXPECT_EQ(js(r)["error"], "bad_json");
    EXPECT_EQ(js(r)["field"], "macs");
    EXPECT_NE(js(r)["message"].get<std::string>().find("deeper than"), std::string::npos);
    // Just inside the bound it parses, and the MAC check names the value by its kind alone.
    std::string inside = R"({"serial":"aaaa0042","macs":[)" + std::string(kMaxClientJsonDepth - 2, '[') +
                         std::string(kMaxClientJsonDepth - 2, ']') + "]}";
    r = call("POST", "/api/v1/boards", inside);
    ASSERT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(js(r)["error"], "invalid_field");
    EXPECT_LT(r.body.size(), 300u) << r.body;
    std::string long_mac = R"({"serial":"aaaa0042","macs":[")" + std::string(100000, 'a') + R"("]})";
    r = call("POST", "/api/v1/boards", long_mac);
    ASSERT_EQ(r.status, 400u);
    EXPECT_LT(r.body.size(), 400u) << r.body.substr(0, 400);
    EXPECT_NE(r.body.find("100000 characters"), std::string::npos) << r.body;
    // The import route parses its JSON body with the same bound.
    r = call("POST", "/api/v1/boards:import", R"({"text":)" + std::string(40, '[') + std::string(40, ']') + "}");
    ASSERT_EQ(r.status, 400u);
    EXPECT_EQ(js(r)["field"], "text");
    EXPECT_EQ(call("GET", "/api/v1/boards/aaaa0042").status, 404u);
}

// Learnt identity is shown apart and is read-only; a board can be locked (learn off).
TEST_F(RestApiTest, LearntMacsAreShownApartAndABoardCanBeLocked) {
    ASSERT_EQ(call("POST", "/api/v1/boards", R"({"serial": "0badc0de"})").status, 201u);
    Observation o;
    o.learnt_mac = LearntMac{Mac::from_key(0x026666000001), 100, 120, "relay 10.0.0.1"};
    ASSERT_TRUE(store_->observe_board(proto::Serial(0x0badc0de), o).ok());
    json b = js(call("GET", "/api/v1/boards/0badc0de"));
    EXPECT_EQ(b["macs"], json::array());
    ASSERT_EQ(b["learnt_macs"].size(), 1u);
    EXPECT_EQ(b["learnt_macs"][0]["mac"], "02:66:66:00:00:01");
    EXPECT_EQ(b["learnt_macs"][0]["first_seen"], 100);
    EXPECT_EQ(b["learnt_macs"][0]["from"], "relay 10.0.0.1");
    EXPECT_EQ(b["learn"], true);
    EXPECT_EQ(b["generation"], 1);
    HttpResponse r = call("PATCH", "/api/v1/boards/0badc0de", R"({"learnt_macs": []})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(js(r)["field"], "learnt_macs");
    EXPECT_EQ(call("PATCH", "/api/v1/boards/0badc0de", R"({"learn": "no"})").status, 400u);
    r = call("PATCH", "/api/v1/boards/0badc0de", R"({"learn": false})");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(js(r)["learn"], false);
    EXPECT_EQ(js(r)["learnt_macs"].size(), 1u);  // what was learnt stays shown
    // A replacement keeps what was learnt too.
    r = call("PUT", "/api/v1/boards/0badc0de", R"({"name": "r1-u02"})");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(js(r)["learnt_macs"].size(), 1u);
    EXPECT_EQ(js(r)["learn"], true);  // PUT: what the body leaves out takes its default
}

TEST_F(RestApiTest, PagesWithACursorAndFilters) {
    for (int i = 1; i <= 250; ++i) {
        char serial[9];
        std::snprintf(serial, sizeof serial, "%08x", i);
        json b{{"serial", serial}, {"labels", {{"rack", i % 2 == 0 ? "r12" : "r13"}}}};
        ASSERT_EQ(call("POST", "/api/v1/boards", b.dump()).status, 201u);
    }
    std::size_t seen = 0;
    std::map<std::string, std::string> q{{"limit", "100"}};
    for (int pages = 0; pages < 10; ++pages) {
        json page = js(call("GET", "/api/v1/boards", "", {}, q));
        seen += page["items"].size();
        if (page["next"].is_null()) break;
        q["after"] = page["next"].get<std::string>();
    }
    EXPECT_EQ(seen, 250u);
    json r12 = js(call("GET", "/api/v1/boards", "", {}, {{"label", "rack=r12"}, {"limit", "1000"}}));
    EXPECT_EQ(r12["items"].size(), 125u);
    EXPECT_TRUE(r12["next"].is_null());
    EXPECT_EQ(call("GET", "/api/v1/boards", "", {}, {{"limit", "0"}}).status, 400u);
    EXPECT_EQ(call("GET", "/api/v1/boards", "", {}, {{"limit", "5000"}}).status, 400u);
    EXPECT_EQ(call("GET", "/api/v1/boards", "", {}, {{"label", "rack"}}).status, 400u);
    // A board's state is one of two words: a filter by another is refused, not an empty page.
    json configured = js(call("GET", "/api/v1/boards", "", {}, {{"state", "configured"}, {"limit", "1000"}}));
    EXPECT_EQ(configured["items"].size(), 250u);
    EXPECT_TRUE(js(call("GET", "/api/v1/boards", "", {}, {{"state", "discovered"}}))["items"].empty());
    HttpResponse lost = call("GET", "/api/v1/boards", "", {}, {{"state", "lost"}});
    EXPECT_EQ(lost.status, 400u);
    EXPECT_EQ(js(lost)["field"], "state");
}

TEST_F(RestApiTest, WritesNeedTheToken) {
    for (const std::string& auth : {std::string(), std::string("Bearer wrong"), std::string("Basic ") + kToken,
                                    std::string("Bearer ") + kToken + "x", std::string("Bearer 0123")}) {
        HttpResponse r = call("POST", "/api/v1/boards", R"({"serial": "8f3a21c0"})", {{"authorization", auth}});
        EXPECT_EQ(r.status, 401u) << auth;
        EXPECT_EQ(js(r)["error"], "unauthorized");
        EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
    }
    EXPECT_EQ(call("GET", "/api/v1/boards/8f3a21c0", "", {{"authorization", ""}}).status, 404u);  // reads are open
    EXPECT_EQ(call("POST", "/api/v1/boards", R"({"serial": "8f3a21c0"})").status, 201u);
    RestApi no_token(store_.get(), "", "");
    HttpResponse r =
        no_token.handle(HttpRequest{"DELETE", "/api/v1/boards/8f3a21c0", {}, {{"authorization", "Bearer "}}, {}});
    EXPECT_EQ(r.status, 401u);
}

TEST_F(RestApiTest, AServerRefusesABoardAddressItCanNeverOffer) {
    proto::LeaseConfig leases;
    leases.subnet = proto::Ipv4(0x0ad50000);  // 10.213.0.0/24
    leases.prefix = 24;
    leases.server_ip = proto::Ipv4(0x0ad50001);
    leases.serial_reservations.emplace_back(proto::Serial(0x0c0ffee0), proto::Ipv4(0x0ad50009));
    api_->set_served_leases(leases);
    auto refused = [&](const HttpResponse& r, const std::string& why) {
        EXPECT_EQ(r.status, 400u) << r.body;
        EXPECT_EQ(js(r)["field"], "ip") << r.body;
        EXPECT_NE(js(r)["message"].get<std::string>().find(why), std::string::npos) << r.body;
    };
    refused(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.9.0.5"})"),
            "10.9.0.5 is outside the served subnet 10.213.0.0/24: it can never be offered");
    refused(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.213.0.255"})"), "broadcast address");
    refused(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.213.0.0"})"), "network address");
    refused(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.213.0.1"})"), "this server's own");
    refused(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.213.0.9"})"), "serial 0c0ffee0");
    EXPECT_EQ(call("GET", "/api/v1/boards/8f3a21c0").status, 404u);
    ASSERT_EQ(call("POST", "/api/v1/boards", R"({"serial":"8f3a21c0","ip":"10.213.0.50"})").status, 201u);
    refused(call("PATCH", "/api/v1/boards/8f3a21c0", R"({"ip":"192.0.2.1"})"), "outside the served subnet");
    refused(
        call("POST", "/api/v1/boards:import", "[board:0badc0de]\nip = 10.9.9.9\n", {{"content-type", "text/plain"}}),
        "line 1: 10.9.9.9 is outside");
    EXPECT_EQ(js(call("GET", "/api/v1/boards/8f3a21c0"))["ip"], "10.213.0.50");
    // A board stored before the subnet changed keeps its address and can still be edited.
    proto::LeaseConfig moved = leases;
    moved.subnet = proto::Ipv4(0x0ad60000);
    moved.server_ip = proto::Ipv4(0x0ad60001);
    api_->set_served_leases(moved);
    EXPECT_NE(api_->never_offered(proto::Ipv4(0x0ad50032)), "");
    EXPECT_EQ(call("PATCH", "/api/v1/boards/8f3a21c0", R"({"name":"kept"})").status, 200u);
}

TEST_F(RestApiTest, ARepeatedAuthorizationIsRefusedWhicheverCarriesTheToken) {
    HttpRequest r{"POST",
                  "/api/v1/boards",
                  {},
                  {{"authorization", std::string("Bearer ") + kToken}},
                  R"({"serial": "8f3a21c0"})",
                  {"authorization"}};
    HttpResponse h = api_->handle(r);
    EXPECT_EQ(h.status, 400u);
    EXPECT_EQ(js(h)["error"], "repeated_header");
    EXPECT_EQ(js(h)["field"], "authorization");
    EXPECT_EQ(call("GET", "/api/v1/boards/8f3a21c0").status, 404u);
    r.repeated = {"user-agent"};  // a header the API does not read may repeat
    EXPECT_EQ(api_->handle(r).status, 201u);
}

TEST_F(RestApiTest, HealthStatusAndDropReasons) {
    EXPECT_EQ(call("GET", "/healthz").status, 200u);
    EXPECT_EQ(call("GET", "/readyz").status, 503u);  // not serving yet
    EXPECT_EQ(call("GET", "/api/v1/status").status, 503u);
    api_->set_ready(ServiceInfo{"0.1.0", "kernel UDP sockets", 3, "127.0.0.1:6969", "127.0.0.1:8069", "off",
                                static_cast<std::int64_t>(std::time(nullptr)) - 5, 0});
    EXPECT_EQ(call("GET", "/readyz").status, 200u);
    json st = js(call("GET", "/api/v1/status"));
    EXPECT_EQ(st["version"], "0.1.0");
    EXPECT_EQ(st["workers"], 3);
    EXPECT_EQ(st["listen"]["tftp"], "127.0.0.1:6969");
    EXPECT_GE(st["uptime_s"].get<int>(), 5);
    EXPECT_EQ(st["inventory"], true);
    EXPECT_EQ(call("POST", "/healthz", "{}").status, 405u);

    json dr = js(call("GET", "/api/v1/drop-reasons"));
    auto has = [&](const char* list, const char* name) {
        for (const json& r : dr[list]["reasons"]) {
            if (r["name"] == name) return !r["description"].get<std::string>().empty();
        }
        return false;
    };
    EXPECT_TRUE(has("tftp_drops", "client_cap"));
    EXPECT_TRUE(has("tftp_drops", "descriptors"));
    EXPECT_TRUE(has("tftp_drops", "permission_denied"));
    EXPECT_TRUE(has("dhcp_results", "store_unavailable"));
    EXPECT_TRUE(has("tftp_results", "unacknowledged"));
    EXPECT_EQ(dr["tftp_drops"]["metric"], "rackboot_drops_total{reason}");
    EXPECT_EQ(dr["tftp_drops"]["reasons"].size(), static_cast<std::size_t>(dataplane::TftpDrop::count_));
}

TEST_F(RestApiTest, WithoutAStoreTheRoutesSaySo) {
    RestApi none(nullptr, "");
    HttpResponse r = none.handle(HttpRequest{"GET", "/api/v1/boards", {}, {}, {}});
    EXPECT_EQ(r.status, 503u);
    EXPECT_NE(r.body.find("--state"), std::string::npos);
}

// A board's root over the API: off without --roots (and the answer says how to turn it on), the
// body checked before anything is made, the size in bytes or with a unit, and what the roots
// service answers passed on (201 with the board and its Location; its refusals as they are).
TEST_F(RestApiTest, ABoardsRootRoutes) {
    ASSERT_EQ(call("POST", "/api/v1/boards", R"({"serial": "5a5a0001"})").status, 201u);
    HttpResponse off = call("POST", "/api/v1/boards/5a5a0001/root");
    EXPECT_EQ(off.status, 409u);
    EXPECT_NE(js(off)["message"].get<std::string>().find("--roots DIR"), std::string::npos) << off.body;
    EXPECT_EQ(call("DELETE", "/api/v1/boards/5a5a0001/root").status, 409u);
    EXPECT_EQ(call("POST", "/api/v1/boards/5a5a0001/root", "", {{"authorization", "Bearer wrong"}}).status, 401u);

    std::vector<std::uint64_t> sizes;
    LiveSources live;
    live.make_root = [&](proto::Serial serial, const RootRequest& ask, Board& out, const Actor&) -> Outcome {
        std::uint64_t size = ask.size;
        sizes.push_back(size);
        if (size == 1) return Outcome::fail(ApiError::insufficient_storage, "no room");
        Outcome o = store_->get_board(serial, out);
        out.root = BoardRoot{RootKind::nbd, "/roots/" + serial.to_string() + ".img", "a", size, 1, "reflink"};
        return o;
    };
    live.remove_root = [](proto::Serial, BoardRoot&, const Actor&) {
        return Outcome::fail(ApiError::not_found, "board 5a5a0001 has no root");
    };
    api_->set_live(std::move(live));
    for (const char* bad : {R"({"size": "16X"})", R"({"size": -1})", R"({"size": "G"})", R"({"kind": "iscsi"})",
                            R"({"path": 7})", R"({"size": "99999999999999999999T"})"}) {
        HttpResponse r = call("POST", "/api/v1/boards/5a5a0001/root", bad);
        EXPECT_EQ(r.status, 400u) << bad;
        EXPECT_EQ(js(r)["error"], "invalid_field") << bad;
    }
    EXPECT_EQ(js(call("POST", "/api/v1/boards/5a5a0001/root", R"({"from": "x"})"))["error"], "unknown_field");
    EXPECT_TRUE(sizes.empty());  // nothing was asked of the service
    EXPECT_EQ(call("POST", "/api/v1/boards/zz/root").status, 404u);
    HttpResponse made = call("POST", "/api/v1/boards/5a5a0001/root", R"({"size": "16G"})");
    ASSERT_EQ(made.status, 201u) << made.body;
    EXPECT_EQ(header(made, "Location"), "/api/v1/boards/5a5a0001/root");
    EXPECT_EQ(js(made)["root"]["export"], "root");
    EXPECT_EQ(js(made)["root"]["size"], 16ULL << 30);
    EXPECT_EQ(call("POST", "/api/v1/boards/5a5a0001/root", R"({"size": 4096})").status, 201u);
    EXPECT_EQ(call("POST", "/api/v1/boards/5a5a0001/root").status, 201u);
    EXPECT_EQ(sizes, (std::vector<std::uint64_t>{16ULL << 30, 4096, 0}));
    HttpResponse full = call("POST", "/api/v1/boards/5a5a0001/root", R"({"size": 1})");
    EXPECT_EQ(full.status, 507u);
    EXPECT_EQ(js(full)["error"], "insufficient_storage");
    EXPECT_EQ(call("DELETE", "/api/v1/boards/5a5a0001/root").status, 404u);
    // Only the root routes set it: a board with no root shows null, and a write naming it is refused.
    EXPECT_TRUE(js(call("GET", "/api/v1/boards/5a5a0001"))["root"].is_null());
    HttpResponse put = call("PATCH", "/api/v1/boards/5a5a0001", json{{"root", js(made)["root"]}}.dump());
    EXPECT_EQ(put.status, 400u) << put.body;
    EXPECT_EQ(js(put)["field"], "root");
}

}  // namespace
}  // namespace rackboot::control

namespace rackboot::control {
namespace {

class RestBulkTest : public RestApiTest {
protected:
    void SetUp() override {
        RestApiTest::SetUp();
        ASSERT_EQ(call("POST", "/api/v1/images", image_body("raspios-2026-11")).status, 201u);
        ASSERT_EQ(call("POST", "/api/v1/images", image_body("raspios-2026-12")).status, 201u);
        for (int i = 0; i < 5; ++i) {
            json b{{"serial", "5a5a000" + std::to_string(i)},
                   {"image", "raspios-2026-11"},
                   {"labels", {{"rack", i < 3 ? "r12" : "r13"}, {"row", "a"}}}};
            ASSERT_EQ(call("POST", "/api/v1/boards", b.dump()).status, 201u);
        }
    }
    json board(int i) { return js(call("GET", "/api/v1/boards/5a5a000" + std::to_string(i))); }
};

// Issue 23: a PATCH changes the labels it names and removes those set to null; the rest stay.
TEST_F(RestBulkTest, APatchMergesLabelsOneByOne) {
    HttpResponse p = call("PATCH", "/api/v1/boards/5a5a0000", R"({"labels": {"slot": "u07", "row": null}})");
    ASSERT_EQ(p.status, 200u) << p.body;
    EXPECT_EQ(js(p)["labels"], (json{{"rack", "r12"}, {"slot", "u07"}}));
    HttpResponse bad = call("PATCH", "/api/v1/boards/5a5a0000", R"({"labels": {"slot": 7}})");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(board(0)["labels"], (json{{"rack", "r12"}, {"slot", "u07"}}));  // unchanged
    // A PUT still replaces them whole.
    HttpResponse put = call("PUT", "/api/v1/boards/5a5a0000", R"({"labels": {"only": "this"}})");
    ASSERT_EQ(put.status, 200u) << put.body;
    EXPECT_EQ(js(put)["labels"], (json{{"only", "this"}}));
}

// Issue 23: a rack moved to another image in one call, in one transaction: a dry run changes
// nothing; boards already so are matched and left alone; one refused board refuses them all.
TEST_F(RestBulkTest, ASelectorMovesARackInOneTransaction) {
    json move = json::parse(R"({"selector": {"labels": {"rack": "r12", "row": "a"}},
                                "set": {"image": "raspios-2026-12", "labels": {"moved": "yes", "row": null}}})");
    json dry = move;
    dry["dry_run"] = true;
    HttpResponse d = call("POST", "/api/v1/boards:update", dry.dump());
    ASSERT_EQ(d.status, 200u) << d.body;
    EXPECT_EQ(js(d)["matched"], 3);
    EXPECT_EQ(js(d)["changed"], 3);
    EXPECT_EQ(board(0)["image"], "raspios-2026-11");  // a dry run changes nothing
    EXPECT_EQ(board(0)["generation"], 1);

    HttpResponse r = call("POST", "/api/v1/boards:update", move.dump());
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(js(r)["changed"], 3);
    EXPECT_EQ(js(r)["boards"][0], (json{{"serial", "5a5a0000"}, {"generation", 2}}));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(board(i)["image"], "raspios-2026-12");
        EXPECT_EQ(board(i)["labels"], (json{{"moved", "yes"}, {"rack", "r12"}}));
    }
    EXPECT_EQ(board(3)["image"], "raspios-2026-11");  // another rack: untouched
    EXPECT_EQ(board(3)["generation"], 1);

    // Again: the boards are so already (and have no row label to match now).
    json again = R"({"selector": {"labels": {"rack": "r12"}}, "set": {"image": "raspios-2026-12"}})"_json;
    HttpResponse a = call("POST", "/api/v1/boards:update", again.dump());
    ASSERT_EQ(a.status, 200u) << a.body;
    EXPECT_EQ(js(a)["matched"], 3);
    EXPECT_EQ(js(a)["changed"], 0);
    EXPECT_EQ(board(0)["generation"], 2);

    // An image that does not exist: refused, and nothing of the rack changed.
    HttpResponse no = call("POST", "/api/v1/boards:update", R"({"selector": {"all": true}, "set": {"image": "nope"}})");
    EXPECT_EQ(no.status / 100, 4u) << no.body;
    for (int i = 0; i < 5; ++i) EXPECT_NE(board(i)["image"], "nope");
    EXPECT_EQ(board(4)["generation"], 1);

    // By serials and by image; netboot off for both.
    HttpResponse s = call("POST", "/api/v1/boards:update",
                          R"({"selector": {"serials": ["5a5a0003", "5a5a0004"], "image": "raspios-2026-11"},
                              "set": {"netboot": false}})");
    ASSERT_EQ(s.status, 200u) << s.body;
    EXPECT_EQ(js(s)["changed"], 2);
    EXPECT_EQ(board(4)["netboot"], false);
    EXPECT_EQ(board(0)["netboot"], true);
}

TEST_F(RestBulkTest, ABadBulkUpdateSaysWhyAndChangesNothing) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"set": {"netboot": false}})", "selector"},
        {R"({"selector": {}, "set": {"netboot": false}})", "selector"},
        {R"({"selector": {"labels": {"rack": "r12"}}})", "set"},
        {R"({"selector": {"labels": {"rack": "r12"}}, "set": {}})", "set"},
        {R"({"selector": {"labels": {"rack": "r12"}}, "set": {"ip": "10.0.0.1"}})", "set.ip"},
        {R"({"selector": {"labels": {"rack": "r12"}}, "set": {"name": "x"}})", "set.name"},
        {R"({"selector": {"colour": "red"}, "set": {"netboot": false}})", "selector.colour"},
        {R"({"selector": {"serials": ["zz"]}, "set": {"netboot": false}})", "selector.serials"},
        {R"({"selector": {"state": "lost"}, "set": {"netboot": false}})", "selector.state"},
        {R"({"selector": {"all": true}, "set": {"netboot": "no"}})", "set.netboot"},
        {R"({"selector": {"all": true}, "set": {"netboot": false}, "dry_run": 1})", "dry_run"},
        {R"({"selector": {"all": true}, "set": {"netboot": false}, "then": 1})", "then"},
    };
    for (const auto& [body, field] : cases) {
        HttpResponse r = call("POST", "/api/v1/boards:update", body);
        EXPECT_EQ(r.status, 400u) << body << " -> " << r.body;
        EXPECT_EQ(js(r)["field"], field) << body << " -> " << r.body;
    }
    HttpResponse no_token =
        call("POST", "/api/v1/boards:update", R"({"selector": {"all": true}, "set": {"netboot": false}})",
             {{"authorization", "Bearer wrong"}});
    EXPECT_EQ(no_token.status, 401u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(board(i)["generation"], 1);
}

}  // namespace
}  // namespace rackboot::control

namespace rackboot::control {
namespace {

// Issue 23: the web view, built in: its page, script and style sheet with their types, an ETag
// that answers 304 while unchanged, a policy that lets the page reach nothing but this server.
TEST_F(RestApiTest, TheWebViewIsServedFromTheBinary) {
    HttpResponse page = call("GET", "/");
    ASSERT_EQ(page.status, 200u);
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("<script src=\"/ui/app.js\""), std::string::npos);
    EXPECT_NE(header(page, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_NE(header(page, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    std::string etag = header(page, "ETag");
    ASSERT_EQ(etag.size(), 18u) << etag;
    HttpResponse again = call("GET", "/", {}, {{"if-none-match", etag}});
    EXPECT_EQ(again.status, 304u);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(call("GET", "/", {}, {{"if-none-match", "\"0\""}}).status, 200u);
    HttpResponse js = call("GET", "/ui/app.js");
    ASSERT_EQ(js.status, 200u);
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    EXPECT_NE(js.body.find("new EventSource("), std::string::npos);
    EXPECT_NE(header(js, "ETag"), etag);
    EXPECT_EQ(call("GET", "/ui/app.css").content_type, "text/css; charset=utf-8");
    EXPECT_EQ(call("GET", "/ui/other.js").status, 404u);
    EXPECT_EQ(call("GET", "/ui/../api/v1/status").status, 404u);
}

}  // namespace
}  // namespace rackboot::control
