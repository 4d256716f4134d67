// rackbootctl boards: list (a table with labels and the last boot's age, paged with --limit and
// --after), get (as text), add, set (one board, or every board a label selector names, in one
// transaction), rm, import (its warnings and skipped lines printed), and a board's own root.
#include <fstream>
#include <iterator>
#include <ostream>

#include "cli/ctl.h"

namespace rackboot::cli {

using nlohmann::json;

namespace {

// K=V with a key and a value; false otherwise.
bool key_value(const std::string& kv, std::string& k, std::string& v) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) return false;
    k = kv.substr(0, eq);
    v = kv.substr(eq + 1);
    return true;
}

// The fields a board's options give; labels as a merge patch (--unlabel K: null).
int board_body(Ctl& c, const Options& o, json& body, bool bulk) {
    for (const auto& [k, vs] : o) {
        if (k == "name" || k == "ip") {
            if (bulk) return c.usage("--" + k + " is a board's own: set it on one board");
            body[k] = vs.back();
        } else if (k == "image") {
            body[k] = vs.back();
        } else if (k == "netboot") {
            if (vs.back() != "on" && vs.back() != "off") return c.usage("--netboot is on or off");
            body["netboot"] = vs.back() == "on";
        } else if (k == "mac") {
            if (bulk) return c.usage("--mac is a board's own: set it on one board");
            body["macs"] = vs;
        } else if (k == "label") {
            for (const std::string& kv : vs) {
                std::string key;
                std::string value;
                if (!key_value(kv, key, value)) {
                    return c.usage("--label is KEY=VALUE with a value (remove a label with --unlabel KEY): " + kv);
                }
                body["labels"][key] = value;
            }
        } else if (k == "unlabel") {
            for (const std::string& key : vs) {
                if (key.empty() || key.find('=') != std::string::npos) return c.usage("--unlabel takes a label's KEY");
                body["labels"][key] = nullptr;
            }
        } else if (k != "selector" && k != "dry-run") {
            return c.usage("unknown option --" + k);
        }
    }
    return kExitOk;
}

void print_boards(Ctl& c, const json& items) {
    std::vector<std::vector<std::string>> rows{
        {"SERIAL", "NAME", "IMAGE", "STATE", "NETBOOT", "IP", "MODEL", "LABELS", "LAST BOOT"}};
    for (const json& b : items) {
        rows.push_back({text(b["serial"]), b["name"] == "" ? "-" : text(b["name"]), text(b["image"]), text(b["state"]),
                        b["netboot"].get<bool>() ? "on" : "off", text(b["ip"]),
                        b["model"] == "" ? "-" : text(b["model"]), labels_text(b["labels"]),
                        last_boot_text(b["last_boot"], c.now)});
    }
    print_table(c.out, rows);
}

void print_board(Ctl& c, const json& b) {
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const std::string& k, const std::string& v) { rows.push_back({k + ":", v}); };
    std::string serial = text(b["serial"]);
    if (b["serial_full"] != b["serial"]) serial += " (" + text(b["serial_full"]) + ")";
    row("serial", serial);
    row("name", b["name"] == "" ? "-" : text(b["name"]));
    row("image", text(b["image"]));
    row("model", b["model"] == "" ? "-" : text(b["model"]));
    row("state", text(b["state"]));
    row("netboot", b["netboot"].get<bool>() ? "on" : "off");
    row("ip", text(b["ip"]));
    row("labels", labels_text(b["labels"]));
    std::string macs;
    for (const json& m : b["macs"]) macs += (macs.empty() ? "" : ", ") + text(m);
    row("macs", macs.empty() ? "-" : macs);
    row("learn", b["learn"].get<bool>() ? "on" : "off");
    for (const json& l : b["learnt_macs"]) {
        row("learnt mac", text(l["mac"]) + " from " + text(l["from"]) + ", last seen " +
                              age(l["last_seen"].get<std::int64_t>(), c.now));
    }
    auto when = [&](const char* key) {
        std::int64_t s = b[key].get<std::int64_t>();
        return s == 0 ? std::string("never") : local_time(s * 1000) + " (" + age(s, c.now) + ")";
    };
    row("first seen", when("first_seen"));
    row("last seen", when("last_seen"));
    const json& last = b["last_boot"];
    if (last.is_object()) {
        std::string v = text(last["result"]) + " at " + local_time(last.value("started_ms", std::int64_t{0})) + " in " +
                        text(last["total_ms"]) + " ms (DHCP " + text(last["dhcp_ms"]) + " ms)";
        if (last.contains("failed_file")) v += ", on " + text(last["failed_file"]) + ": " + text(last["reason"]);
        row("last boot", v);
    } else {
        row("last boot", "-");
    }
    const json& root = b["root"];
    row("root", root.is_object() ? text(root["path"]) + " (" + text(root["method"]) + ", " +
                                       human_bytes(root["size"].get<std::uint64_t>()) + ")"
                                 : "-");
    for (const auto& [path, tmpl] : b["files"].items()) row("file", path + " (" + human_bytes(text(tmpl).size()) + ")");
    row("generation", text(b["generation"]));
    print_table(c.out, rows);
}

