// Every route of the HTTP endpoint, once: its path pattern (one {param} segment at most), the
// methods it answers and who serves it. RestApi dispatches through this table, 405's Allow comes
// from it, and the OpenAPI document (openapi.json) is checked against it (tests/control).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rackboot::control {

enum class Route : std::uint8_t {
    healthz,
    readyz,
    metrics,
    status,
    drop_reasons,
    openapi,
    events,
    images,
    image,
    boards,
    boards_import,
    board,
    timeline,
    leases,
    lease,
    transfers,
};

struct RouteInfo {
    Route id;
    std::string_view pattern;
    std::string_view methods;  // as the Allow header lists them
    bool rest;                 // RestApi serves it (else ApiServer itself: /metrics, the event stream)
};

inline constexpr RouteInfo kRoutes[] = {
    {Route::healthz, "/healthz", "GET, HEAD", true},
    {Route::readyz, "/readyz", "GET, HEAD", true},
    {Route::metrics, "/metrics", "GET, HEAD", false},
    {Route::status, "/api/v1/status", "GET, HEAD", true},
    {Route::drop_reasons, "/api/v1/drop-reasons", "GET, HEAD", true},
    {Route::openapi, "/api/v1/openapi.json", "GET, HEAD", true},
    {Route::events, "/api/v1/events", "GET", false},
    {Route::images, "/api/v1/images", "GET, HEAD, POST", true},
    {Route::image, "/api/v1/images/{name}", "GET, HEAD, DELETE", true},
    {Route::boards, "/api/v1/boards", "GET, HEAD, POST", true},
    {Route::boards_import, "/api/v1/boards:import", "POST", true},
    {Route::board, "/api/v1/boards/{serial}", "GET, HEAD, PUT, PATCH, DELETE", true},
    {Route::timeline, "/api/v1/boards/{serial}/timeline", "GET, HEAD", true},
    {Route::leases, "/api/v1/leases", "GET, HEAD", true},
    {Route::lease, "/api/v1/leases/{ip}", "GET, HEAD, DELETE", true},
    {Route::transfers, "/api/v1/transfers", "GET, HEAD", true},
};

struct RouteMatch {
    const RouteInfo* route = nullptr;  // null: no such route
    std::string param;                 // the {param} segment's text
};

[[nodiscard]] RouteMatch match_route(std::string_view path);
[[nodiscard]] bool route_allows(const RouteInfo& r, std::string_view method);

// The OpenAPI 3 document of this API (openapi.json, built in).
[[nodiscard]] const std::string& openapi_document();

}  // namespace rackboot::control
