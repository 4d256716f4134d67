// The REST API's live routes (issue 10): what the dataplane is doing now, not what the inventory
// holds: /api/v1/boards/{serial}/timeline, /api/v1/leases (list, get, delete = release) and
// /api/v1/transfers. Each reads through a LiveSources function the daemon gives (null: that part
// is off, answered 503 with why).
#include <cstdio>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"
#include "proto/dhcp_leases.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

json lease_json(const proto::Lease& l) {
    json j = {{"ip", l.ip.to_string()},
              {"mac", l.mac.to_string()},
              {"state", std::string(proto::to_string(l.state))},
              {"expires", l.expires}};
    if (l.serial) j["serial"] = l.serial->to_string();
    return j;
}

}  // namespace

HttpResponse RestApi::get_timeline(const HttpRequest&, const std::string& key) {
    std::optional<proto::Serial> serial = proto::Serial::parse_full(key);
    if (!serial) return fail(ApiError::not_found, "'" + key + "' is not a serial");
    if (!live_.timeline) return fail(ApiError::store_unavailable, "timelines are off");
    std::optional<json> t = live_.timeline(*serial);
    if (!t) return fail(ApiError::not_found, "board " + serial->to_string() + " has not been seen booting");
    return json_response(200, *t);
}

std::optional<HttpResponse> RestApi::leases_off() const {
    if (live_.leases) return std::nullopt;
    return fail(ApiError::store_unavailable, "leases exist in DHCP server mode only (--dhcp server)");
}

namespace {

// The {ip} of a lease's path, or the 404 it gets.
std::optional<proto::Ipv4> path_ip(const std::string& key, HttpResponse& refusal) {
    std::optional<proto::Ipv4> ip = proto::Ipv4::parse(key);
    if (ip && !ip->unset()) return ip;
    refusal = fail(ApiError::not_found, "'" + key + "' is not an IPv4 address");
    return std::nullopt;
}

}  // namespace

HttpResponse RestApi::release_lease(const HttpRequest&, const std::string& key) {
    if (auto off = leases_off()) return *off;
    HttpResponse refusal;
    std::optional<proto::Ipv4> ip = path_ip(key, refusal);
    if (!ip) return refusal;
    switch (live_.release(*ip)) {
        case proto::LeaseRelease::released: return no_content();
        case proto::LeaseRelease::no_live_lease: return fail(ApiError::not_found, "no live lease on " + key);
        case proto::LeaseRelease::not_a_server: return fail(ApiError::store_unavailable, "leases are off");
        case proto::LeaseRelease::not_durable_in_time: break;
    }
    return fail(ApiError::store_unavailable, "the lease store did not make the release durable in time");
}

HttpResponse RestApi::get_lease(const HttpRequest&, const std::string& key) {
    if (auto off = leases_off()) return *off;
    HttpResponse refusal;
    std::optional<proto::Ipv4> ip = path_ip(key, refusal);
    if (!ip) return refusal;
    proto::Result<std::vector<proto::Lease>> all = live_.leases();
    if (!all) return fail(ApiError::store_unavailable, "reading leases: " + all.error().reason);
    for (const proto::Lease& l : *all) {
        if (l.ip == *ip && !l.mac.unset()) return json_response(200, lease_json(l));
    }
    return fail(ApiError::not_found, "no lease on " + key);
}

HttpResponse RestApi::list_leases(const HttpRequest& req, const std::string&) {
    if (auto off = leases_off()) return *off;
    proto::Result<std::vector<proto::Lease>> all = live_.leases();
    if (!all) return fail(ApiError::store_unavailable, "reading leases: " + all.error().reason);
    std::int64_t now = std::time(nullptr);
    auto live = [now](const proto::Lease& l) {
        return !l.mac.unset() && (l.state == proto::LeaseState::Bound || l.state == proto::LeaseState::Offered) &&
               l.expires > now;
    };
    bool everything = req.query.count("all") > 0;  // released, declined and expired too
    json items = json::array();
    for (const proto::Lease& l : *all) {
        if (everything ? !l.mac.unset() : live(l)) items.push_back(lease_json(l));
    }
    return json_response(200, json{{"items", items}});
}

HttpResponse RestApi::list_transfers(const HttpRequest&, const std::string&) {
    if (!live_.transfers) return fail(ApiError::store_unavailable, "the dataplane is not running");
    std::optional<dataplane::TransferList> list = live_.transfers();
    if (!list) return fail(ApiError::store_unavailable, "a worker did not answer");
    json items = json::array();
    for (const dataplane::TransferView& v : list->views) {
        double age_s = static_cast<double>(v.age_ns) / 1e9;
        json j = {{"client", v.client.to_string() + ":" + std::to_string(v.port)},
                  {"file", std::string(v.file, strnlen(v.file, sizeof v.file))},
                  {"bytes_sent", v.bytes},
                  {"size", v.size},
                  {"age_ms", v.age_ns / 1'000'000},
                  {"rate_bps", age_s > 0 ? static_cast<std::uint64_t>(static_cast<double>(v.bytes) / age_s) : 0},
                  {"worker", v.worker},
                  {"serial", v.serial ? json(v.serial->to_string()) : json(nullptr)}};
        items.push_back(j);
    }
    return json_response(200, json{{"items", items}, {"truncated", list->truncated}});
}

}  // namespace rackboot::control
