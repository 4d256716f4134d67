#include "rackbootd/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>

namespace rackboot::control {

namespace {

constexpr std::uint64_t kBaseReserve = 64;      // stdio, epoll, eventfds, SQLite, logs, the EAL's own
constexpr std::uint64_t kPerWorkerReserve = 8;  // listen and DHCP sockets, io_uring, eventfds
constexpr std::uint32_t kMaxCacheFiles = 4096;
constexpr std::uint32_t kMinCacheFiles = 16;
constexpr std::uint32_t kMinTransfers = 16;

}  // namespace

FdBudget plan_fd_budget(const FdDemand& d) {
    FdBudget b;
    std::uint32_t workers = std::max<std::uint32_t>(1, d.workers);
    b.per_transfer = d.socket_backend ? 2 : 1;
    // Each API connection: its socket and the watchdog's duplicate; plus the listener.
    b.reserved = kBaseReserve + kPerWorkerReserve * workers + std::uint64_t{d.api_connections} * 2 + 1;
    std::uint64_t left = d.nofile > b.reserved ? d.nofile - b.reserved : 0;
    // The cache's open files take at most a quarter of what is left.
    b.cache_files =
        static_cast<std::uint32_t>(std::clamp<std::uint64_t>(left / 4 / workers, kMinCacheFiles, kMaxCacheFiles));
    std::uint64_t cache = std::uint64_t{b.cache_files} * workers;
    std::uint64_t for_transfers = left > cache ? (left - cache) / b.per_transfer : 0;
    b.max_transfers = static_cast<std::uint32_t>(std::min<std::uint64_t>(d.max_transfers, for_transfers));
    b.lowered = b.max_transfers < d.max_transfers;
    if (b.lowered) {
        b.explanation = "the descriptor limit (RLIMIT_NOFILE " + std::to_string(d.nofile) + ") covers " +
                        std::to_string(b.max_transfers) + " transfers, not --max-transfers " +
                        std::to_string(d.max_transfers) + " (" + std::to_string(b.per_transfer) +
                        " descriptors a transfer, " + std::to_string(cache) + " for the block cache's files, " +
                        std::to_string(b.reserved) +
                        " kept for the rest); raise the limit (LimitNOFILE=, ulimit -n) or lower --max-transfers";
    }
    if (b.max_transfers < std::min(kMinTransfers, d.max_transfers)) {
        b.ok = false;
        b.explanation = "the descriptor limit (RLIMIT_NOFILE " + std::to_string(d.nofile) +
                        ") is too low to serve: " + std::to_string(b.max_transfers) + " transfers would fit";
    }
    return b;
}

std::uint64_t raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

}  // namespace rackboot::control
