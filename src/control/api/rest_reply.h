// What the REST handlers answer with (rest_*.cpp): a JSON body with its status (and ETag), and an
// error from the one list in store/api_error.h.
#pragma once

#include <cstdint>
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

[[nodiscard]] inline HttpResponse no_content() {
    HttpResponse r;
    r.status = 204;
    return r;
}

}  // namespace rackboot::control
