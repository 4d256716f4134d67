// The REST API's routes for a board's own root (issue 21): POST /api/v1/boards/{serial}/root
// makes its NBD disk from its img image ({"kind": "nbd", "size": BYTES or "16G"}, both optional)
// or records its NFS directory ({"kind": "nfs", "path": DIR}), and answers 201 with the board once
// the root and its record are durable; DELETE forgets it (and removes an NBD disk: the only way
// one goes).
// The work is control/roots' (LiveSources::make_root and remove_root); without --roots the routes
// say how to turn them on.
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

constexpr const char* kNoRoots = "roots are off: start rackbootd with --roots DIR (a directory outside --images-root)";

// "16G", "512M", "1T", "4096", or a number: bytes; nullopt when it is none of those.
std::optional<std::uint64_t> parse_size(const json& v) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (!v.is_string()) return std::nullopt;
    std::string t = v.get<std::string>();
    if (t.empty() || std::isdigit(static_cast<unsigned char>(t[0])) == 0) return std::nullopt;
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) != 0; ++i) {
        if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(t[i] - '0');
    }
    std::string unit = t.substr(i);
    int shift = 0;
    if (unit.empty() || unit == "B") {
        shift = 0;
    } else if (unit == "K" || unit == "KiB") {
        shift = 10;
    } else if (unit == "M" || unit == "MiB") {
        shift = 20;
    } else if (unit == "G" || unit == "GiB") {
        shift = 30;
    } else if (unit == "T" || unit == "TiB") {
        shift = 40;
    } else {
        return std::nullopt;
    }
    if (shift != 0 && n > (UINT64_MAX >> shift)) return std::nullopt;
    return n << shift;
}

}  // namespace

HttpResponse RestApi::create_root(const HttpRequest& req, const std::string& key) {
    HttpResponse refusal;
    std::optional<proto::Serial> serial = path_serial(key, refusal);
    if (!serial) return refusal;
    RootRequest ask;
    if (!req.body.empty()) {
        std::optional<json> j = parse_body(req, refusal);
        if (!j) return refusal;
        for (const auto& [field, v] : j->items()) {
            if (field == "kind") {
                std::optional<RootKind> kind = v.is_string() ? parse_root_kind(v.get<std::string>()) : std::nullopt;
                if (!kind) return fail(ApiError::invalid_field, "a root's kind is \"nbd\" or \"nfs\"", field);
                ask.kind = *kind;
            } else if (field == "size") {
                std::optional<std::uint64_t> n = parse_size(v);
                if (!n) return fail(ApiError::invalid_field, "a size is bytes, or a number with K, M, G or T", field);
                ask.size = *n;
            } else if (field == "path") {
                if (!v.is_string()) return fail(ApiError::invalid_field, "a path is a string", field);
                ask.path = v.get<std::string>();
            } else {
                return fail(ApiError::unknown_field, "a root has no field '" + field + "' (kind, size, path)", field);
            }
        }
    }
    if (!live_.make_root) return fail(ApiError::conflict, kNoRoots);
    Board b;
    if (Outcome o = live_.make_root(*serial, ask, b, actor(req)); !o.ok()) return error_response(o);
    HttpResponse r = json_response(201, board_json(b), b.generation);
    r.headers.emplace_back("Location", "/api/v1/boards/" + b.serial.to_string() + "/root");
    return r;
}

HttpResponse RestApi::delete_root(const HttpRequest& req, const std::string& key) {
    HttpResponse refusal;
    std::optional<proto::Serial> serial = path_serial(key, refusal);
    if (!serial) return refusal;
    if (!live_.remove_root) return fail(ApiError::conflict, kNoRoots);
    BoardRoot gone;
    if (Outcome o = live_.remove_root(*serial, gone, actor(req)); !o.ok()) return error_response(o);
    return no_content();
}

}  // namespace rackboot::control
