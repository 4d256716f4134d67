// POST /api/v1/boards:import: a nobodd INI or dnsmasq dhcp-host lines (board_import.h), as
// text/plain or as {"text": "..."}; every board written in one transaction (all or nothing), one
// published map, one audit line per board.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "control/api/board_import.h"
#include "control/api/client_json.h"
#include "control/api/rest_api.h"
#include "control/api/rest_reply.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

std::string resolved(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
    return real ? std::string(real.get()) : path;
}

}  // namespace

HttpResponse RestApi::import_boards(const HttpRequest& req, const std::string&) {
    std::string text;
    auto ct = req.header.find("content-type");
    if (ct != req.header.end() && ct->second.rfind("text/plain", 0) == 0) {
        text = req.body;
    } else {
        ClientJsonError error;
        json j = parse_client_json(req.body, error);
        if (!error.message.empty()) return fail(ApiError::bad_json, error.message, error.field);
        if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
            return fail(ApiError::bad_json, "send the file as text/plain, or as {\"text\": \"...\"}");
        }
        text = j["text"].get<std::string>();
    }
    ImportParse p = parse_board_import(text);
    if (p.error_line != 0)
        return fail(ApiError::invalid_field, "line " + std::to_string(p.error_line) + ": " + p.error, "text");

    std::vector<Image> images;
    if (Outcome o = store_->list_images(images); !o.ok()) return error_response(o);
    std::map<std::string, std::string> image_by_path;
    for (const Image& i : images) image_by_path[i.path] = i.name;
    // dnsmasq lines name boards by MAC: every board, once.
    std::map<Mac, Board> by_mac;
    if (p.format == "dnsmasq") {
        std::optional<std::uint32_t> after;
        for (;;) {
            std::vector<Board> page;
            if (Outcome o = store_->list_boards(BoardFilter{}, after, kMaxPage, page); !o.ok())
                return error_response(o);
            for (const Board& b : page) {
                for (const Mac& m : b.macs) by_mac[m] = b;
                // A MAC a board learnt (it lists none) names it too: the file makes it configured.
                for (const LearntMac& l : b.learnt_macs) {
                    if (b.macs.empty()) by_mac.emplace(l.mac, b);
                }
            }
            if (page.size() < kMaxPage) break;
            after = page.back().serial;
        }
    }
    std::vector<Board> boards;
    std::vector<std::size_t> lines;
    json skipped = json::array();
    json warnings = json::array();
    std::size_t created = 0;
    for (const ImportEntry& e : p.entries) {
        Board b;
        bool exists = false;
        if (e.serial) {
            exists = store_->get_board(*e.serial, b).ok();
            if (!exists) {
                b = Board{};
                b.serial = *e.serial;
                b.serial_full = e.serial_full;
            }
        } else {
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
                skipped.push_back({{"line", e.line},
                                   {"reason", "no board lists " + mac_text(e.macs.front()) +
                                                  " (add the board by serial first, or let --auto-discover find it)"}});
                continue;
            }
            b = *found;
            exists = true;
            if (std::find(b.macs.begin(), b.macs.end(), named) == b.macs.end()) b.macs.push_back(named);
        }
        if (e.ip) {
            if (std::string why = never_offered(*e.ip); !why.empty()) {
                return fail(ApiError::invalid_field, "line " + std::to_string(e.line) + ": " + why, "ip");
            }
            b.ip = e.ip;
        }
        if (!e.name.empty()) b.name = e.name;
        if (!e.image_path.empty()) {
            auto it = image_by_path.find(resolved(e.image_path));
            if (it != image_by_path.end()) {
                b.image = it->second;
            } else {
                warnings.push_back({{"line", e.line},
                                    {"reason", "'" + e.image_path +
                                                   "' is no image here: add it (POST /api/v1/images) and set the "
                                                   "board's image; disk images are not served yet"}});
            }
        }
        if (Outcome o = validate_board(b); !o.ok()) {
            return fail(o.error, "line " + std::to_string(e.line) + ": " + o.message, o.field);
        }
        created += exists ? 0 : 1;
        boards.push_back(std::move(b));
        lines.push_back(e.line);
    }
    std::size_t failed = 0;
    if (Outcome o = writes_->put_boards(boards, failed, actor(req, "import")); !o.ok()) {
        // Nothing was imported: say which line the store refused.
        return fail(o.error, "line " + std::to_string(lines[failed]) + ": " + o.message + " (nothing was imported)",
                    o.field);
    }
    HttpResponse r;
    r.body = json{{"format", p.format},
                  {"created", created},
                  {"updated", boards.size() - created},
                  {"skipped", skipped},
                  {"warnings", warnings}}
                 .dump();
    return r;
}

}  // namespace rackboot::control
