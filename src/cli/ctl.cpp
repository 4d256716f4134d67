// rackbootctl's entry: the global options (anywhere on the line), the usage, one request with
// its errors printed, and the small commands (status, images).
#include "cli/ctl.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace rackboot::cli {

using nlohmann::json;

namespace {

constexpr const char* kUsage =
    R"(usage: rackbootctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS]   (global options may also follow the command)
       rackbootctl --help | --version
global options: --api [https://]ADDR:PORT  --cacert FILE  --token-file FILE  --json (output for scripts)
  status
  boards ls [--label K=V] [--image NAME] [--state configured|discovered] [--limit N] [--after SERIAL]
  boards get SERIAL
  boards add SERIAL [--name N] [--image I] [--mac M]... [--label K=V]... [--ip A] [--netboot on|off]
  boards set SERIAL [--name N] [--image I] [--mac M]... [--ip A] [--netboot on|off]
                    [--label K=V]... [--unlabel K]...    (changes only what is given)
  boards set --selector K=V[,K=V]... [--image I] [--netboot on|off] [--label K=V]... [--unlabel K]...
             [--dry-run]                 (every board with those labels, in one transaction)
  boards rm SERIAL
  boards import FILE [--strict]          (a nobodd INI or dnsmasq dhcp-host lines; warnings and
                                          skipped lines are printed; --strict: they fail it)
  boards root SERIAL [--size 16G]        (its own disk from its img image, over NBD)
  boards root-rm SERIAL                  (removes that disk: the only way it goes)
  images ls | images add NAME PATH [--kind dir|img] [--partition N] | images rm NAME
                                         (PATH ending .img: a disk image)
  leases ls [--all] | leases rm IP
  transfers [--watch] [--count N]        (--watch redraws every second; rides out restarts)
  timeline SERIAL
  events [--count N] [--after ID] [--serial S] [--mac M] [--kind dhcp|tftp|boot]
                                         (the last N events kept (default 10), or the N after ID)
  events --follow [--count N] [--after ID] [filters]
                                         (as they happen; reconnects and resumes where it was)
The server: --api, else RACKBOOT_API, else 127.0.0.1:8069; over HTTPS the certificate is checked
against --cacert (or RACKBOOT_CACERT), else the system's CAs. The token (writes): --token-file,
else RACKBOOT_TOKEN. Times are local. Exit: 0 done, 1 refused by the API, 2 usage, 3 server
unreachable.
)";

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

GlobalOptions parse_global_options(const std::vector<std::string>& args) {
    GlobalOptions g;
    bool literal = false;  // after "--": nothing is an option of ours
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& x = args[i];
        if (literal) {
            g.rest.push_back(x);
            continue;
        }
        if (x == "--") {
            literal = true;
        } else if (x == "--json") {
            g.as_json = true;
        } else if (x == "--help" || x == "-h") {
            g.help = true;
        } else if (x == "--version") {
            g.version = true;
        } else if (x == "--api" || x == "--token-file" || x == "--cacert") {
            if (i + 1 >= args.size()) {
                g.error = x + " needs a value";
                return g;
            }
            const std::string& v = args[++i];
            if (x == "--api") {
                g.api = v;
            } else if (x == "--cacert") {
                g.cacert = v;
            } else {
                std::ifstream f(v);
                if (!f || !std::getline(f, g.token)) {
                    g.error = "cannot read the token file " + v;
                    return g;
                }
            }
        } else {
            g.rest.push_back(x);
        }
    }
    return g;
}

bool parse_options(const std::vector<std::string>& a, std::size_t from, const std::vector<std::string>& switches,
                   Options& out, std::string& bad) {
    for (std::size_t i = from; i < a.size(); ++i) {
        if (a[i].rfind("--", 0) != 0) {
            bad = a[i];
            return false;
        }
        std::string name = a[i].substr(2);
        if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
            out[name].emplace_back();
            continue;
        }
        if (i + 1 >= a.size()) {
            bad = a[i] + " (it needs a value)";
            return false;
        }
        out[name].push_back(a[++i]);
    }
    return true;
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
    GlobalOptions g = parse_global_options(args);
    if (!g.error.empty()) {
        err << "rackbootctl: " << g.error << '\n' << kUsage;
        return kExitUsage;
    }
    if (g.help) {
        out << kUsage;
        return kExitOk;
    }
    if (g.version) {
        out << "rackbootctl " RACKBOOT_VERSION "\n";
        return kExitOk;
    }
    const char* env_api = std::getenv("RACKBOOT_API");
    const char* env_token = std::getenv("RACKBOOT_TOKEN");
    const char* env_ca = std::getenv("RACKBOOT_CACERT");
    std::string api = !g.api.empty() ? g.api : env_api != nullptr ? env_api : "127.0.0.1:8069";
    std::string token = !g.token.empty() ? g.token : env_token != nullptr ? env_token : "";
    std::string cacert = !g.cacert.empty() ? g.cacert : env_ca != nullptr ? env_ca : "";
    const std::vector<std::string>& a = g.rest;
    Ctl c{ApiClient(api, token, cacert), g.as_json, out, err};
    if (a.empty()) return c.usage("no command");
    const std::string& cmd = a[0];
    if (cmd.rfind("--", 0) == 0) return c.usage("unknown option " + cmd);
    if (cmd == "status") return a.size() == 1 ? cmd_status(c) : c.usage("status takes no arguments");
    if (cmd == "boards") return cmd_boards(c, a);
    if (cmd == "images") return cmd_images(c, a);
    if (cmd == "leases") return cmd_leases(c, a);
    if (cmd == "transfers") return cmd_transfers(c, a);
    if (cmd == "timeline") return cmd_timeline(c, a);
    if (cmd == "events") return cmd_events(c, a);
    return c.usage("unknown command " + cmd);
}

}  // namespace rackboot::cli
