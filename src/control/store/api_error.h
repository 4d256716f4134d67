// The API's error codes, one list: the code a client matches on, the HTTP status it comes with and
// the sentence that explains it. The store answers with these too, so a refusal reads the same
// from the store to the wire: {"error": CODE, "message": SENTENCE or a more precise one,
// "field": NAME?}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rackboot::control {

#define RACKBOOT_API_ERRORS(X)                                                                     \
    X(none, 200, "no error")                                                                       \
    X(bad_json, 400, "the body is not valid JSON, or not an object")                               \
    X(unknown_field, 400, "the body has a field this resource does not have")                      \
    X(invalid_field, 400, "a field's value is not valid")                                          \
    X(missing_field, 400, "a required field is missing")                                           \
    X(repeated_header, 400, "a header that may be sent once came more than once")                  \
    X(unauthorized, 401, "this request needs the API token")                                       \
    X(not_found, 404, "no such resource")                                                          \
    X(method_not_allowed, 405, "this resource does not answer that method")                        \
    X(conflict, 409, "the resource exists already, or others depend on it")                        \
    X(precondition_failed, 412, "If-Match names another generation: the resource has changed")     \
    X(payload_too_large, 413, "the request body is larger than this route takes")                  \
    X(unsupported_media_type, 415, "the body must be application/json")                            \
    X(too_many_requests, 429, "this client holds as many of these as it may: close one, or retry") \
    X(store_unavailable, 503, "the store cannot write now (disk full or failing)")                 \
    X(insufficient_storage, 507, "the file system has no room for what was asked")                 \
    X(internal, 500, "an internal error")

#define RACKBOOT_API_ERROR_ENUM_(name, status, text) name,
enum class ApiError : std::uint8_t { RACKBOOT_API_ERRORS(RACKBOOT_API_ERROR_ENUM_) count_ };
#undef RACKBOOT_API_ERROR_ENUM_

struct ApiErrorInfo {
    std::string_view code;
    unsigned status;
    std::string_view sentence;
};

#define RACKBOOT_API_ERROR_INFO_(name, status, text) ApiErrorInfo{#name, status, text},
inline constexpr ApiErrorInfo kApiErrors[] = {RACKBOOT_API_ERRORS(RACKBOOT_API_ERROR_INFO_)};
#undef RACKBOOT_API_ERROR_INFO_

[[nodiscard]] constexpr const ApiErrorInfo& info(ApiError e) noexcept {
    return kApiErrors[static_cast<std::size_t>(e) < static_cast<std::size_t>(ApiError::count_)
                          ? static_cast<std::size_t>(e)
                          : static_cast<std::size_t>(ApiError::internal)];
}

// What a store or handler call says: ok, or an error with a precise message and the field at fault.
struct Outcome {
    ApiError error = ApiError::none;
    std::string message;
    std::string field;

    [[nodiscard]] bool ok() const noexcept { return error == ApiError::none; }
    static Outcome fail(ApiError e, std::string msg, std::string field = {}) {
        return Outcome{e, std::move(msg), std::move(field)};
    }
};

}  // namespace rackboot::control
