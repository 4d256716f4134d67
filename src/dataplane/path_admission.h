// Admission to the path's capacity (issue 19; DESIGN.md "Admission"): a transfer sends its first
// DATA only when the rate the path delivers can still finish every admitted transfer, and it, by
// its plan (its RRQ + `target`, well inside the Pi's 30 s TFTP_FILE_TIMEOUT); a Pi's boot is
// answered at DHCP only while there is room for one more boot's largest file. The workers publish
// what they carry on a PathBoard, per worker, for each other and for DHCP.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "proto/clock.h"

namespace rackboot::dataplane {

struct AdmissionConfig {
    bool enabled = false;  // off: every transfer starts at once and every boot is answered
    // The Pi's TFTP_FILE_TIMEOUT, counted from its RRQ: a held transfer that cannot end by then is
    // refused (ERROR "server busy") rather than started.
    proto::Nanos file_timeout = 30 * proto::kSecond;
    // An admitted file is planned to end this long after its RRQ: the margin to the file timeout
    // absorbs losses, unequal shares and a rate that changes (the goal is 5 s before it).
    proto::Nanos target = 20 * proto::kSecond;
    // Started whatever the rate says while fewer than this many send on the worker: progress, and
    // a probe of what more the path carries.
    std::uint32_t floor = 2;
    // Before the worker has measured a rate: at most this many start at once.
    std::uint32_t unmeasured = 32;
};

// One worker's figures, written by that worker only (relaxed stores), read by the others and DHCP.
struct alignas(64) WorkerPath {
    std::atomic<std::uint64_t> rate{0};     // bytes/s its transfers are acknowledged at (DeliveryRate)
    std::atomic<std::uint32_t> running{0};  // admitted transfers sending
    std::atomic<std::uint32_t> held{0};     // transfers held for room
    std::atomic<std::uint32_t> clients{0};  // client addresses holding a transfer (boots in progress)
    std::atomic<std::uint64_t> largest{0};  // the largest file admitted in the last minute (bytes)
    // Its running transfers' round trips show a standing queue: the path is what limits them
    // (else they are loss- or client-bound, and more of them carry more).
    std::atomic<bool> queue{true};
};

struct PathTotals {
    std::uint64_t rate = 0;
    std::uint64_t running = 0;
    std::uint64_t held = 0;
    std::uint64_t clients = 0;
    std::uint64_t largest = 0;  // the largest of the workers'
    bool queue = false;         // some worker with transfers running sees a standing queue
};

// The port's figures, one WorkerPath per worker. Created before the workers, outlives them.
class PathBoard {
public:
    explicit PathBoard(std::uint32_t workers) : n_(workers == 0 ? 1 : workers), w_(new WorkerPath[n_]) {}
    [[nodiscard]] std::uint32_t workers() const noexcept { return n_; }
    [[nodiscard]] WorkerPath& worker(std::uint32_t i) noexcept { return w_[i < n_ ? i : 0]; }
    [[nodiscard]] PathTotals totals() const noexcept;

private:
    std::uint32_t n_;
    std::unique_ptr<WorkerPath[]> w_;
};

// A transfer's work: the bytes it has still to deliver and when it is planned to end.
struct PlannedWork {
    std::uint64_t remaining = 0;
    proto::Nanos plan = 0;
};

// Whether every transfer of `work` ends by its plan when they share `rate` bytes/s equally from
// `now` and none joins them (processor sharing, the shares of those that end going to the rest):
// sorted by remaining bytes, the k-th ends after (sum of the k-1 smaller + (n-k+1) * its own) /
// rate. Sorts `work` in place.
[[nodiscard]] bool plans_hold(std::span<PlannedWork> work, std::uint64_t rate, proto::Nanos now) noexcept;

// Bytes `rate` delivers in `d` (0 for d <= 0).
[[nodiscard]] std::uint64_t carried(std::uint64_t rate, proto::Nanos d) noexcept;

// A running transfer's part in the plans a new one is checked against: to end by its plan
// (`planned`), or, slipped past that, by when its client gives up (`gives_up`, its file timeout).
// Past that its client has given up (a Pi powered off, or booting again, leaves its transfer here
// to time out): no plan is kept for it (nullopt), or it would hold every new transfer until it
// ended. A file no path ends in a file timeout (`unfit`) counts what `rate` carries by its plan.
[[nodiscard]] std::optional<PlannedWork> running_plan(std::uint64_t remaining, proto::Nanos planned,
                                                      proto::Nanos gives_up, bool unfit, std::uint64_t rate,
                                                      proto::Nanos now) noexcept;

}  // namespace rackboot::dataplane
