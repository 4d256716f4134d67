// rackbootctl: the admin CLI over the REST API (issue 10). Exit codes: 0 done; 1 the API refused
// (its code and message printed); 2 usage; 3 the server could not be reached.
#pragma once

#include <iosfwd>
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

// Shared by the command files.
struct Ctl {
    ApiClient api;
    bool as_json = false;
    std::ostream& out;
    std::ostream& err;

    // Runs a request; on success puts the parsed body in `body` and returns kExitOk, else prints
    // why and returns the exit code.
    int request(const std::string& method, const std::string& path, nlohmann::json& body,
                const std::string& payload = {}, const std::string& if_match = {}, std::string* etag = nullptr);
    int usage(const std::string& why);
};

// ctl_live.cpp
int cmd_leases(Ctl& c, const std::vector<std::string>& a);
int cmd_transfers(Ctl& c, const std::vector<std::string>& a);
int cmd_timeline(Ctl& c, const std::vector<std::string>& a);
int cmd_events(Ctl& c, const std::vector<std::string>& a);

// A fixed-width table of rows (the first is the header).
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

}  // namespace rackboot::cli
