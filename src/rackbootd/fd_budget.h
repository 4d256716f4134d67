// How many file descriptors the daemon may use, and what they go to. Every socket-backend
// transfer holds a socket (its TID) and, while its file opens, a second descriptor; the block
// cache keeps the files it serves open; the API holds one per connection (and one to watch it).
// When RLIMIT_NOFILE cannot cover --max-transfers as well as those, the transfer cap is lowered
// at start (with a warning) rather than letting transfers fail with EMFILE later; --check-config
// refuses such a configuration.
#pragma once

#include <cstdint>
#include <string>

namespace rackboot::control {

struct FdDemand {
    std::uint64_t nofile = 0;  // RLIMIT_NOFILE's soft limit, once raised to the hard one
    std::uint32_t workers = 1;
    bool socket_backend = true;  // a socket per transfer
    std::uint32_t max_transfers = 20000;
    std::uint32_t api_connections = 0;  // the API's own cap (0: no API)
};

struct FdBudget {
    std::uint32_t max_transfers = 0;   // the effective cap
    std::uint32_t cache_files = 4096;  // open files each worker's block cache may keep
    std::uint64_t reserved = 0;        // descriptors kept for everything but transfers and the cache
    std::uint32_t per_transfer = 2;
    bool lowered = false;     // max_transfers is below what was asked
    std::string explanation;  // why, when lowered or too small
    bool ok = true;           // false: not even a minimal service fits
};

[[nodiscard]] FdBudget plan_fd_budget(const FdDemand& d);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit after.
std::uint64_t raise_fd_limit();

}  // namespace rackboot::control
