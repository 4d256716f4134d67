#include "control/api/rest_api.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

#include "control/api/client_json.h"
#include "control/api/rest_reply.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

namespace {

using nlohmann::json;

constexpr std::string_view kImages = "/api/v1/images";
constexpr std::string_view kBoards = "/api/v1/boards";

// If-Match: "N", W/"N" or * (any); absent: no precondition. False when it names no generation.
bool if_match(const HttpRequest& req, std::optional<std::uint64_t>& out) {
    auto it = req.header.find("if-match");
    if (it == req.header.end() || it->second == "*") return true;
    std::string v = it->second;
    if (v.rfind("W/", 0) == 0) v = v.substr(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    char* end = nullptr;
    unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || end == nullptr || *end != '\0') return false;
    out = n;
    return true;
}

}  // namespace

std::optional<json> parse_body(const HttpRequest& req, HttpResponse& refusal) {
    auto ct = req.header.find("content-type");
    if (ct != req.header.end() && ct->second.rfind("application/json", 0) != 0 &&
        ct->second.rfind("application/merge-patch+json", 0) != 0) {
        refusal = fail(ApiError::unsupported_media_type, "the body must be application/json, not " + ct->second);
        return std::nullopt;
    }
    ClientJsonError error;
    json j = parse_client_json(req.body, error);
    if (!error.message.empty()) {
        refusal = fail(ApiError::bad_json, error.message, error.field);
        return std::nullopt;
    }
    if (!j.is_object()) {
        refusal = fail(ApiError::bad_json, "the body is not a JSON object");
        return std::nullopt;
    }
    return j;
}

namespace {

// A "files" object (path: template) into `out`; false when it is not one.
bool read_files(const json& v, std::map<std::string, std::string>& out) {
    if (!v.is_object()) return false;
    out.clear();
    for (const auto& [path, text] : v.items()) {
        if (!text.is_string()) return false;
        out[path] = text.get<std::string>();
    }
    return true;
}

json image_json(const Image& i, std::size_t boards) {
    json j{{"name", i.name},   {"kind", std::string(to_string(i.kind))},
           {"path", i.path},   {"generation", i.generation},
           {"boards", boards}, {"files", i.files}};
    if (i.kind == ImageKind::img) j["partition"] = i.partition ? json(*i.partition) : json(nullptr);
    return j;
}

// The last boot's summary as the timeline wrote it (JSON), or null.
json last_boot_json(const std::string& text) {
    if (text.empty()) return nullptr;
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? json(text) : j;
}

// The export ({root} in its files): NBD's one export (the address that connects picks the disk:
// nbdroot=SERVER/root), or the NFS path (nfsroot=SERVER:PATH).
json root_json(const BoardRoot& r) {
    json j{{"kind", std::string(to_string(r.kind))},
           {"export", root_reference(r)},
           {"path", r.path},
           {"created", r.created},
           {"method", r.method}};
    if (r.kind == RootKind::nbd) {
        j["image"] = r.image;
        j["size"] = r.size;
    } else {
        j["export_id"] = r.export_id;
    }
    return j;
}

}  // namespace

json board_json(const Board& b) {
    json macs = json::array();
    for (const Mac& m : b.macs) macs.push_back(m.to_string());
    json learnt = json::array();
    for (const LearntMac& l : b.learnt_macs) {
        learnt.push_back(
            {{"mac", l.mac.to_string()}, {"first_seen", l.first_seen}, {"last_seen", l.last_seen}, {"from", l.from}});
    }
    return json{{"serial", b.serial.to_string()},
                {"serial_full", b.serial_full.empty() ? b.serial.to_string() : b.serial_full},
                {"name", b.name},
                {"labels", b.labels},
                {"macs", macs},
                {"learnt_macs", learnt},
                {"learn", b.learn},
                {"model", b.model},
                {"image", b.image.empty() ? json(nullptr) : json(b.image)},
                {"ip", b.ip ? json(b.ip->to_string()) : json(nullptr)},
                {"netboot", b.netboot},
                {"state", std::string(to_string(b.state))},
                {"first_seen", b.first_seen},
                {"last_seen", b.last_seen},
                {"last_boot", last_boot_json(b.last_boot)},
                {"files", b.files},
                {"root", b.root ? root_json(*b.root) : json(nullptr)},
                {"generation", b.generation}};
}