int boards_ls(Ctl& c, const std::vector<std::string>& a) {
    Options o;
    std::string bad;
    if (!parse_options(a, 2, {}, o, bad)) return c.usage("boards ls: bad option " + bad);
    std::string query;
    long limit = 0;  // 0: all
    std::string after;
    for (const auto& [k, vs] : o) {
        if (k == "limit") {
            char* end = nullptr;
            limit = std::strtol(vs.back().c_str(), &end, 10);
            if (vs.back().empty() || *end != '\0' || limit <= 0) return c.usage("--limit is a number above 0");
        } else if (k == "after") {
            after = vs.back();
        } else if (k == "label" || k == "image" || k == "state") {
            if (vs.size() > 1) return c.usage("boards ls takes one --" + k);
            query += "&" + k + "=" + vs.back();
        } else {
            return c.usage("boards ls: unknown option --" + k);
        }
    }
    json all = json::array();
    json body;
    std::string next;
    for (int page = 0; page < 10000; ++page) {  // bounded: 10,000 pages
        long want = limit == 0 ? 1000 : std::min<long>(1000, limit - static_cast<long>(all.size()));
        std::string path =
            "/api/v1/boards?limit=" + std::to_string(want) + query + (after.empty() ? "" : "&after=" + after);
        if (int rc = c.request("GET", path, body); rc != kExitOk) return rc;
        for (const json& b : body["items"]) all.push_back(b);
        next = body["next"].is_null() ? "" : body["next"].get<std::string>();
        if (next.empty() || (limit != 0 && static_cast<long>(all.size()) >= limit)) break;
        after = next;
    }
    if (c.as_json) {
        c.out << all.dump(2) << '\n';
    } else {
        print_boards(c, all);
    }
    if (!next.empty()) c.err << "rackbootctl: more boards follow: --after " << next << '\n';
    return kExitOk;
}

int boards_import(Ctl& c, const std::vector<std::string>& a) {
    bool strict = a.size() == 4 && a[3] == "--strict";
    if (a.size() != 3 && !strict) return c.usage("boards import FILE [--strict]");
    std::ifstream in(a[2]);
    if (!in) return c.usage("cannot read " + a[2]);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json body;
    if (int rc = c.request("POST", "/api/v1/boards:import", body, json{{"text", content}}.dump()); rc != kExitOk) {
        return rc;
    }
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
    } else {
        c.out << "imported " << text(body["created"]) << " boards, updated " << text(body["updated"]);
        if (!body["skipped"].empty()) c.out << ", skipped " << body["skipped"].size() << " lines";
        if (!body["warnings"].empty()) c.out << ", " << body["warnings"].size() << " warnings";
        c.out << '\n';
        for (const json& i : body["images_added"]) c.out << "added image " << text(i) << '\n';
    }
    for (const json& w : body["warnings"]) {
        c.err << "rackbootctl: " << a[2] << ": line " << text(w["line"]) << ": warning: " << text(w["reason"]) << '\n';
    }
    for (const json& s : body["skipped"]) {
        c.err << "rackbootctl: " << a[2] << ": line " << text(s["line"]) << ": skipped: " << text(s["reason"]) << '\n';
    }
    return strict && (!body["warnings"].empty() || !body["skipped"].empty()) ? kExitRefused : kExitOk;
}

