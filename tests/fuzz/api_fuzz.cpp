// Fuzz harness for the REST API's JSON handlers: byte 0 picks the method, byte 1 the route, the
// rest is the body, sent with the token to a RestApi over an in-memory inventory (state carries
// over between inputs, as on a live server). Every answer has a status from the error list (or a
// success), a JSON body (but for 204) and, for an error, its code and a message; a write the API
// acknowledged can be read back. An error's body stays short whatever the client sent (a value is
// quoted only as an excerpt), and a body nested deep is refused, never serialized (seed deep-nesting).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "control/api/rest_api.h"

using namespace rackboot::control;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

constexpr const char* kToken = "fuzz-token-0123456789";

// The API under test; its store starts afresh every 5,000 inputs so memory stays bounded.
RestApi& api() {
    static std::string root = [] {
        std::string dir = "/tmp/rb-api-fuzz-" + std::to_string(getpid());
        std::filesystem::create_directories(dir + "/img");
        std::ofstream(dir + "/img/start4.elf") << "x";
        std::atexit([] { std::filesystem::remove_all("/tmp/rb-api-fuzz-" + std::to_string(getpid())); });
        return dir;
    }();
    static std::unique_ptr<InventoryStore> store;
    static std::unique_ptr<RestApi> a;
    static unsigned calls = 0;
    if (calls++ % 5000 == 0) {
        a.reset();
        auto opened = open_sqlite_inventory(":memory:");
        check(opened.has_value());
        store = std::move(*opened);
        a = std::make_unique<RestApi>(store.get(), root, kToken);
    }
    return *a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    static const char* const kPaths[] = {"/api/v1/boards",          "/api/v1/boards/8f3a21c0",
                                         "/api/v1/boards/00000001", "/api/v1/boards/100000008f3a21c0",
                                         "/api/v1/images",          "/api/v1/images/img",
                                         "/api/v1/status",          "/api/v1/drop-reasons",
                                         "/api/v1/boards/zz",       "/healthz",
                                         "/api/v1/boards:import"};
    HttpRequest req;
    req.method = kMethods[data[0] % std::size(kMethods)];
    req.path = kPaths[data[1] % std::size(kPaths)];
    req.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
    req.header["authorization"] = std::string("Bearer ") + kToken;
    if ((data[0] & 0x80) != 0) req.header["if-match"] = "\"1\"";
    if ((data[1] & 0x80) != 0) req.query["limit"] = std::to_string(data[1] & 0x7f);
    RestApi& rest = api();
    HttpResponse r = rest.handle(req);

    bool known = r.status == 200 || r.status == 201 || r.status == 204;
    for (const ApiErrorInfo& e : kApiErrors) known = known || e.status == r.status;
    check(known);
    if (r.status == 204) return 0;
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    check(!j.is_discarded());
    if (r.status >= 400) {
        check(j.contains("error") && j["error"].is_string() && j.contains("message") && j["message"].is_string());
        check(!j["message"].get<std::string>().empty());
        check(r.body.size() < 2048);  // an error quotes a client's value only as an excerpt
    }
    // A board the API says it stored reads back as it answered.
    if ((r.status == 200 || r.status == 201) && req.method != "GET" && req.method != "HEAD" && j.contains("serial")) {
        HttpResponse back =
            rest.handle(HttpRequest{"GET", "/api/v1/boards/" + j["serial"].get<std::string>(), {}, {}, {}});
        check(back.status == 200);
        check(nlohmann::json::parse(back.body) == j);
    }
    return 0;
}
