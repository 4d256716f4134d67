// rackbootctl's live commands: leases, transfers (a table that redraws with --watch), a board's
// timeline, and the event stream.
#include <unistd.h>

#include <chrono>
#include <ostream>
#include <thread>

#include "cli/ctl.h"

namespace rackboot::cli {

using nlohmann::json;

namespace {

std::string text(const json& j) {
    if (j.is_null()) return "-";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

std::string human_bytes(std::uint64_t n) {
    const char* unit[] = {"B", "KB", "MB", "GB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1000 && u < 3) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
    return buf;
}

}  // namespace

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
        rows.push_back({text(l["ip"]), text(l["mac"]), text(l["state"]), text(l["expires"]),
                        l.contains("serial") ? text(l["serial"]) : "-"});
    }
    print_table(c.out, rows);
    return kExitOk;
}

int cmd_transfers(Ctl& c, const std::vector<std::string>& a) {
    bool watch = false;
    long count = 0;  // redraws with --watch; 0: until interrupted
    for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "--watch") {
            watch = true;
        } else if (a[i] == "--count" && i + 1 < a.size()) {
            count = std::strtol(a[++i].c_str(), nullptr, 10);
        } else {
            return c.usage("transfers [--watch] [--count N]");
        }
    }
    bool tty = isatty(STDOUT_FILENO) != 0;
    for (long round = 0; count == 0 || round < count; ++round) {
        json body;
        if (int rc = c.request("GET", "/api/v1/transfers", body); rc != kExitOk) return rc;
        if (watch && tty) c.out << "\x1b[H\x1b[2J";  // redraw in place
        if (c.as_json) {
            c.out << body.dump() << '\n';
        } else {
            std::vector<std::vector<std::string>> rows{{"CLIENT", "SERIAL", "FILE", "SENT", "SIZE", "RATE", "AGE"}};
            for (const json& t : body["items"]) {
                std::uint64_t size = t["size"].get<std::uint64_t>();
                rows.push_back({text(t["client"]), text(t["serial"]), text(t["file"]),
                                human_bytes(t["bytes_sent"].get<std::uint64_t>()), size ? human_bytes(size) : "-",
                                human_bytes(t["rate_bps"].get<std::uint64_t>()) + "/s",
                                std::to_string(t["age_ms"].get<std::int64_t>() / 1000) + " s"});
            }
            print_table(c.out, rows);
            c.out << body["items"].size() << " transfers" << (body["truncated"].get<bool>() ? " (list cut)" : "")
                  << '\n';
        }
        c.out.flush();
        if (!watch) break;
        std::this_thread::sleep_for(std::chrono::seconds(1));
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
              << text(b["dhcp_ms"]) << " ms)";
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
    std::vector<std::vector<std::string>> rows{{"AT_MS", "KIND", "WHAT", "RESULT"}};
    for (const json& e : body["events"]) {
        std::string what = e.contains("file") ? text(e["file"]) : e.contains("type") ? text(e["type"]) : "-";
        rows.push_back({text(e["at_ms"]), text(e["kind"]), what, e.contains("result") ? text(e["result"]) : "-"});
    }
    print_table(c.out, rows);
    return kExitOk;
}

int cmd_events(Ctl& c, const std::vector<std::string>& a) {
    bool follow = false;
    long count = 10;
    std::string query;
    for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "--follow") {
            follow = true;
        } else if (a[i] == "--count" && i + 1 < a.size()) {
            count = std::strtol(a[++i].c_str(), nullptr, 10);
        } else if ((a[i] == "--serial" || a[i] == "--mac" || a[i] == "--kind") && i + 1 < a.size()) {
            query += (query.empty() ? "?" : "&") + a[i].substr(2) + "=" + a[i + 1];
            ++i;
        } else {
            return c.usage("events [--follow] [--count N] [--serial S] [--mac M] [--kind K]");
        }
    }
    long seen = 0;
    // Without --follow: the next `count` events, waiting at most 10 s for them.
    ApiReply r = c.api.stream(
        "/api/v1/events" + query,
        [&](const std::string& kind, const std::string& data) {
            c.out << (c.as_json ? data : kind + " " + data) << '\n';
            c.out.flush();
            return follow || ++seen < count;
        },
        follow ? 0 : 10);
    if (!r.reached) {
        c.err << "rackbootctl: cannot reach the server: " << r.error << '\n';
        return kExitUnreachable;
    }
    if (r.status >= 400) {
        c.err << "rackbootctl: events refused (HTTP " << r.status << "): " << r.body << '\n';
        return kExitRefused;
    }
    return kExitOk;
}

}  // namespace rackboot::cli