Outcome apply_board(const json& j, Board& b, bool serial_allowed, bool merge) {
    for (const auto& [key, v] : j.items()) {
        const std::string& field = key;  // (a structured binding cannot be captured before C++20's clang 16)
        auto bad = [&field](const std::string& why) { return Outcome::fail(ApiError::invalid_field, why, field); };
        if (key == "serial") {
            if (!serial_allowed) continue;  // checked by the caller against the path
            std::optional<proto::Serial> s =
                v.is_string() ? proto::Serial::parse_full(v.get<std::string>(), &b.serial_full) : std::nullopt;
            if (!s) return bad("a serial is 8 hex digits (or a Pi 5's 16)");
            b.serial = *s;
        } else if (key == "name") {
            if (!v.is_string() && !v.is_null()) return bad("a name is a string");
            b.name = v.is_null() ? "" : v.get<std::string>();
        } else if (key == "labels") {
            if (v.is_null()) {
                b.labels.clear();
                continue;
            }
            if (!v.is_object()) return bad("labels are an object of strings");
            // A merge patch (RFC 7396) changes the labels it names and removes those set to null.
            if (!merge) b.labels.clear();
            for (const auto& [lk, lv] : v.items()) {
                if (merge && lv.is_null()) {
                    b.labels.erase(lk);
                    continue;
                }
                if (!lv.is_string())
                    return bad(merge ? "labels are an object of strings (null removes one)"
                                     : "labels are an object of strings");
                b.labels[lk] = lv.get<std::string>();
            }
        } else if (key == "files") {
            if (v.is_null()) {
                b.files.clear();
                continue;
            }
            if (!read_files(v, b.files)) return bad("files are an object of path: template (strings)");
        } else if (key == "macs") {
            if (!v.is_array() && !v.is_null()) return bad("macs is a list of MAC addresses");
            b.macs.clear();
            for (const json& m : v.is_null() ? json::array() : v) {
                std::optional<Mac> mac = m.is_string() ? Mac::parse(m.get<std::string>()) : std::nullopt;
                if (!mac) return bad("not a MAC address (aa:bb:cc:dd:ee:ff): " + quote_client_value(m));
                b.macs.push_back(*mac);
            }
        } else if (key == "model") {
            if (!v.is_string() && !v.is_null()) return bad("a model is a string");
            b.model = v.is_null() ? "" : v.get<std::string>();
        } else if (key == "image") {
            if (!v.is_string() && !v.is_null()) return bad("an image is a name");
            b.image = v.is_null() ? "" : v.get<std::string>();
        } else if (key == "ip") {
            if (v.is_null()) {
                b.ip.reset();
                continue;
            }
            std::optional<proto::Ipv4> ip = v.is_string() ? proto::Ipv4::parse(v.get<std::string>()) : std::nullopt;
            if (!ip || ip->unset()) return bad("not an IPv4 address");
            b.ip = ip;
        } else if (key == "learn") {
            if (!v.is_boolean()) return bad("learn is true or false (false: nothing is learnt onto the board)");
            b.learn = v.get<bool>();
        } else if (key == "netboot") {
            if (!v.is_boolean()) return bad("netboot is true or false");
            b.netboot = v.get<bool>();
        } else if (key == "state") {
            std::optional<BoardState> state = v.is_string() ? parse_board_state(v.get<std::string>()) : std::nullopt;
            if (!state) return bad("state is configured or discovered");
            b.state = *state;
        } else if (key == "generation" || key == "first_seen" || key == "last_seen" || key == "last_boot" ||
                   key == "serial_full" || key == "learnt_macs" || key == "root") {
            return bad("is read-only");
        } else {
            return Outcome::fail(ApiError::unknown_field, "boards have no field '" + key + "'", key);
        }
    }
    return validate_board(b);
}

namespace {

std::optional<std::size_t> page_limit(const HttpRequest& req, HttpResponse& refusal) {
    auto it = req.query.find("limit");
    if (it == req.query.end()) return 100;
    char* end = nullptr;
    unsigned long n = std::strtoul(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n == 0 || n > RestApi::kMaxPage) {
        refusal = fail(ApiError::invalid_field, "limit is 1.." + std::to_string(RestApi::kMaxPage), "limit");
        return std::nullopt;
    }
    return n;
}

}  // namespace

