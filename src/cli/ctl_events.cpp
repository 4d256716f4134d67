// rackbootctl events: the events the server keeps (the last N, or those after an id), or with
// --follow the stream as it happens. A followed stream that ends (the server restarts, the
// network goes) is reconnected with back-off and resumed after the last id seen (Last-Event-ID);
// what the server could not keep in between comes as a `lost` line, never as a silent gap.
#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "cli/ctl.h"

namespace rackboot::cli {

using nlohmann::json;

std::string event_line(const std::string& kind, const json& d, std::uint64_t id) {
    auto field = [&](const char* k) { return d.contains(k) ? text(d[k]) : std::string("-"); };
    std::string at = d.contains("at_ms") && d["at_ms"].is_number() ? local_time(d["at_ms"].get<std::int64_t>(), true)
                                                                   : std::string(23, ' ');
    std::string line = at + "  ";
    if (kind == "lost") {
        line = std::string(23, ' ') + "  lost  ";
        line += d["lost"].is_null() ? "an unknown number of events" : text(d["lost"]) + " events";
        if (d.contains("first_id")) line += " (ids " + text(d["first_id"]) + ".." + text(d["last_id"]) + ")";
        line += ": " + field("reason");
        if (d.value("exact", true) == false && !d["lost"].is_null()) line += " (at most)";
        return line;
    }
    if (kind == "dhcp") {
        line += "dhcp  " + field("serial") + "  " + field("mac") + "  " + field("type") + " " + field("result");
        if (d.contains("ip")) line += " " + text(d["ip"]);
        if (d.contains("model")) line += " (pi" + text(d["model"]) + ")";
        if (d.contains("mac_belongs_to")) line += ", the MAC belongs to " + text(d["mac_belongs_to"]);
    } else if (kind == "tftp") {
        line += "tftp  " + field("serial") + "  " + field("client") + "  " + field("file") + " " + field("result");
        if (d.contains("bytes")) {
            line += ", " + human_bytes(d["bytes"].get<std::uint64_t>());
            if (d.contains("size") && d["size"].get<std::uint64_t>() != 0 && d["size"] != d["bytes"]) {
                line += " of " + human_bytes(d["size"].get<std::uint64_t>());
            }
            line += " in " + field("ms") + " ms";
        }
        if (d.contains("quirks")) {
            std::string q;
            for (const json& x : d["quirks"]) q += (q.empty() ? "" : ",") + text(x);
            line += " [" + q + "]";
        }
    } else {
        std::string what = field("kind");
        line += "boot  " + field("serial") + "  ";
        if (what == "boot_started") {
            line += "started";
        } else {
            line += field("result") + " in " + field("total_ms") + " ms";
            if (d.contains("failed_file")) line += ", on " + text(d["failed_file"]) + ": " + field("reason");
        }
    }
    if (id != 0) line += "  #" + std::to_string(id);
    return line;
}

namespace {

struct EventArgs {
    bool follow = false;
    long count = -1;  // -1: 10 without --follow, no end with it
    std::string after;
    std::string query;  // the filters, as "serial=..&kind=.."
};

void print_event(Ctl& c, const std::string& kind, const json& data, std::uint64_t id) {
    if (c.as_json) {
        c.out << json{{"id", id}, {"kind", kind}, {"data", data}}.dump() << '\n';
    } else {
        c.out << event_line(kind, data, id) << '\n';
    }
    c.out.flush();
}

int events_kept(Ctl& c, const EventArgs& e) {
    long limit = e.count < 0 ? 10 : e.count;
    std::string path = "/api/v1/events/history?limit=" + std::to_string(std::clamp(limit, 1L, 1000L)) +
                       (e.after.empty() ? "" : "&after=" + e.after) + (e.query.empty() ? "" : "&" + e.query);
    json body;
    if (int rc = c.request("GET", path, body); rc != kExitOk) return rc;
    if (body["lost"].is_object()) print_event(c, "lost", body["lost"], 0);
    for (const json& i : body["items"]) print_event(c, text(i["kind"]), i["data"], i["id"].get<std::uint64_t>());
    if (!body["next"].is_null()) c.err << "rackbootctl: more events follow: --after " << text(body["next"]) << '\n';
    return kExitOk;
}

int events_follow(Ctl& c, const EventArgs& e) {
    std::string last = e.after;  // the id to resume after
    long seen = 0;
    int wait_ms = 500;
    for (;;) {
        bool connected = false;
        ApiReply r = c.api.stream(
            "/api/v1/events" + (e.query.empty() ? "" : "?" + e.query), last,
            [&](const SseEvent& ev) {
                if (!ev.id.empty()) last = ev.id;
                json data = json::parse(ev.data, nullptr, false);
                std::uint64_t id = std::strtoull(ev.id.c_str(), nullptr, 10);
                print_event(c, ev.event.empty() ? "message" : ev.event, data, ev.event == "lost" ? 0 : id);
                if (ev.event == "lost") return true;  // a notice, not one of the events asked for
                return e.count < 0 || ++seen < e.count;
            },
            0, &connected);
        if (e.count >= 0 && seen >= e.count) return kExitOk;
        if (r.reached && r.status >= 400 && r.status < 500 && r.status != 429) {
            json body = json::parse(r.body, nullptr, false);
            c.err << "rackbootctl: events refused (HTTP " << r.status << ")";
            if (body.is_object() && body.contains("message")) c.err << ": " << text(body["message"]);
            c.err << '\n';
            return kExitRefused;
        }
        if (connected) wait_ms = 500;  // it worked a while: start the back-off over
        std::string why = !r.reached         ? "cannot reach the server: " + r.error
                          : r.status != 200  ? "HTTP " + std::to_string(r.status)
                          : !r.error.empty() ? "cut: " + r.error
                                             : "the server ended it";
        c.err << "rackbootctl: the event stream ended (" << why << "); reconnecting in " << wait_ms / 1000.0 << " s"
              << (last.empty() ? "" : ", after event " + last) << '\n';
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        wait_ms = std::min(wait_ms * 2, 10'000);
    }
}

}  // namespace

int cmd_events(Ctl& c, const std::vector<std::string>& a) {
    EventArgs e;
    for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "--follow") {
            e.follow = true;
        } else if ((a[i] == "--count" || a[i] == "--limit") && i + 1 < a.size()) {
            char* end = nullptr;
            e.count = std::strtol(a[++i].c_str(), &end, 10);
            if (a[i].empty() || *end != '\0' || e.count <= 0) return c.usage(a[i - 1] + " is a number above 0");
        } else if (a[i] == "--after" && i + 1 < a.size()) {
            e.after = a[++i];
            if (e.after.empty() || e.after.find_first_not_of("0123456789") != std::string::npos) {
                return c.usage("--after is an event id (a number)");
            }
        } else if ((a[i] == "--serial" || a[i] == "--mac" || a[i] == "--kind") && i + 1 < a.size()) {
            e.query += (e.query.empty() ? "" : "&") + a[i].substr(2) + "=" + a[i + 1];
            ++i;
        } else {
            return c.usage("events [--follow] [--count N] [--after ID] [--serial S] [--mac M] [--kind K]");
        }
    }
    return e.follow ? events_follow(c, e) : events_kept(c, e);
}

}  // namespace rackboot::cli
