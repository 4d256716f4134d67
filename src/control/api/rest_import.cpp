// POST /api/v1/boards:import: a nobodd INI or dnsmasq dhcp-host lines (board_import.h), as
// text/plain or as {"text": "..."}; every board written in one transaction (all or nothing), one
// published map, one audit line per board.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
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

// How a line names an image: its resolved path, and for a disk image the partition asked for.
std::string image_key(const std::string& path, std::optional<unsigned> partition) {
    return partition ? path + "#" + std::to_string(*partition) : path;
}

// Each image's name by its key: a line names its image by path (and partition).
Step<std::map<std::string, std::string>> images_by_path(InventoryStore& store) {
    std::vector<Image> images;
    if (Outcome o = store.list_images(images); !o.ok()) return tl::unexpected(error_response(o));
    std::map<std::string, std::string> out;
    for (const Image& i : images) out[image_key(i.path, i.partition)] = i.name;
    return out;
}

bool regular_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// An image name from a file's: "2024-11-19-raspios-bookworm-arm64-lite.img" ->
// "2024-11-19-raspios-bookworm-arm64-lite"; what a name may not hold becomes '-'.
std::string name_of_file(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    if (std::size_t dot = base.rfind('.'); dot != std::string::npos && dot > 0) base.resize(dot);
    for (char& c : base) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
        if (!ok) c = '-';
    }
    if (base.empty() || std::isalnum(static_cast<unsigned char>(base.front())) == 0) base.insert(0, "img");
    if (base.size() > 56) base.resize(56);
    return base;
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
        auto it = image_by_path.find(image_key(resolved(e.image_path), e.partition));
        if (it != image_by_path.end()) b.image = it->second;
        // else: no image, with the warning import_boards gave (a disk image it could not add)
    } else if (b.image.empty()) {
        plan.warnings.push_back({{"line", e.line},
                                 {"reason", "board " + b.serial.to_string() +
                                                " has no image: it is served no boot files until one is set"}});
    }
    if (Outcome o = validate_board(b); !o.ok()) return tl::unexpected(fail(o.error, at + o.message, o.field));
    plan.created += exists ? 0 : 1;
    plan.boards.push_back(std::move(b));
    plan.lines.push_back(e.line);
    return {};
}

}  // namespace

proto::Result<std::string> RestApi::add_imported_image(const std::string& path, std::optional<unsigned> partition,
                                                       const Actor& who) {
    Image img;
    img.kind = ImageKind::img;
    img.path = path;
    img.partition = partition;
    std::string base = name_of_file(path);
    Image existing;
    img.name = base;
    for (unsigned n = 2; store_->get_image(img.name, existing).ok() && n < 100; ++n) {
        img.name = base + "-" + std::to_string(n);
    }
    if (Outcome o = validate_image(img, images_root_); !o.ok()) return proto::failure(o.message);
    if (live_.prepare_image) {
        if (std::optional<std::string> why = live_.prepare_image(img)) return proto::failure(*why);
    }
    if (Outcome o = writes_->create_image(img, who); !o.ok()) return proto::failure(o.message);
    return img.name;
}

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
    // Disk images the file names that are not images yet are added first (undone if the boards
    // are refused); one that cannot be served leaves its boards without an image, with why.
    std::vector<std::string> added;
    for (const ImportEntry& e : p.entries) {
        if (e.image_path.empty()) continue;
        std::string path = resolved(e.image_path);
        if (images->count(image_key(path, e.partition)) != 0) continue;
        std::string why;
        if (regular_file(path)) {
            proto::Result<std::string> name = add_imported_image(path, e.partition, actor(req, "import"));
            if (name) {
                (*images)[image_key(path, e.partition)] = *name;
                added.push_back(*name);
                continue;
            }
            why = "'" + e.image_path + "' cannot be served: " + name.error().reason;
        } else {
            why = "'" + e.image_path + "' is no image here: add it (POST /api/v1/images) and set the board's image";
        }
        plan.warnings.push_back({{"line", e.line}, {"reason", why}});
    }
    for (const ImportEntry& e : p.entries) {
        bool exists = false;
        std::optional<Board> b = named_board(*store_, e, *by_mac, exists, plan);
        if (!b) continue;
        if (Step<> s = plan_line(*this, e, std::move(*b), exists, *images, plan); !s) return s.error();
    }
    std::size_t failed = 0;
    if (Outcome o = writes_->put_boards(plan.boards, failed, actor(req, "import")); !o.ok()) {
        for (const std::string& name : added) (void)writes_->delete_image(name, std::nullopt, actor(req, "import"));
        // Nothing was imported: say which line the store refused.
        return fail(o.error,
                    "line " + std::to_string(plan.lines[failed]) + ": " + o.message + " (nothing was imported)",
                    o.field);
    }
    HttpResponse r;
    r.body =
        json{{"format", p.format},      {"created", plan.created},   {"updated", plan.boards.size() - plan.created},
             {"skipped", plan.skipped}, {"warnings", plan.warnings}, {"images_added", added}}
            .dump();
    return r;
}

}  // namespace rackboot::control
