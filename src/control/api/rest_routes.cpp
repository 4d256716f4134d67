// The REST API's route rows and its dispatch (api_routes.h): a request finds its row by path and
// method, or a 404 or a 405 with the rows' Allow; then the token for a write, the inventory for a
// store route, and the row's handler. Beside them the handlers with no resource behind them:
// health, readiness, status, the reason lists and the OpenAPI document.
#include <algorithm>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

#include "control/api/api_routes.h"
#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"
#include "dataplane/counters.h"
#include "proto/net_frames.h"
#include "proto/tftp_codec.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

using nlohmann::json;

std::span<const RouteRow> RestApi::routes() {
    using A = Answers;
    using M = Method;
    using N = Needs;
    using R = RestApi;
    static constexpr RouteRow kRows[] = {
        {M::get, "/", A::rest, N::nothing, &R::web},
        {M::head, "/", A::rest, N::nothing, &R::web},
        {M::get, "/ui/app.js", A::rest, N::nothing, &R::web},
        {M::head, "/ui/app.js", A::rest, N::nothing, &R::web},
        {M::get, "/ui/app.css", A::rest, N::nothing, &R::web},
        {M::head, "/ui/app.css", A::rest, N::nothing, &R::web},
        {M::get, "/healthz", A::rest, N::nothing, &R::healthz},
        {M::head, "/healthz", A::rest, N::nothing, &R::healthz},
        {M::get, "/readyz", A::rest, N::nothing, &R::readyz},
        {M::head, "/readyz", A::rest, N::nothing, &R::readyz},
        {M::get, "/metrics", A::metrics},
        {M::head, "/metrics", A::metrics},
        {M::get, "/api/v1/status", A::rest, N::nothing, &R::status},
        {M::head, "/api/v1/status", A::rest, N::nothing, &R::status},
        {M::get, "/api/v1/drop-reasons", A::rest, N::nothing, &R::drop_reasons},
        {M::head, "/api/v1/drop-reasons", A::rest, N::nothing, &R::drop_reasons},
        {M::get, "/api/v1/openapi.json", A::rest, N::nothing, &R::openapi},
        {M::head, "/api/v1/openapi.json", A::rest, N::nothing, &R::openapi},
        {M::get, "/api/v1/events", A::events},
        {M::get, "/api/v1/events/history", A::events},
        {M::get, "/api/v1/images", A::rest, N::store, &R::list_images},
        {M::head, "/api/v1/images", A::rest, N::store, &R::list_images},
        {M::post, "/api/v1/images", A::rest, N::store, &R::create_image},
        {M::get, "/api/v1/images/{name}", A::rest, N::store, &R::get_image},
        {M::head, "/api/v1/images/{name}", A::rest, N::store, &R::get_image},
        {M::patch, "/api/v1/images/{name}", A::rest, N::store, &R::patch_image},
        {M::del, "/api/v1/images/{name}", A::rest, N::store, &R::delete_image},
        {M::get, "/api/v1/boards", A::rest, N::store, &R::list_boards},
        {M::head, "/api/v1/boards", A::rest, N::store, &R::list_boards},
        {M::post, "/api/v1/boards", A::rest, N::store, &R::create_board},
        {M::post, "/api/v1/boards:import", A::rest, N::store, &R::import_boards},
        {M::post, "/api/v1/boards:update", A::rest, N::store, &R::update_boards},
        {M::get, "/api/v1/boards/{serial}", A::rest, N::store, &R::get_board},
        {M::head, "/api/v1/boards/{serial}", A::rest, N::store, &R::get_board},
        {M::put, "/api/v1/boards/{serial}", A::rest, N::store, &R::replace_board},
        {M::patch, "/api/v1/boards/{serial}", A::rest, N::store, &R::patch_board},
        {M::del, "/api/v1/boards/{serial}", A::rest, N::store, &R::delete_board},
        {M::post, "/api/v1/boards/{serial}/root", A::rest, N::store, &R::create_root},
        {M::del, "/api/v1/boards/{serial}/root", A::rest, N::store, &R::delete_root},
        {M::get, "/api/v1/boards/{serial}/timeline", A::rest, N::live, &R::get_timeline},
        {M::head, "/api/v1/boards/{serial}/timeline", A::rest, N::live, &R::get_timeline},
        {M::get, "/api/v1/leases", A::rest, N::live, &R::list_leases},
        {M::head, "/api/v1/leases", A::rest, N::live, &R::list_leases},
        {M::get, "/api/v1/leases/{ip}", A::rest, N::live, &R::get_lease},
        {M::head, "/api/v1/leases/{ip}", A::rest, N::live, &R::get_lease},
        {M::del, "/api/v1/leases/{ip}", A::rest, N::live, &R::release_lease},
        {M::get, "/api/v1/transfers", A::rest, N::live, &R::list_transfers},
        {M::head, "/api/v1/transfers", A::rest, N::live, &R::list_transfers},
    };
    return kRows;
}

