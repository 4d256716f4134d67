// POST /api/v1/boards:import: a nobodd INI or dnsmasq dhcp-host lines (board_import.h), as
// text/plain or as {"text": "..."}; every board written in one transaction (all or nothing), one
// published map, one audit line per board.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "control/api/board_import.h"
#include "control/api/client_json.h"
#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

// A handler's step: its value, or the response that ends the request.
template <class T = void>
using Step = tl::expected<T, HttpResponse>;

std::string resolved(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
    return real ? std::string(real.get()) : path;
}

// The file's text: the body as text/plain, or {"text": "..."}.
Step<std::string> import_text(const HttpRequest& req) {
    auto ct = req.header.find("content-type");
    if (ct != req.header.end() && ct->second.rfind("text/plain", 0) == 0) return req.body;
    ClientJsonError error;
    json j = parse_client_json(req.body, error);
    if (!error.message.empty()) return tl::unexpected(fail(ApiError::bad_json, error.message, error.field));
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
        return tl::unexpected(fail(ApiError::bad_json, "send the file as text/plain, or as {\"text\": \"...\"}"));
    }
    return j["text"].get<std::string>();
}

// Each image's name by its resolved path: a line names its image by path.
Step<std::map<std::string, std::string>> images_by_path(InventoryStore& store) {
    std::vector<Image> images;
    if (Outcome o = store.list_images(images); !o.ok()) return tl::unexpected(error_response(o));
    std::map<std::string, std::string> out;
    for (const Image& i : images) out[i.path] = i.name;
    return out;
}

// Every board by each MAC that names it (dnsmasq lines name boards by MAC). A MAC a board learnt
// (it lists none) names it too: the file makes it configured.
Step<std::map<Mac, Board>> boards_by_mac(InventoryStore& store) {
    std::map<Mac, Board> out;
    std::optional<proto::Serial> after;
    for (;;) {
        std::vector<Board> page;
        if (Outcome o = store.list_boards(BoardFilter{}, after, RestApi::kMaxPage, page); !o.ok()) {
            return tl::unexpected(error_response(o));
        }
        for (const Board& b : page) {
            for (const Mac& m : b.macs) out[m] = b;
            for (const LearntMac& l : b.learnt_macs) {
                if (b.macs.empty()) out.emplace(l.mac, b);
            }
        }
        if (page.size() < RestApi::kMaxPage) return out;
        after = page.back().serial;
    }
}

// What the import writes, line by line.
struct ImportPlan {
    std::vector<Board> boards;
    std::vector<std::size_t> lines;  // each board's line in the file
    json skipped = json::array();
    json warnings = json::array();
    std::size_t created = 0;
};

// The board a line names, as stored (`exists`) or new; none when a dnsmasq line's MACs name no
// board (the line is then skipped, with the reason).
std::optional<Board> named_board(InventoryStore& store, const ImportEntry& e, const std::map<Mac, Board>& by_mac,
                                 bool& exists, ImportPlan& plan) {
    Board b;
    if (e.serial) {
        exists = store.get_board(*e.serial, b).ok();
        if (!exists) {
            b = Board{};
            b.serial = *e.serial;
            b.serial_full = e.serial_full;
        }
        return b;
    }
    const Board* found = nullptr;
    Mac named{};
    for (const Mac& m : e.macs) {
        auto it = by_mac.find(m);
        if (it != by_mac.end()) {
            found = &it->second;
            named = m;
        }
    }
    if (found == nullptr) {
        plan.skipped.push_back({{"line", e.line},
                                {"reason", "no board lists " + (e.macs.front()).to_string() +
                                               " (add the board by serial first, or let --auto-discover find it)"}});
        return std::nullopt;
    }
    b = *found;
    exists = true;
    if (std::find(b.macs.begin(), b.macs.end(), named) == b.macs.end()) b.macs.push_back(named);
    return b;
}

// The line's fields over its board, checked as a PUT would check them; the board joins the plan.
Step<> plan_line(const RestApi& api, const ImportEntry& e, Board b, bool exists,
                 const std::map<std::string, std::string>& image_by_path, ImportPlan& plan) {
    std::string at = "line " + std::to_string(e.line) + ": ";
    if (e.ip) {
        if (std::string why = api.never_offered(*e.ip); !why.empty()) {
            return tl::unexpected(fail(ApiError::invalid_field, at + why, "ip"));
        }
        b.ip = e.ip;
    }
    if (!e.name.empty()) b.name = e.name;
    if (!e.image_path.empty()) {
        auto it = image_by_path.find(resolved(e.image_path));
        if (it != image_by_path.end()) {
            b.image = it->second;
        } else {
            plan.warnings.push_back({{"line", e.line},
                                     {"reason", "'" + e.image_path +
                                                    "' is no image here: add it (POST /api/v1/images) and set the "
                                                    "board's image; disk images are not served yet"}});
        }
    }
    if (Outcome o = validate_board(b); !o.ok()) return tl::unexpected(fail(o.error, at + o.message, o.field));
    plan.created += exists ? 0 : 1;
    plan.boards.push_back(std::move(b));
    plan.lines.push_back(e.line);
    return {};
}

}  // namespace

HttpResponse RestApi::import_boards(const HttpRequest& req, const std::string&) {
    Step<std::string> text = import_text(req);
    if (!text) return text.error();
    ImportParse p = parse_board_import(*text);
    if (p.error_line != 0) {
        return fail(ApiError::invalid_field, "line " + std::to_string(p.error_line) + ": " + p.error, "text");
    }
    Step<std::map<std::string, std::string>> images = images_by_path(*store_);
    if (!images) return images.error();
    Step<std::map<Mac, Board>> by_mac;
    if (p.format == "dnsmasq") {
        by_mac = boards_by_mac(*store_);
        if (!by_mac) return by_mac.error();
    }
    ImportPlan plan;
    for (const ImportEntry& e : p.entries) {
        bool exists = false;
        std::optional<Board> b = named_board(*store_, e, *by_mac, exists, plan);
        if (!b) continue;
        if (Step<> s = plan_line(*this, e, std::move(*b), exists, *images, plan); !s) return s.error();
    }
    std::size_t failed = 0;
    if (Outcome o = writes_->put_boards(plan.boards, failed, actor(req, "import")); !o.ok()) {
        // Nothing was imported: say which line the store refused.
        return fail(o.error,
                    "line " + std::to_string(plan.lines[failed]) + ": " + o.message + " (nothing was imported)",
                    o.field);
    }
    HttpResponse r;
    r.body = json{{"format", p.format},
                  {"created", plan.created},
                  {"updated", plan.boards.size() - plan.created},
                  {"skipped", plan.skipped},
                  {"warnings", plan.warnings}}
                 .dump();
    return r;
}

}  // namespace rackboot::control
