#include "dataplane/worker_mailbox.h"

#include <chrono>
#include <thread>

namespace rackboot::dataplane {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `done` holds or `deadline` passes; whether it held.
template <class Done>
bool wait_until(Clock::time_point deadline, Done&& done) {
    while (!done()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

}  // namespace

bool WorkerMailbox::exchange(const WorkerRequest& request, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    // An asker that gave up leaves its request behind: the worker may be reading it still.
    auto idle = [this] { return answered_.load(std::memory_order_acquire) == asked_.load(std::memory_order_relaxed); };
    if (!wait_until(deadline, idle)) return false;
    request_ = request;
    std::uint64_t want = asked_.fetch_add(1, std::memory_order_acq_rel) + 1;
    return wait_until(deadline, [&] { return answered_.load(std::memory_order_acquire) >= want; });
}

std::optional<TransferList> WorkerMailbox::list_transfers(int timeout_ms) {
    std::lock_guard lock(turns_);
    if (!exchange(ListTransfers{}, timeout_ms)) return std::nullopt;
    TransferList list;
    list.views.assign(views_.begin(), views_.begin() + static_cast<std::ptrdiff_t>(listed_));
    list.truncated = truncated_;
    return list;
}

std::optional<LeaseReleaseStep> WorkerMailbox::release_lease(proto::Ipv4 ip, int timeout_ms) {
    std::lock_guard lock(turns_);
    if (!exchange(ReleaseLease{ip}, timeout_ms)) return std::nullopt;
    return released_;
}

}  // namespace rackboot::dataplane