HttpResponse RestApi::handle(const HttpRequest& req) {
    // Headers that say who is asking or what the body is count once: with two Authorization
    // lines, which one the token check reads is a guess a proxy in front may make differently.
    for (std::string_view once : {"authorization", "content-type", "if-match"}) {
        if (std::find(req.repeated.begin(), req.repeated.end(), once) != req.repeated.end()) {
            return fail(ApiError::repeated_header,
                        "the " + std::string(once) + " header came more than once: send it once", std::string(once));
        }
    }
    RouteMatch m = match_route(routes(), req.path);
    if (!m.found() || m.answers() != Answers::rest) return fail(ApiError::not_found, "no such endpoint");
    const RouteRow* row = m.find(req.method);
    if (row == nullptr) return not_allowed_response(m.allow());
    if (row->needs != Needs::nothing && !is_read(row->method) && !authorized(req)) {
        HttpResponse r = fail(ApiError::unauthorized, token_.empty() ? "writes are off: no API token is configured"
                                                                     : "writes need Authorization: Bearer TOKEN");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    }
    if (row->needs == Needs::store && store_ == nullptr) {
        return fail(ApiError::store_unavailable, "the inventory needs --state DIR (it lives in DIR/inventory.sqlite)");
    }
    return (this->*row->handler)(req, m.param);
}

HttpResponse not_allowed_response(const std::string& allow) {
    HttpResponse r = error_response(Outcome::fail(ApiError::method_not_allowed, "this resource answers " + allow));
    r.headers.emplace_back("Allow", allow);
    return r;
}

HttpResponse RestApi::healthz(const HttpRequest&, const std::string&) {
    return json_response(200, json{{"status", "ok"}});
}

HttpResponse RestApi::readyz(const HttpRequest&, const std::string&) {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return info_ ? json_response(200, json{{"status", "ready"}})
                 : fail(ApiError::store_unavailable, "rackbootd is starting");
}

HttpResponse RestApi::openapi(const HttpRequest&, const std::string&) {
    HttpResponse r;
    r.body = openapi_document();
    return r;
}

void RestApi::set_ready(ServiceInfo info) {
    std::lock_guard<std::mutex> lock(info_mutex_);
    info_ = std::move(info);
}

HttpResponse RestApi::status(const HttpRequest&, const std::string&) {
    std::optional<ServiceInfo> copy;
    {
        std::lock_guard<std::mutex> lock(info_mutex_);
        copy = info_;
    }
    if (!copy) return fail(ApiError::store_unavailable, "rackbootd is starting");
    const ServiceInfo& i = *copy;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    return json_response(200, json{{"version", i.version},
                                   {"uptime_s", now - i.started},
                                   {"started", i.started},
                                   {"backend", i.backend},
                                   {"workers", i.workers},
                                   {"listen", {{"tftp", i.tftp}, {"api", i.api}, {"dhcp", i.dhcp}}},
                                   {"inventory", store_ != nullptr},
                                   {"snapshot_generation", generation_ ? generation_() : i.snapshot_generation}});
}

namespace {

// Every reason list, as the metrics name them: for dashboards and alert rules.
template <typename Enum>
void reasons(json& out, const char* list, const char* metric) {
    json items = json::array();
    for (std::size_t i = 0; i < static_cast<std::size_t>(Enum::count_); ++i) {
        const proto::ReasonInfo& r = reason_info(static_cast<Enum>(i));
        items.push_back({{"name", std::string(r.name)},
                         {"severity", std::string(proto::to_string(r.severity))},
                         {"description", std::string(r.description)}});
    }
    out[list] = {{"metric", metric}, {"reasons", items}};
}

}  // namespace

HttpResponse RestApi::drop_reasons(const HttpRequest&, const std::string&) {
    json out = json::object();
    reasons<dataplane::TftpDrop>(out, "tftp_drops", "rackboot_drops_total{reason}");
    reasons<dataplane::TransportDrop>(out, "transport_drops", "rackboot_drops_total{reason}");
    reasons<dataplane::InternalDrop>(out, "internal_drops", "rackboot_drops_total{reason}");
    reasons<proto::FrameDrop>(out, "frame_drops", "rackboot_frame_drops_total{reason}");
    reasons<proto::TftpParseError>(out, "tftp_malformed", "rackboot_tftp_malformed_total{error}");
    reasons<proto::PathVerdict>(out, "tftp_path_refused", "rackboot_tftp_path_refused_total{verdict}");
    reasons<dataplane::ResultLabel>(out, "tftp_results", "rackboot_tftp_transfers_total{result}");
    reasons<dataplane::Quirk>(out, "tftp_quirks", "rackboot_tftp_quirks_total{quirk}");
    reasons<proto::DhcpVerdict>(out, "dhcp_results", "rackboot_dhcp_packets_total{result}");
    reasons<dataplane::DhcpQuirk>(out, "dhcp_quirks", "rackboot_dhcp_quirks_total{quirk}");
    return json_response(200, out);
}

}  // namespace rackboot::control
