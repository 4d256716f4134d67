// rackbootctl's live commands: leases, transfers (a table that redraws with --watch and rides out
// a restart or a busy worker), and a board's timeline in local time.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "cli/ctl.h"

namespace rackboot::cli {

using nlohmann::json;

int cmd_leases(Ctl& c, const std::vector<std::string>& a) {
    json body;
    if (a.size() == 3 && a[1] == "rm") return c.request("DELETE", "/api/v1/leases/" + a[2], body);
    if (a.size() < 2 || a[1] != "ls" || a.size() > 3 || (a.size() == 3 && a[2] != "--all")) {
        return c.usage("leases ls [--all] | leases rm IP");
    }
    if (int rc = c.request("GET", std::string("/api/v1/leases") + (a.size() == 3 ? "?all=1" : ""), body);
        rc != kExitOk) {
        return rc;
    }
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows{{"IP", "MAC", "STATE", "EXPIRES", "SERIAL"}};
    for (const json& l : body["items"]) {
        std::int64_t expires = l["expires"].is_number() ? l["expires"].get<std::int64_t>() : 0;
        rows.push_back({text(l["ip"]), text(l["mac"]), text(l["state"]), local_time(expires * 1000),
                        l.contains("serial") ? text(l["serial"]) : "-"});
    }
    print_table(c.out, rows);
    return kExitOk;
}

namespace {

void print_transfers(Ctl& c, const json& body) {
    if (c.as_json) {
        c.out << body.dump() << '\n';
        return;
    }
    std::vector<std::vector<std::string>> rows{{"CLIENT", "SERIAL", "FILE", "SENT", "SIZE", "RATE", "AGE"}};
    for (const json& t : body["items"]) {
        std::uint64_t size = t["size"].get<std::uint64_t>();
        rows.push_back({text(t["client"]), text(t["serial"]), text(t["file"]),
                        human_bytes(t["bytes_sent"].get<std::uint64_t>()), size ? human_bytes(size) : "-",
                        human_bytes(t["rate_bps"].get<std::uint64_t>()) + "/s",
                        std::to_string(t["age_ms"].get<std::int64_t>() / 1000) + " s"});
    }
    print_table(c.out, rows);
    c.out << body["items"].size() << " transfers" << (body["truncated"].get<bool>() ? " (list cut)" : "") << '\n';
}

}  // namespace

int cmd_transfers(Ctl& c, const std::vector<std::string>& a) {
    bool watch = false;
    long count = 0;  // rounds with --watch; 0: until interrupted
    for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "--watch") {
            watch = true;
        } else if (a[i] == "--count" && i + 1 < a.size()) {
            count = std::strtol(a[++i].c_str(), nullptr, 10);
        } else {
            return c.usage("transfers [--watch] [--count N]");
        }
    }
    if (!watch) {
        json body;
        if (int rc = c.request("GET", "/api/v1/transfers", body); rc != kExitOk) return rc;
        print_transfers(c, body);
        return kExitOk;
    }
    // Watching: a failed round (the server restarting, a worker that did not answer in time) is
    // shown and tried again, sooner while it is new, every 10 s at most.
    bool tty = isatty(STDOUT_FILENO) != 0;
    int wait_ms = 1000;
    for (long round = 0; count == 0 || round < count; ++round) {
        ApiReply r = c.api.call("GET", "/api/v1/transfers");
        json body = r.reached ? json::parse(r.body, nullptr, false) : json();
        if (tty) c.out << "\x1b[H\x1b[2J";  // redraw in place
        if (r.reached && r.status == 200 && body.is_object()) {
            print_transfers(c, body);
            wait_ms = 1000;
        } else {
            std::string why = !r.reached ? "cannot reach the server: " + r.error
                              : body.is_object() && body.contains("message")
                                  ? text(body["error"]) + ": " + text(body["message"])
                                  : "HTTP " + std::to_string(r.status);
            // A refusal that no retry mends (a bad token, no such endpoint) ends the watch.
            if (r.reached && r.status >= 400 && r.status < 500 && r.status != 429) {
                c.err << "rackbootctl: " << why << '\n';
                return kExitRefused;
            }
            c.err << "rackbootctl: " << why << "; trying again in " << wait_ms / 1000.0 << " s\n";
            wait_ms = std::min(wait_ms * 2, 10'000);
        }
        c.out.flush();
        if (count == 0 || round + 1 < count) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
    return kExitOk;
}

int cmd_timeline(Ctl& c, const std::vector<std::string>& a) {
    if (a.size() != 2) return c.usage("timeline SERIAL");
    json body;
    if (int rc = c.request("GET", "/api/v1/boards/" + a[1] + "/timeline", body); rc != kExitOk) return rc;
    if (c.as_json) {
        c.out << body.dump(2) << '\n';
        return kExitOk;
    }
    auto boot = [&](const char* title, const json& b) {
        if (!b.is_object()) return;
        c.out << title << ": " << text(b["result"]) << " in " << text(b["total_ms"]) << " ms (DHCP "
              << text(b["dhcp_ms"]) << " ms), started " << local_time(b.value("started_ms", std::int64_t{0}));
        if (b.contains("failed_file")) c.out << ", failed on " << text(b["failed_file"]) << ": " << text(b["reason"]);
        c.out << '\n';
        std::vector<std::vector<std::string>> rows{{"FILE", "MS", "BYTES", "RESULT"}};
        for (const json& f : b["files"])
            rows.push_back({text(f["file"]), text(f["ms"]), text(f["bytes"]), text(f["result"])});
        print_table(c.out, rows);
    };
    boot("boot in progress", body["boot"]);
    boot("last boot", body["last_boot"]);
    c.out << "events:\n";
    for (const json& e : body["events"]) {
        std::string kind = text(e["kind"]);
        c.out << event_line(kind == "dhcp" || kind == "tftp" ? kind : "boot", e, 0) << '\n';
    }
    return kExitOk;
}

}  // namespace rackboot::cli
