// What the REST handlers answer with (rest_*.cpp): a JSON body with its status (and ETag), and an
// error from the one list in store/api_error.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/api/rest_api.h"

namespace rackboot::control {

[[nodiscard]] inline HttpResponse json_response(unsigned status, const nlohmann::json& body, std::uint64_t etag = 0) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump() + "\n";
    if (etag != 0) r.headers.emplace_back("ETag", "\"" + std::to_string(etag) + "\"");
    return r;
}

[[nodiscard]] inline HttpResponse fail(ApiError e, std::string message, std::string field = {}) {
    return error_response(Outcome::fail(e, std::move(message), std::move(field)));
}

// The body as a JSON object, or the refusal (400, 413, 415) in `refusal`.
[[nodiscard]] std::optional<nlohmann::json> parse_body(const HttpRequest& req, HttpResponse& refusal);
// A board as the API shows it.
[[nodiscard]] nlohmann::json board_json(const Board& b);
// Applies the fields of `j` to `b` (create, replace and patch alike: null clears a field); with
// `merge` (PATCH, RFC 7396), labels are changed one by one and a label set to null is removed.
[[nodiscard]] Outcome apply_board(const nlohmann::json& j, Board& b, bool serial_allowed, bool merge);
// The {serial} of a board's path, or the 404 it gets in `refusal`.
[[nodiscard]] std::optional<proto::Serial> path_serial(const std::string& key, HttpResponse& refusal);

[[nodiscard]] inline HttpResponse no_content() {
    HttpResponse r;
    r.status = 204;
    return r;
}

}  // namespace rackboot::control