// boards set --selector K=V,...: one transaction over every board with those labels.
int boards_set_many(Ctl& c, const Options& o) {
    if (o.at("selector").size() != 1) return c.usage("boards set takes one --selector");
    json selector = json::object();
    std::string sel = o.at("selector").back();
    for (std::size_t start = 0; start <= sel.size();) {
        std::size_t comma = sel.find(',', start);
        if (comma == std::string::npos) comma = sel.size();
        std::string k;
        std::string v;
        if (!key_value(sel.substr(start, comma - start), k, v)) return c.usage("--selector is K=V[,K=V]...: " + sel);
        selector["labels"][k] = v;
        start = comma + 1;
    }
    json set = json::object();
    if (int rc = board_body(c, o, set, true); rc != kExitOk) return rc;
    if (set.empty()) return c.usage("boards set --selector: nothing to set (--image, --netboot, --label, --unlabel)");
    bool dry = o.count("dry-run") != 0;
    json body;
    json req{{"selector", selector}, {"set", set}, {"dry_run", dry}};
    if (int rc = c.request("POST", "/api/v1/boards:update", body, req.dump()); rc != kExitOk) return rc;
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
        return kExitOk;
    }
    std::size_t matched = body["matched"].get<std::size_t>();
    std::size_t changed = body["changed"].get<std::size_t>();
    c.out << matched << (matched == 1 ? " board matches " : " boards match ") << sel << ": " << changed
          << (dry ? " would change" : " changed") << ", " << matched - changed << " already so\n";
    for (const json& b : body["boards"]) c.out << "  " << text(b["serial"]) << '\n';
    if (matched == 0) c.err << "rackbootctl: no board has the labels " << sel << '\n';
    return kExitOk;
}

}  // namespace

int cmd_boards(Ctl& c, const std::vector<std::string>& a) {
    if (a.size() < 2) return c.usage("boards needs ls, get, add, set, rm, import, root or root-rm");
    const std::string& verb = a[1];
    if (verb == "ls") return boards_ls(c, a);
    if (verb == "import") return boards_import(c, a);
    json body;
    Options o;
    std::string bad;
    if (verb == "set" && a.size() > 2 && a[2].rfind("--", 0) == 0) {
        if (!parse_options(a, 2, {"dry-run"}, o, bad)) return c.usage("boards set: bad option " + bad);
        if (o.count("selector") == 0) return c.usage("boards set needs a SERIAL or --selector K=V");
        return boards_set_many(c, o);
    }
    if (a.size() < 3) return c.usage("boards " + verb + " needs a SERIAL");
    std::string path = "/api/v1/boards/" + a[2];
    if (verb == "get") {
        if (a.size() != 3) return c.usage("boards get SERIAL");
        if (int rc = c.request("GET", path, body); rc != kExitOk) return rc;
        if (c.as_json) {
            c.out << body.dump(2) << '\n';
        } else {
            print_board(c, body);
        }
        return kExitOk;
    }
    if (verb == "rm") return a.size() == 3 ? c.request("DELETE", path, body) : c.usage("boards rm SERIAL");
    if (verb == "root-rm") {
        if (a.size() != 3) return c.usage("boards root-rm SERIAL");
        return c.request("DELETE", path + "/root", body);
    }
    if (verb == "root") {
        if (!parse_options(a, 3, {}, o, bad) || (o.size() == 1 && o.count("size") == 0) || o.size() > 1) {
            return c.usage("boards root SERIAL [--size BYTES|16G]");
        }
        json payload = json::object();
        if (o.count("size") != 0) payload["size"] = o["size"].back();
        if (int rc = c.request("POST", path + "/root", body, payload.dump()); rc != kExitOk) return rc;
        c.out << (c.as_json ? body.dump(2)
                            : text(body["root"]["path"]) + " (" + text(body["root"]["method"]) + ", " +
                                  text(body["root"]["size"]) + " bytes), export " + text(body["root"]["export"]))
              << '\n';
        return kExitOk;
    }
    if (verb != "add" && verb != "set") return c.usage("boards: unknown verb " + verb);
    if (!parse_options(a, 3, {}, o, bad)) return c.usage("boards " + verb + ": bad option " + bad);
    if (o.count("selector") != 0 || o.count("dry-run") != 0) {
        return c.usage("--selector and --dry-run come without a SERIAL: boards set --selector K=V ...");
    }
    if (verb == "add" && o.count("unlabel") != 0) return c.usage("boards add: a new board has no label to remove");
    json payload = json::object();
    if (int rc = board_body(c, o, payload, false); rc != kExitOk) return rc;
    int rc = kExitOk;
    if (verb == "add") {
        payload["serial"] = a[2];
        rc = c.request("POST", "/api/v1/boards", body, payload.dump());
    } else {
        if (payload.empty()) return c.usage("boards set SERIAL: nothing to set");
        std::string etag;
        if (rc = c.request("GET", path, body, {}, {}, &etag); rc != kExitOk) return rc;
        rc = c.request("PATCH", path, body, payload.dump(), etag);
    }
    if (rc != kExitOk) return rc;
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
    } else {
        c.out << "board " << text(body["serial"]) << (verb == "add" ? " added" : " changed") << " (generation "
              << text(body["generation"]) << ")\n";
    }
    return rc;
}

}  // namespace rackboot::cli
