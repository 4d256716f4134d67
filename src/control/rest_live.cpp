// The REST API's live routes (issue 10): what the dataplane is doing now, not what the inventory
// holds: /api/v1/boards/{serial}/timeline, /api/v1/leases (list, get, delete = release) and
// /api/v1/transfers. Each reads through a LiveSources function the daemon gives (null: that part
// is off, answered 503 with why).
#include <cstdio>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "control/rest_api.h"
#include "proto/dhcp_leases.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

HttpResponse reply(unsigned status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

HttpResponse refuse(ApiError e, const std::string& message) {
    return error_response(Outcome::fail(e, message));
}

json lease_json(const proto::Lease& l) {
    json j = {{"ip", proto::Ipv4(l.ip).to_string()},
              {"mac", mac_text(mac_from_key(l.mac))},
              {"state", std::string(proto::to_string(l.state))},
              {"expires", l.expires}};
    if (l.has_serial) j["serial"] = serial_text(l.serial);
    return j;
}

}  // namespace

HttpResponse RestApi::timeline(const HttpRequest& req, const std::string& key) {
    if (req.method != "GET" && req.method != "HEAD") return not_allowed_response("GET, HEAD");
    std::uint32_t serial = 0;
    std::string full;
    if (!normalize_serial(key, serial, full)) return refuse(ApiError::not_found, "'" + key + "' is not a serial");
    if (!live_.timeline) return refuse(ApiError::store_unavailable, "timelines are off");
    std::optional<json> t = live_.timeline(serial);
    if (!t) return refuse(ApiError::not_found, "board " + serial_text(serial) + " has not been seen booting");
    return reply(200, *t);
}

HttpResponse RestApi::leases(const HttpRequest& req, const std::string& key) {
    if (!live_.leases)
        return refuse(ApiError::store_unavailable, "leases exist in DHCP server mode only (--dhcp server)");
    proto::Ipv4 ip;
    if (!key.empty()) {
        std::optional<proto::Ipv4> parsed = proto::Ipv4::parse(key);
        if (!parsed || parsed->unset()) return refuse(ApiError::not_found, "'" + key + "' is not an IPv4 address");
        ip = *parsed;
    }
    if (req.method == "DELETE" && !key.empty()) {
        switch (live_.release(ip.value())) {
            case 0: {
                HttpResponse r;
                r.status = 204;
                return r;
            }
            case 1: return refuse(ApiError::not_found, "no live lease on " + key);
            default:
                return refuse(ApiError::store_unavailable, "the lease store did not make the release durable in time");
        }
    }
    if (req.method != "GET" && req.method != "HEAD")
        return not_allowed_response(key.empty() ? "GET, HEAD" : "GET, HEAD, DELETE");
    std::string error;
    std::vector<proto::Lease> all = live_.leases(error);
    if (!error.empty()) return refuse(ApiError::store_unavailable, "reading leases: " + error);
    std::int64_t now = std::time(nullptr);
    auto live = [now](const proto::Lease& l) {
        return l.mac != 0 && (l.state == proto::LeaseState::Bound || l.state == proto::LeaseState::Offered) &&
               l.expires > now;
    };
    if (!key.empty()) {
        for (const proto::Lease& l : all) {
            if (l.ip == ip.value() && l.mac != 0) return reply(200, lease_json(l));
        }
        return refuse(ApiError::not_found, "no lease on " + key);
    }
    bool everything = req.query.count("all") > 0;  // released, declined and expired too
    json items = json::array();
    for (const proto::Lease& l : all) {
        if (everything ? l.mac != 0 : live(l)) items.push_back(lease_json(l));
    }
    return reply(200, json{{"items", items}});
}

HttpResponse RestApi::transfers(const HttpRequest& req) {
    if (req.method != "GET" && req.method != "HEAD") return not_allowed_response("GET, HEAD");
    if (!live_.transfers) return refuse(ApiError::store_unavailable, "the dataplane is not running");
    std::vector<dataplane::TransferView> views;
    bool truncated = false;
    if (!live_.transfers(views, truncated)) return refuse(ApiError::store_unavailable, "a worker did not answer");
    json items = json::array();
    for (const dataplane::TransferView& v : views) {
        double age_s = static_cast<double>(v.age_ns) / 1e9;
        json j = {{"client", v.client.to_string() + ":" + std::to_string(v.port)},
                  {"file", std::string(v.file, strnlen(v.file, sizeof v.file))},
                  {"bytes_sent", v.bytes},
                  {"size", v.size},
                  {"age_ms", v.age_ns / 1'000'000},
                  {"rate_bps", age_s > 0 ? static_cast<std::uint64_t>(static_cast<double>(v.bytes) / age_s) : 0},
                  {"worker", v.worker},
                  {"serial", v.has_serial ? json(serial_text(v.serial)) : json(nullptr)}};
        items.push_back(j);
    }
    return reply(200, json{{"items", items}, {"truncated", truncated}});
}

}  // namespace rackboot::control