HttpResponse error_response(const Outcome& o) {
    const ApiErrorInfo& i = info(o.error);
    json body{{"error", std::string(i.code)}, {"message", o.message.empty() ? std::string(i.sentence) : o.message}};
    if (!o.field.empty()) body["field"] = o.field;
    return json_response(i.status, body);
}

RestApi::RestApi(InventoryStore* store, std::string images_root, std::string token)
    : store_(store), images_root_(std::move(images_root)), token_(std::move(token)) {
    if (store_ != nullptr) {
        own_writes_ = std::make_unique<InventoryWrites>(*store_);
        writes_ = own_writes_.get();
    }
    if (!token_.empty()) {
        char id[17];
        std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(proto::fnv1a64(token_)));
        token_id_.assign(id, 8);
    }
}

bool RestApi::authorized(const HttpRequest& req) const {
    auto it = req.header.find("authorization");
    if (token_.empty() || it == req.header.end() || it->second.rfind("Bearer ", 0) != 0) return false;
    std::string_view given = std::string_view(it->second).substr(7);
    // Compared in constant time: how far a guess matched must not show in the answer's timing.
    unsigned diff = given.size() == token_.size() ? 0u : 1u;
    for (std::size_t i = 0; i < token_.size(); ++i) {
        diff |= static_cast<unsigned char>(token_[i]) ^ static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    }
    return diff == 0;
}

std::string RestApi::never_offered(proto::Ipv4 ip) const {
    if (!served_) return {};
    std::string why = proto::why_never_offered(*served_, ip);
    if (!why.empty()) return ip.to_string() + " is " + why + ": it can never be offered";
    for (const auto& [mac, reserved] : served_->mac_reservations) {
        if (reserved == ip) return ip.to_string() + " is reserved by --reserve for another MAC";
    }
    for (const auto& [serial, reserved] : served_->serial_reservations) {
        if (reserved == ip) return ip.to_string() + " is reserved by --reserve for serial " + serial.to_string();
    }
    return {};
}

HttpResponse RestApi::list_images(const HttpRequest&, const std::string&) {
    std::vector<Image> all;
    if (Outcome o = store_->list_images(all); !o.ok()) return error_response(o);
    json items = json::array();
    for (const Image& i : all) {
        std::size_t n = 0;
        (void)store_->boards_using(i.name, n);
        json item = image_json(i, n);
        if (live_.image_status) {
            if (auto st = live_.image_status(i.name)) item.update(*st);
        }
        items.push_back(std::move(item));
    }
    return json_response(200, json{{"items", items}});
}

HttpResponse RestApi::create_image(const HttpRequest& req, const std::string&) {
    HttpResponse refusal;
    std::optional<json> j = parse_body(req, refusal);
    if (!j) return refusal;
    Image img;
    for (const auto& [key, v] : j->items()) {
        if (key == "partition") {
            if (!v.is_number_unsigned())
                return fail(ApiError::invalid_field, "partition is a number from 1 to 128", key);
            continue;
        }
        if (key == "files") {
            if (!read_files(v, img.files)) {
                return fail(ApiError::invalid_field, "files are an object of path: template (strings)", key);
            }
            continue;
        }
        if (key != "name" && key != "kind" && key != "path") {
            return fail(ApiError::unknown_field, "images have no field '" + key + "'", key);
        }
        if (!v.is_string()) return fail(ApiError::invalid_field, key + " is a string", key);
    }
    for (const char* required : {"name", "path"}) {
        if (!j->contains(required)) {
            return fail(ApiError::missing_field, std::string("an image needs a ") + required, required);
        }
    }
    img.name = (*j)["name"].get<std::string>();
    img.path = (*j)["path"].get<std::string>();
    if (j->contains("kind")) {
        std::optional<ImageKind> kind = parse_image_kind((*j)["kind"].get<std::string>());
        if (!kind) return fail(ApiError::invalid_field, "kind is \"dir\" or \"img\"", "kind");
        img.kind = *kind;
    }
    if (j->contains("partition")) {
        std::uint64_t n = (*j)["partition"].get<std::uint64_t>();
        img.partition = static_cast<unsigned>(std::min<std::uint64_t>(n, 1000));
    }
    if (Outcome o = validate_image(img, images_root_); !o.ok()) return error_response(o);
    // A disk image is indexed before it is stored: one that cannot be served is refused with why.
    if (img.kind == ImageKind::img && live_.prepare_image) {
        if (std::optional<std::string> why = live_.prepare_image(img)) {
            return fail(ApiError::invalid_field, "path '" + img.path + "' cannot be served: " + *why, "path");
        }
    }
    if (Outcome o = writes_->create_image(img, actor(req)); !o.ok()) return error_response(o);
    HttpResponse r = json_response(201, image_json(img, 0), img.generation);
    r.headers.emplace_back("Location", std::string(kImages) + "/" + img.name);
    return r;
}

