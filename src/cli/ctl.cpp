#include "cli/ctl.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

namespace rackboot::cli {

using nlohmann::json;

namespace {

constexpr const char* kUsage =
    R"(usage: rackbootctl [--api [https://]ADDR:PORT] [--cacert FILE] [--token-file FILE] [--json] COMMAND
       rackbootctl --help | --version
  status
  boards ls [--label K=V] [--image NAME] [--state configured|discovered]
  boards get SERIAL
  boards add SERIAL [--name N] [--image I] [--mac M]... [--label K=V]... [--ip A] [--netboot on|off]
  boards set SERIAL [the same options]            (changes only what is given)
  boards rm SERIAL
  boards import FILE                              (a nobodd INI or dnsmasq dhcp-host lines)
  boards root SERIAL [--size 16G]                 (its own disk from its img image, over NBD)
  boards root-rm SERIAL                           (removes that disk: the only way it goes)
  images ls | images add NAME PATH [--kind dir|img] [--partition N] | images rm NAME
                                                  (PATH ending .img: a disk image)
  leases ls [--all] | leases rm IP
  transfers [--watch] [--count N]
  timeline SERIAL
  events [--follow] [--count N] [--serial S] [--mac M] [--kind dhcp|tftp|boot]
The server: --api, else RACKBOOT_API, else 127.0.0.1:8069; over HTTPS the certificate is checked
against --cacert (or RACKBOOT_CACERT), else the system's CAs. The token (writes): --token-file,
else RACKBOOT_TOKEN. Exit: 0 done, 1 refused by the API, 2 usage, 3 server unreachable.
)";

std::string text(const json& j) {
    if (j.is_null()) return "-";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

// --name N style options after the positional ones; repeatable ones collect.
bool options(const std::vector<std::string>& a, std::size_t from, std::map<std::string, std::vector<std::string>>& out,
             std::string& bad) {
    for (std::size_t i = from; i < a.size(); i += 2) {
        if (a[i].rfind("--", 0) != 0 || i + 1 >= a.size()) {
            bad = a[i];
            return false;
        }
        out[a[i].substr(2)].push_back(a[i + 1]);
    }
    return true;
}

int board_body(Ctl& c, const std::map<std::string, std::vector<std::string>>& o, json& body) {
    for (const auto& [k, vs] : o) {
        if (k == "name" || k == "image" || k == "ip") {
            body[k] = vs.back();
        } else if (k == "netboot") {
            if (vs.back() != "on" && vs.back() != "off") return c.usage("--netboot is on or off");
            body["netboot"] = vs.back() == "on";
        } else if (k == "mac") {
            body["macs"] = vs;
        } else if (k == "label") {
            json labels = json::object();
            for (const std::string& kv : vs) {
                std::size_t eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) return c.usage("--label is KEY=VALUE");
                labels[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
            body["labels"] = labels;
        } else {
            return c.usage("unknown option --" + k);
        }
    }
    return kExitOk;
}

void print_boards(Ctl& c, const json& items) {
    std::vector<std::vector<std::string>> rows{
        {"SERIAL", "NAME", "IMAGE", "STATE", "NETBOOT", "IP", "MACS", "LAST BOOT"}};
    for (const json& b : items) {
        std::string macs;
        for (const json& m : b["macs"]) macs += (macs.empty() ? "" : ",") + m.get<std::string>();
        const json& last = b["last_boot"];
        rows.push_back({text(b["serial"]), text(b["name"]), text(b["image"]), text(b["state"]),
                        b["netboot"].get<bool>() ? "on" : "off", text(b["ip"]), macs.empty() ? "-" : macs,
                        last.is_object() ? text(last["result"]) : "-"});
    }
    print_table(c.out, rows);
}

int cmd_boards(Ctl& c, const std::vector<std::string>& a) {
    if (a.size() < 2) return c.usage("boards needs ls, get, add, set, rm, import, root or root-rm");
    const std::string& verb = a[1];
    json body;
    std::map<std::string, std::vector<std::string>> o;
    std::string bad;
    if (verb == "ls") {
        if (!options(a, 2, o, bad)) return c.usage("boards ls: bad option " + bad);
        std::string query;
        for (const auto& [k, vs] : o) {
            if (k != "label" && k != "image" && k != "state") return c.usage("boards ls: unknown option --" + k);
            query += "&" + k + "=" + vs.back();
        }
        json all = json::array();
        std::string after;
        for (int page = 0; page < 10000; ++page) {  // bounded: 10,000 pages of 1,000
            std::string path = "/api/v1/boards?limit=1000" + query + (after.empty() ? "" : "&after=" + after);
            if (int rc = c.request("GET", path, body); rc != kExitOk) return rc;
            for (const json& b : body["items"]) all.push_back(b);
            if (body["next"].is_null()) break;
            after = body["next"].get<std::string>();
        }
        if (c.as_json) {
            c.out << all.dump(2) << '\n';
        } else {
            print_boards(c, all);
        }
        return kExitOk;
    }
    if (verb == "import") {
        if (a.size() != 3) return c.usage("boards import FILE");
        std::ifstream in(a[2]);
        if (!in) return c.usage("cannot read " + a[2]);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (int rc = c.request("POST", "/api/v1/boards:import", body, json{{"text", content}}.dump()); rc != kExitOk) {
            return rc;
        }
        c.out << (c.as_json ? body.dump(2)
                            : "imported " + text(body["created"]) + " boards, updated " + text(body["updated"]))
              << '\n';
        return kExitOk;
    }
    if (a.size() < 3) return c.usage("boards " + verb + " needs a SERIAL");
    std::string path = "/api/v1/boards/" + a[2];
    if (verb == "get") {
        if (int rc = c.request("GET", path, body); rc != kExitOk) return rc;
        c.out << body.dump(2) << '\n';
        return kExitOk;
    }
    if (verb == "rm") {
        return c.request("DELETE", path, body);
    }
    if (verb == "root-rm") {
        if (a.size() != 3) return c.usage("boards root-rm SERIAL");
        return c.request("DELETE", path + "/root", body);
    }
    if (verb == "root") {
        if (!options(a, 3, o, bad) || (o.size() == 1 && o.count("size") == 0) || o.size() > 1) {
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
    if (!options(a, 3, o, bad)) return c.usage("boards " + verb + ": bad option " + bad);
    json payload = json::object();
    if (int rc = board_body(c, o, payload); rc != kExitOk) return rc;
    int rc = kExitOk;
    if (verb == "add") {
        payload["serial"] = a[2];
        rc = c.request("POST", "/api/v1/boards", body, payload.dump());
    } else {
        std::string etag;
        if (rc = c.request("GET", path, body, {}, {}, &etag); rc != kExitOk) return rc;
        rc = c.request("PATCH", path, body, payload.dump(), etag);
    }
    if (rc == kExitOk && c.as_json) c.out << body.dump(2) << '\n';
    return rc;
}

int cmd_images(Ctl& c, const std::vector<std::string>& a) {
    json body;
    if (a.size() == 2 && a[1] == "ls") {
        if (int rc = c.request("GET", "/api/v1/images", body); rc != kExitOk) return rc;
        if (c.as_json) {
            c.out << body.dump(2) << '\n';
            return kExitOk;
        }
        std::vector<std::vector<std::string>> rows{{"NAME", "KIND", "PATH", "BOARDS"}};
        for (const json& i : body["items"]) {
            rows.push_back({text(i["name"]), text(i["kind"]), text(i["path"]), text(i["boards"])});
        }
        print_table(c.out, rows);
        return kExitOk;
    }
    if (a.size() >= 4 && a[1] == "add") {
        // A path ending in .img is a disk image unless --kind says otherwise.
        std::string path = a[3];
        bool img = path.size() > 4 && std::equal(path.end() - 4, path.end(), ".img", [](char x, char y) {
                       return std::tolower(static_cast<unsigned char>(x)) == y;
                   });
        json req{{"name", a[2]}, {"path", path}};
        for (std::size_t i = 4; i < a.size(); i += 2) {
            if (i + 1 >= a.size()) return c.usage(a[i] + " needs a value");
            if (a[i] == "--kind" && (a[i + 1] == "dir" || a[i + 1] == "img")) {
                img = a[i + 1] == "img";
            } else if (a[i] == "--partition" && !a[i + 1].empty() &&
                       a[i + 1].find_first_not_of("0123456789") == std::string::npos && a[i + 1].size() < 4) {
                req["partition"] = std::stoi(a[i + 1]);
            } else {
                return c.usage("images add NAME PATH [--kind dir|img] [--partition N]");
            }
        }
        req["kind"] = img ? "img" : "dir";
        return c.request("POST", "/api/v1/images", body, req.dump());
    }
    if (a.size() == 3 && a[1] == "rm") return c.request("DELETE", "/api/v1/images/" + a[2], body);
    return c.usage("images ls | images add NAME PATH [--kind dir|img] [--partition N] | images rm NAME");
}

int cmd_status(Ctl& c) {
    json body;
    if (int rc = c.request("GET", "/api/v1/status", body); rc != kExitOk) return rc;
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
        return kExitOk;
    }
    for (const auto& [k, v] : body.items()) c.out << k << ": " << text(v) << '\n';
    return kExitOk;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

int Ctl::usage(const std::string& why) {
    err << "rackbootctl: " << why << "\n" << kUsage;
    return kExitUsage;
}

int Ctl::request(const std::string& method, const std::string& path, json& body, const std::string& payload,
                 const std::string& if_match, std::string* etag) {
    ApiReply r = api.call(method, path, payload, if_match);
    if (!r.reached) {
        err << "rackbootctl: cannot reach the server: " << r.error << '\n';
        return kExitUnreachable;
    }
    body = r.body.empty() ? json(nullptr) : json::parse(r.body, nullptr, false);
    if (etag != nullptr) *etag = r.etag;
    if (r.status >= 200 && r.status < 300) return kExitOk;
    if (body.is_object() && body.contains("error")) {
        err << "rackbootctl: " << text(body["error"]) << ": " << text(body["message"]);
        if (body.contains("field")) err << " (" << text(body["field"]) << ")";
        err << '\n';
    } else {
        err << "rackbootctl: HTTP " << r.status << '\n';
    }
    return kExitRefused;
}

int run_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* env_api = std::getenv("RACKBOOT_API");
    const char* env_token = std::getenv("RACKBOOT_TOKEN");
    const char* env_ca = std::getenv("RACKBOOT_CACERT");
    std::string cacert = env_ca != nullptr ? env_ca : "";
    std::string api = env_api != nullptr ? env_api : "127.0.0.1:8069";
    std::string token = env_token != nullptr ? env_token : "";
    bool as_json = false;
    std::size_t i = 0;
    for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
        if (args[i] == "--json") {
            as_json = true;
        } else if (args[i] == "--help") {
            out << kUsage;
            return kExitOk;
        } else if (args[i] == "--version") {
            out << "rackbootctl " RACKBOOT_VERSION "\n";
            return kExitOk;
        } else if ((args[i] == "--api" || args[i] == "--token-file" || args[i] == "--cacert") && i + 1 < args.size()) {
            if (args[i] == "--api") {
                api = args[++i];
            } else if (args[i] == "--cacert") {
                cacert = args[++i];
            } else {
                std::ifstream f(args[++i]);
                if (!f || !std::getline(f, token)) {
                    err << "rackbootctl: cannot read the token file " << args[i] << '\n';
                    return kExitUsage;
                }
            }
        } else {
            err << "rackbootctl: unknown option " << args[i] << '\n' << kUsage;
            return kExitUsage;
        }
    }
    std::vector<std::string> a(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    Ctl c{ApiClient(api, token, cacert), as_json, out, err};
    if (a.empty()) return c.usage("no command");
    const std::string& cmd = a[0];
    if (cmd == "status") return cmd_status(c);
    if (cmd == "boards") return cmd_boards(c, a);
    if (cmd == "images") return cmd_images(c, a);
    if (cmd == "leases") return cmd_leases(c, a);
    if (cmd == "transfers") return cmd_transfers(c, a);
    if (cmd == "timeline") return cmd_timeline(c, a);
    if (cmd == "events") return cmd_events(c, a);
    return c.usage("unknown command " + cmd);
}

}  // namespace rackboot::cli
