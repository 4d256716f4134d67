// POST /api/v1/boards:update: one change to every board a selector names, in one transaction
// (all or nothing), one published map, one audit line per board. The selector names labels (all
// must match), an image, a state or serials; it must name something (a change to every board is
// asked for with "all": true). What may change is what boards of a rack share:
// image, netboot, learn, model, and labels (merged: null removes one). dry_run says what would
// change and changes nothing.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

struct Selector {
    std::map<std::string, std::string> labels;
    BoardFilter filter;  // image, state
    std::vector<proto::Serial> serials;
    bool all = false;

    [[nodiscard]] bool names_something() const noexcept {
        return all || !labels.empty() || !filter.image.empty() || filter.state || !serials.empty();
    }
    [[nodiscard]] bool matches(const Board& b) const {
        for (const auto& [k, v] : labels) {
            auto it = b.labels.find(k);
            if (it == b.labels.end() || it->second != v) return false;
        }
        return serials.empty() || std::find(serials.begin(), serials.end(), b.serial) != serials.end();
    }
};

Outcome read_selector(const json& j, Selector& s) {
    auto bad = [](const std::string& why, const std::string& field) {
        return Outcome::fail(ApiError::invalid_field, why, "selector." + field);
    };
    if (!j.is_object()) return Outcome::fail(ApiError::invalid_field, "selector is an object", "selector");
    for (const auto& [key, v] : j.items()) {
        if (key == "labels") {
            if (!v.is_object()) return bad("labels are an object of strings", key);
            for (const auto& [lk, lv] : v.items()) {
                if (!lv.is_string()) return bad("labels are an object of strings", key);
                s.labels[lk] = lv.get<std::string>();
            }
        } else if (key == "image") {
            if (!v.is_string() || v.get<std::string>().empty()) return bad("image is an image's name", key);
            s.filter.image = v.get<std::string>();
        } else if (key == "state") {
            s.filter.state = v.is_string() ? parse_board_state(v.get<std::string>()) : std::nullopt;
            if (!s.filter.state) return bad("state is configured or discovered", key);
        } else if (key == "serials") {
            if (!v.is_array() || v.empty()) return bad("serials is a list of serials", key);
            for (const json& x : v) {
                std::optional<proto::Serial> serial =
                    x.is_string() ? proto::Serial::parse_full(x.get<std::string>()) : std::nullopt;
                if (!serial) return bad("not a serial: " + x.dump(), key);
                s.serials.push_back(*serial);
            }
        } else if (key == "all") {
            if (!v.is_boolean()) return bad("all is true or false", key);
            s.all = v.get<bool>();
        } else {
            return Outcome::fail(ApiError::unknown_field, "a selector has labels, image, state, serials or all",
                                 "selector." + key);
        }
    }
    if (!s.names_something()) {
        return Outcome::fail(ApiError::invalid_field,
                             "the selector names no label, image, state or serial (every board: \"all\": true)",
                             "selector");
    }
    return {};
}

}  // namespace

HttpResponse RestApi::update_boards(const HttpRequest& req, const std::string&) {
    HttpResponse refusal;
    std::optional<json> j = parse_body(req, refusal);
    if (!j) return refusal;
    for (const auto& [key, v] : j->items()) {
        if (key != "selector" && key != "set" && key != "dry_run") {
            return fail(ApiError::unknown_field, "a bulk update has selector, set and dry_run", key);
        }
    }
    if (!j->contains("selector")) return fail(ApiError::missing_field, "a bulk update needs a selector", "selector");
    if (!j->contains("set")) return fail(ApiError::missing_field, "a bulk update needs what to set", "set");
    Selector sel;
    if (Outcome o = read_selector((*j)["selector"], sel); !o.ok()) return error_response(o);
    const json& set = (*j)["set"];
    if (!set.is_object() || set.empty()) return fail(ApiError::invalid_field, "set is an object of fields", "set");
    for (const auto& [key, v] : set.items()) {
        if (key != "image" && key != "netboot" && key != "learn" && key != "model" && key != "labels") {
            return fail(ApiError::invalid_field,
                        "a bulk update sets image, netboot, learn, model and labels; '" + key +
                            "' is a board's own: set it on that board",
                        "set." + key);
        }
    }
    bool dry_run = false;
    if (j->contains("dry_run")) {
        if (!(*j)["dry_run"].is_boolean()) return fail(ApiError::invalid_field, "dry_run is true or false", "dry_run");
        dry_run = (*j)["dry_run"].get<bool>();
    }
    // Every board the selector names, read and changed on this (the API's one) thread: no other
    // API write comes in between; what the control thread records (observations) is kept by
    // put_boards.
    std::vector<Board> matched;
    std::vector<Board> changed;
    std::optional<proto::Serial> after;
    for (;;) {
        std::vector<Board> page;
        if (Outcome o = store_->list_boards(sel.filter, after, kMaxPage, page); !o.ok()) return error_response(o);
        for (Board& b : page) {
            if (!sel.matches(b)) continue;
            Board next = b;
            if (Outcome o = apply_board(set, next, false, true); !o.ok()) {
                return fail(o.error, "board " + b.serial.to_string() + ": " + o.message, "set." + o.field);
            }
            matched.push_back(b);
            if (next.image != b.image || next.netboot != b.netboot || next.learn != b.learn || next.model != b.model ||
                next.labels != b.labels) {
                changed.push_back(std::move(next));
            }
        }
        if (page.size() < kMaxPage) break;
        after = page.back().serial;
    }
    if (!dry_run && !changed.empty()) {
        std::size_t failed = 0;
        if (Outcome o = writes_->put_boards(changed, failed, actor(req, "bulk")); !o.ok()) {
            return fail(o.error,
                        "board " + changed[failed].serial.to_string() + ": " + o.message + " (nothing was changed)",
                        o.field);
        }
    }
    json boards = json::array();
    for (const Board& b : changed) boards.push_back({{"serial", b.serial.to_string()}, {"generation", b.generation}});
    return json_response(
        200, json{{"matched", matched.size()}, {"changed", changed.size()}, {"boards", boards}, {"dry_run", dry_run}});
}

}  // namespace rackboot::control