HttpResponse RestApi::get_image(const HttpRequest&, const std::string& name) {
    Image img;
    if (Outcome o = store_->get_image(name, img); !o.ok()) return error_response(o);
    std::size_t n = 0;
    (void)store_->boards_using(name, n);
    json body = image_json(img, n);
    // Where it resolves now, and whether it is served (the dataplane's view, not the store's).
    if (live_.image_status) {
        if (auto st = live_.image_status(name)) body.update(*st);
    }
    return json_response(200, body, img.generation);
}

// PATCH: an image's own files, the one thing of an image that changes in place (another path or
// partition is another image).
HttpResponse RestApi::patch_image(const HttpRequest& req, const std::string& name) {
    HttpResponse refusal;
    std::optional<json> j = parse_body(req, refusal);
    if (!j) return refusal;
    std::optional<std::uint64_t> match;
    if (!if_match(req, match)) return fail(ApiError::precondition_failed, "If-Match names no generation");
    std::map<std::string, std::string> files;
    for (const auto& [key, v] : j->items()) {
        if (key != "files") {
            return fail(ApiError::invalid_field,
                        "only an image's files change in place ('" + key + "': add another image instead)", key);
        }
        if (!v.is_null() && !read_files(v, files)) {
            return fail(ApiError::invalid_field, "files are an object of path: template (strings)", key);
        }
    }
    Image img;
    if (Outcome o = writes_->set_image_files(name, files, match, img, actor(req)); !o.ok()) return error_response(o);
    std::size_t n = 0;
    (void)store_->boards_using(name, n);
    return json_response(200, image_json(img, n), img.generation);
}

HttpResponse RestApi::delete_image(const HttpRequest& req, const std::string& name) {
    std::optional<std::uint64_t> match;
    if (!if_match(req, match)) return fail(ApiError::precondition_failed, "If-Match names no generation");
    if (Outcome o = writes_->delete_image(name, match, actor(req)); !o.ok()) return error_response(o);
    return no_content();
}

HttpResponse RestApi::list_boards(const HttpRequest& req, const std::string&) {
    HttpResponse refusal;
    std::optional<std::size_t> limit = page_limit(req, refusal);
    if (!limit) return refusal;
    BoardFilter f;
    if (auto it = req.query.find("label"); it != req.query.end()) {
        std::size_t eq = it->second.find('=');
        if (eq == std::string::npos || eq == 0) return fail(ApiError::invalid_field, "label is KEY=VALUE", "label");
        f.label_key = it->second.substr(0, eq);
        f.label_value = it->second.substr(eq + 1);
    }
    if (auto it = req.query.find("image"); it != req.query.end()) f.image = it->second;
    if (auto it = req.query.find("state"); it != req.query.end()) {
        f.state = parse_board_state(it->second);
        if (!f.state) return fail(ApiError::invalid_field, "state is configured or discovered", "state");
    }
    std::optional<proto::Serial> after;
    if (auto it = req.query.find("after"); it != req.query.end()) {
        std::optional<proto::Serial> s = proto::Serial::parse_full(it->second);
        if (!s) return fail(ApiError::invalid_field, "after is a serial (the last one seen)", "after");
        after = s;
    }
    std::vector<Board> page;
    if (Outcome o = store_->list_boards(f, after, *limit + 1, page); !o.ok()) return error_response(o);
    json items = json::array();
    for (std::size_t i = 0; i < page.size() && i < *limit; ++i) items.push_back(board_json(page[i]));
    json next = page.size() > *limit ? json(page[*limit - 1].serial.to_string()) : json(nullptr);
    return json_response(200, json{{"items", items}, {"next", next}});
}

