// The OpenAPI document (src/control/api/openapi.json, served at /api/v1/openapi.json) against the
// API itself: every path it lists is a route with exactly the methods it says (and no route is
// left out of it); each documented method, called on real fixtures with the document's own
// example body, answers one of the status codes documented for it; a method a route lacks gets
// 405 with the documented Allow; the error code list is the one the server uses.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "control/api/api_routes.h"
#include "control/api/rest_api.h"
#include "control/api/rest_fixture.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json& doc() {
    static const json d = json::parse(openapi_document());
    return d;
}

std::set<std::string> doc_methods(const json& item) {
    std::set<std::string> out;
    for (const auto& [k, v] : item.items()) {
        if (k == "parameters" || k == "summary") continue;
        std::string m = k;
        std::transform(m.begin(), m.end(), m.begin(), ::toupper);
        out.insert(m);
    }
    return out;
}

std::set<std::string> route_methods(const RouteMatch& m) {
    std::set<std::string> out;
    for (const RouteRow& r : m.rows) out.insert(std::string(method_name(r.method)));
    return out;
}

TEST(OpenApi, EveryRouteIsDocumentedWithItsMethodsAndNothingElseIs) {
    ASSERT_EQ(doc()["openapi"].get<std::string>().substr(0, 2), "3.");
    std::set<std::string> documented;
    for (const auto& [path, item] : doc()["paths"].items()) {
        documented.insert(path);
        RouteMatch m = match_route(RestApi::routes(), path);
        ASSERT_TRUE(m.found()) << path << " is documented but no route";
        EXPECT_EQ(m.pattern(), path) << path << " matches another route's pattern";
        EXPECT_EQ(doc_methods(item), route_methods(m)) << path;
    }
    for (const RouteRow& r : RestApi::routes()) {
        EXPECT_TRUE(documented.count(std::string(r.pattern))) << r.pattern << " is a route the document leaves out";
    }
}

TEST(OpenApi, EachRowIsOneMethodOfOnePatternWithAHandlerWhereRestApiAnswers) {
    std::set<std::pair<std::string, std::string>> seen;
    std::set<std::string> patterns_done;
    std::string_view last;
    for (const RouteRow& r : RestApi::routes()) {
        EXPECT_TRUE(seen.insert({std::string(r.pattern), std::string(method_name(r.method))}).second)
            << method_name(r.method) << " " << r.pattern << " is listed twice";
        // A pattern's rows are consecutive (match_route takes them as one route).
        if (r.pattern != last) {
            EXPECT_TRUE(patterns_done.insert(std::string(r.pattern)).second) << r.pattern << " is listed in two places";
            last = r.pattern;
        }
        EXPECT_EQ(r.handler != nullptr, r.answers == Answers::rest) << r.pattern;
        // Every read answers HEAD as it answers GET.
        if (r.method == Method::get && r.answers != Answers::events) {
            RouteMatch m = match_route(RestApi::routes(), r.pattern);
            const RouteRow* head = m.find(Method::head);
            ASSERT_NE(head, nullptr) << r.pattern << " answers GET but not HEAD";
            EXPECT_EQ(head->handler, r.handler) << r.pattern;
        }
    }
}

TEST(OpenApi, TheErrorCodesAreTheServers) {
    std::vector<std::string> listed = doc()["components"]["schemas"]["Error"]["properties"]["error"]["enum"];
    std::vector<std::string> server;
    for (const ApiErrorInfo& e : kApiErrors) {
        if (e.code != "none") server.emplace_back(e.code);
    }
    EXPECT_EQ(listed, server);
}

class OpenApiCalls : public test::RestFixture {
protected:
    OpenApiCalls() : RestFixture({"raspios-2026-11", "fixture-img"}) {}

