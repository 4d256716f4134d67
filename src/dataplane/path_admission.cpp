#include "dataplane/path_admission.h"

#include <algorithm>

namespace rackboot::dataplane {

PathTotals PathBoard::totals() const noexcept {
    PathTotals t;
    for (std::uint32_t i = 0; i < n_; ++i) {
        const WorkerPath& w = w_[i];
        t.rate += w.rate.load(std::memory_order_relaxed);
        t.running += w.running.load(std::memory_order_relaxed);
        t.held += w.held.load(std::memory_order_relaxed);
        t.clients += w.clients.load(std::memory_order_relaxed);
        t.largest = std::max(t.largest, w.largest.load(std::memory_order_relaxed));
        if (w.running.load(std::memory_order_relaxed) > 0 && w.queue.load(std::memory_order_relaxed)) t.queue = true;
    }
    return t;
}

bool plans_hold(std::span<PlannedWork> work, std::uint64_t rate, proto::Nanos now) noexcept {
    if (work.empty()) return true;
    if (rate == 0) return false;
    std::sort(work.begin(), work.end(),
              [](const PlannedWork& a, const PlannedWork& b) { return a.remaining < b.remaining; });
    // Bytes delivered before the k-th ends: everything of the smaller ones, and as much as its own
    // remaining for each one still sharing with it.
    long double before = 0;
    const auto n = static_cast<long double>(work.size());
    for (std::size_t k = 0; k < work.size(); ++k) {
        long double bytes = before + (n - static_cast<long double>(k)) * static_cast<long double>(work[k].remaining);
        long double ends = static_cast<long double>(now) +
                           bytes / static_cast<long double>(rate) * static_cast<long double>(proto::kSecond);
        if (ends > static_cast<long double>(work[k].plan)) return false;
        before += static_cast<long double>(work[k].remaining);
    }
    return true;
}

std::uint64_t carried(std::uint64_t rate, proto::Nanos d) noexcept {
    if (d <= 0) return 0;
    return static_cast<std::uint64_t>(static_cast<long double>(rate) * static_cast<long double>(d) /
                                      static_cast<long double>(proto::kSecond));
}

std::optional<PlannedWork> running_plan(std::uint64_t remaining, proto::Nanos planned, proto::Nanos gives_up,
                                        bool unfit, std::uint64_t rate, proto::Nanos now) noexcept {
    proto::Nanos until = planned > now ? planned : gives_up;
    if (until <= now) return std::nullopt;
    // A file no path ends in a file timeout takes its share without a plan to keep.
    if (unfit) remaining = std::min(remaining, carried(rate, until - now));
    return PlannedWork{remaining, until};
}

}  // namespace rackboot::dataplane