HttpResponse RestApi::create_board(const HttpRequest& req, const std::string&) {
    HttpResponse refusal;
    std::optional<json> j = parse_body(req, refusal);
    if (!j) return refusal;
    if (!j->contains("serial")) return fail(ApiError::missing_field, "a board needs its serial", "serial");
    Board b;
    if (Outcome o = apply_board(*j, b, true, false); !o.ok()) return error_response(o);
    if (std::string why = b.ip ? never_offered(*b.ip) : std::string(); !why.empty()) {
        return fail(ApiError::invalid_field, why, "ip");
    }
    if (Outcome o = writes_->create_board(b, actor(req)); !o.ok()) return error_response(o);
    HttpResponse r = json_response(201, board_json(b), b.generation);
    r.headers.emplace_back("Location", std::string(kBoards) + "/" + b.serial.to_string());
    return r;
}

std::optional<proto::Serial> path_serial(const std::string& key, HttpResponse& refusal) {
    if (std::optional<proto::Serial> serial = proto::Serial::parse_full(key)) return serial;
    refusal = fail(ApiError::not_found, "'" + key + "' is not a serial (8 hex digits, or a Pi 5's 16)");
    return std::nullopt;
}

HttpResponse RestApi::get_board(const HttpRequest&, const std::string& key) {
    HttpResponse refusal;
    std::optional<proto::Serial> serial = path_serial(key, refusal);
    if (!serial) return refusal;
    Board b;
    if (Outcome o = store_->get_board(*serial, b); !o.ok()) return error_response(o);
    return json_response(200, board_json(b), b.generation);
}

HttpResponse RestApi::delete_board(const HttpRequest& req, const std::string& key) {
    HttpResponse refusal;
    std::optional<proto::Serial> serial = path_serial(key, refusal);
    if (!serial) return refusal;
    std::optional<std::uint64_t> match;
    if (!if_match(req, match)) return fail(ApiError::precondition_failed, "If-Match names no generation");
    if (Outcome o = writes_->delete_board(*serial, match, actor(req)); !o.ok()) return error_response(o);
    return no_content();
}

HttpResponse RestApi::replace_board(const HttpRequest& req, const std::string& key) {
    return write_board(req, key, true);
}

HttpResponse RestApi::patch_board(const HttpRequest& req, const std::string& key) {
    return write_board(req, key, false);
}

HttpResponse RestApi::write_board(const HttpRequest& req, const std::string& key, bool replace) {
    HttpResponse refusal;
    std::optional<proto::Serial> serial = path_serial(key, refusal);
    if (!serial) return refusal;
    std::optional<std::uint64_t> match;
    if (!if_match(req, match)) return fail(ApiError::precondition_failed, "If-Match names no generation");
    std::optional<json> j = parse_body(req, refusal);
    if (!j) return refusal;
    if (j->contains("serial")) {
        const json& v = (*j)["serial"];
        std::optional<proto::Serial> s = v.is_string() ? proto::Serial::parse_full(v.get<std::string>()) : std::nullopt;
        if (!s || *s != *serial) {
            return fail(ApiError::invalid_field, "the serial in the body differs from the path's", "serial");
        }
    }
    Board current;
    if (Outcome o = store_->get_board(*serial, current); !o.ok()) return error_response(o);
    Board b;
    if (replace) {
        // A replacement: what the body leaves out takes its default; what is learnt stays.
        b.serial = *serial;
        b.serial_full = current.serial_full;
        b.first_seen = current.first_seen;
        b.last_seen = current.last_seen;
        b.last_boot = current.last_boot;
    } else {
        b = current;
    }
    if (Outcome o = apply_board(*j, b, false, !replace); !o.ok()) return error_response(o);
    // A board stored before the subnet changed can still be edited; a new address must be offerable.
    if (std::string why = b.ip && b.ip != current.ip ? never_offered(*b.ip) : std::string(); !why.empty()) {
        return fail(ApiError::invalid_field, why, "ip");
    }
    if (Outcome o = writes_->replace_board(b, match, current.generation, actor(req)); !o.ok()) {
        return error_response(o);
    }
    return json_response(200, board_json(b), b.generation);
}

}  // namespace rackboot::control