    void SetUp() override {
        RestFixture::SetUp();
        if (HasFatalFailure()) return;
        LiveSources live;
        live.timeline = [](proto::Serial serial) -> std::optional<json> {
            if (serial != proto::Serial(0x8f3a21c0)) return std::nullopt;
            return json{{"serial", "8f3a21c0"}, {"events", json::array()}, {"boot", nullptr}, {"last_boot", nullptr}};
        };
        live.leases = []() -> proto::Result<std::vector<proto::Lease>> {
            proto::Lease l;
            l.ip = proto::Ipv4(0x0a000005);
            l.mac = proto::Mac::from_key(0xdca632010203);
            l.state = proto::LeaseState::Bound;
            l.expires = std::time(nullptr) + 600;
            return std::vector<proto::Lease>{l};
        };
        live.release = [](proto::Ipv4 ip) {
            return ip == proto::Ipv4(0x0a000005) ? proto::LeaseRelease::released : proto::LeaseRelease::no_live_lease;
        };
        live.transfers = [] { return std::optional<dataplane::TransferList>(dataplane::TransferList{}); };
        api_->set_live(live);
        api_->set_ready(ServiceInfo{});
        Image img{"fixture-img", ImageKind::dir, (dir_ / "images" / "fixture-img").string(), 0};
        ASSERT_TRUE(store_->create_image(img).ok());
        Board b;
        b.serial = proto::Serial(0x8f3a21c0);
        b.image = "fixture-img";
        ASSERT_TRUE(store_->create_board(b).ok());
    }
    HttpRequest request(const std::string& method, const std::string& pattern, const json& op) {
        std::string path = pattern;
        auto fill = [&](const std::string& param, const std::string& value) {
            std::size_t at = path.find(param);
            if (at != std::string::npos) path.replace(at, param.size(), value);
        };
        fill("{serial}", "8f3a21c0");
        fill("{name}", "fixture-img");
        fill("{ip}", "10.0.0.5");
        HttpRequest r{method, path, {}, {{"authorization", std::string("Bearer ") + kToken}}, {}};
        if (op.contains("requestBody")) {
            const auto& content = op["requestBody"]["content"];
            std::string type = content.contains("application/json") ? "application/json" : content.begin().key();
            const json& example = content[type]["example"];
            r.body = example.is_string() ? example.get<std::string>() : example.dump();
            std::size_t at = r.body.find("{images_root}");
            if (at != std::string::npos) r.body.replace(at, 13, (dir_ / "images").string());
            r.header["content-type"] = type;
        }
        return r;
    }
};

TEST_F(OpenApiCalls, EachMethodAnswersADocumentedStatusAndOthersGet405) {
    // Reads and writes before deletes, so the fixtures are there for every call.
    const std::vector<std::string> order = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    std::size_t calls = 0;
    for (const std::string& method : order) {
        for (const auto& [pattern, item] : doc()["paths"].items()) {
            RouteMatch m = match_route(RestApi::routes(), pattern);
            if (!m.found() || m.answers() != Answers::rest) continue;  // /metrics, the event stream: ApiServer's
            std::string key = method;
            std::transform(key.begin(), key.end(), key.begin(), ::tolower);
            if (!item.contains(key)) continue;
            const json& op = item[key];
            HttpResponse r = api_->handle(request(method, pattern, op));
            EXPECT_TRUE(op["responses"].contains(std::to_string(r.status)))
                << method << " " << pattern << " answered " << r.status << " (" << r.body << "), not documented";
            ++calls;
        }
    }
    EXPECT_GE(calls, 30u);
    std::set<std::string> patterns;
    for (const RouteRow& row : RestApi::routes()) {
        if (row.answers != Answers::rest || !patterns.insert(std::string(row.pattern)).second) continue;
        HttpResponse r = api_->handle(request("PURGE", std::string(row.pattern), json::object()));
        EXPECT_EQ(r.status, 405u) << row.pattern;
        std::string allow;
        for (const auto& [k, v] : r.headers) {
            if (k == "Allow") allow = v;
        }
        EXPECT_EQ(allow, match_route(RestApi::routes(), row.pattern).allow()) << row.pattern;
        std::set<std::string> listed;
        for (std::size_t at = 0; at < allow.size();) {
            std::size_t comma = allow.find(", ", at);
            listed.insert(allow.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
            at = comma == std::string::npos ? allow.size() : comma + 2;
        }
        std::string key = std::string(row.pattern);
        EXPECT_EQ(listed, doc_methods(doc()["paths"][key])) << row.pattern << ": Allow is not what the document says";
    }
}

}  // namespace
}  // namespace rackboot::control
