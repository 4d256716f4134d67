// rackbootctl: the admin CLI over the REST API (issues 10 and 23). Exit codes: 0 done; 1 the API
// refused (its code and message printed); 2 usage; 3 the server could not be reached.
#pragma once

#include <cstdint>
#include <ctime>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace rackboot::cli {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

[[nodiscard]] int run_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The global options, taken from anywhere on the line (before or after the command); what is
// left is the command and its arguments. Everything after a lone "--" is left as it is.
struct GlobalOptions {
    std::string api;
    std::string token;
    std::string cacert;
    bool as_json = false;
    bool help = false;
    bool version = false;
    std::vector<std::string> rest;
    std::string error;  // a usage error (an option without its value, an unreadable token file)
};
[[nodiscard]] GlobalOptions parse_global_options(const std::vector<std::string>& args);

// A command's options after its positional arguments: --name VALUE pairs (repeatable ones
// collect) and the flags it names in `switches` (no value). False, with the culprit in `bad`.
using Options = std::map<std::string, std::vector<std::string>>;
[[nodiscard]] bool parse_options(const std::vector<std::string>& a, std::size_t from,
                                 const std::vector<std::string>& switches, Options& out, std::string& bad);

// Shared by the command files.
struct Ctl {
    ApiClient api;
    bool as_json = false;
    std::ostream& out;
    std::ostream& err;
    std::time_t now = std::time(nullptr);  // ages are counted from here

    // Runs a request; on success puts the parsed body in `body` and returns kExitOk, else prints
    // why and returns the exit code.
    int request(const std::string& method, const std::string& path, nlohmann::json& body,
                const std::string& payload = {}, const std::string& if_match = {}, std::string* etag = nullptr);
    int usage(const std::string& why);
};

// ctl_boards.cpp
int cmd_boards(Ctl& c, const std::vector<std::string>& a);
// ctl_live.cpp
int cmd_leases(Ctl& c, const std::vector<std::string>& a);
int cmd_transfers(Ctl& c, const std::vector<std::string>& a);
int cmd_timeline(Ctl& c, const std::vector<std::string>& a);
// ctl_events.cpp
int cmd_events(Ctl& c, const std::vector<std::string>& a);
// One event as a line for people: its local time, kind, board and what happened.
[[nodiscard]] std::string event_line(const std::string& kind, const nlohmann::json& data, std::uint64_t id);

// ctl_format.cpp: output for people.
// A fixed-width table of rows (the first is the header).
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);
// A JSON value as a cell: strings bare, null as "-".
[[nodiscard]] std::string text(const nlohmann::json& j);
// 1.5 MB, 320 B (powers of 1000).
[[nodiscard]] std::string human_bytes(std::uint64_t n);
// Epoch milliseconds as local time: "2026-12-07 14:03:05" (with ".123" when `millis`); "-" for 0.
[[nodiscard]] std::string local_time(std::int64_t epoch_ms, bool millis = false);
// How long before `now` (seconds since the epoch) `then_s` was: "12s ago", "5m ago", "3h ago",
// "2d ago"; "-" for 0.
[[nodiscard]] std::string age(std::int64_t then_s, std::time_t now);
// Labels as k=v,k2=v2 ("-" when none).
[[nodiscard]] std::string labels_text(const nlohmann::json& labels);
// A board's last boot in a cell: "booted 5m ago", "failed 2h ago" ("-" when none).
[[nodiscard]] std::string last_boot_text(const nlohmann::json& last_boot, std::time_t now);

}  // namespace rackboot::cli
