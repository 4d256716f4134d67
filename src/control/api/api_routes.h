// Every route of the HTTP endpoint is a row: one method, its path pattern (one {param} segment at
// most), who answers it, what it needs, and (for the REST API's) its handler. Dispatch, 405's
// Allow and the OpenAPI check (tests/control/api) all read the rows (RestApi::routes()); no handler
// tests a method. The rows of one pattern are consecutive, in the order Allow lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rackboot::control {

class RestApi;
struct HttpRequest;
struct HttpResponse;

enum class Method : std::uint8_t { get, head, post, put, patch, del };

[[nodiscard]] std::optional<Method> parse_method(std::string_view text) noexcept;
[[nodiscard]] std::string_view method_name(Method m) noexcept;
[[nodiscard]] constexpr bool is_read(Method m) noexcept {
    return m == Method::get || m == Method::head;
}

// Who answers a route: a RestApi handler, or ApiServer itself (the metrics page, the event stream).
enum class Answers : std::uint8_t { rest, metrics, events };

// What a REST route needs before its handler runs: writes to `live` and `store` routes need the
// token; `store` routes need the inventory (--state).
enum class Needs : std::uint8_t { nothing, live, store };

// `param` is the {param} segment's text (empty where the pattern has none).
using Handler = HttpResponse (RestApi::*)(const HttpRequest& req, const std::string& param);

struct RouteRow {
    Method method;
    std::string_view pattern;
    Answers answers = Answers::rest;
    Needs needs = Needs::nothing;
    Handler handler = nullptr;  // null where ApiServer answers
};

struct RouteMatch {
    std::span<const RouteRow> rows;  // the matched pattern's rows; empty: no such route
    std::string param;

    [[nodiscard]] bool found() const noexcept { return !rows.empty(); }
    [[nodiscard]] std::string_view pattern() const noexcept {
        return rows.empty() ? std::string_view() : rows[0].pattern;
    }
    [[nodiscard]] Answers answers() const noexcept { return rows.empty() ? Answers::rest : rows[0].answers; }
    // The row for `m`, or null (405).
    [[nodiscard]] const RouteRow* find(Method m) const noexcept;
    [[nodiscard]] const RouteRow* find(std::string_view method) const noexcept;
    // The methods the route answers, as the Allow header lists them ("GET, HEAD, POST").
    [[nodiscard]] std::string allow() const;
};

[[nodiscard]] RouteMatch match_route(std::span<const RouteRow> table, std::string_view path);

// The OpenAPI 3 document of this API (openapi.json, built in).
[[nodiscard]] const std::string& openapi_document();

}  // namespace rackboot::control
