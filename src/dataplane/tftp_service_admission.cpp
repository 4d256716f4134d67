// TftpService's admission to the path's capacity (path_admission.h, DESIGN.md "Admission"): a
// transfer's first DATA waits until the rate the path delivers can end it, and every transfer
// already sending, by their plans; held transfers go in the order of their RRQs.
#include <algorithm>

#include "dataplane/tftp_service.h"

namespace rackboot::dataplane {

using proto::Nanos;
using proto::TftpAction;

namespace {

constexpr Nanos kTick = 100 * proto::kMillisecond;
constexpr Nanos kLargestWindow = 30 * proto::kSecond;
constexpr Nanos kNoRtt = INT64_MAX;
// A standing queue: the running transfers' smoothed round trip more than twice the least seen
// (and a timer's slack more).
constexpr Nanos kQueueSlack = 200 * proto::kMicrosecond;
// Without a queue the running count may grow by a quarter (and two) a tick.
constexpr std::uint32_t kGrowthDivisor = 4;
constexpr std::uint32_t kGrowthStep = 2;

}  // namespace

Nanos TftpService::next_deadline() const noexcept {
    if (cache_->retry_soon()) return 0;  // parked sends go ahead without a completion to say so
    Nanos wheel = wheel_.next_deadline();
    if (held_.empty()) return wheel;
    Nanos tick = tick_at_ + kTick;
    return wheel < 0 ? tick : std::min(wheel, tick);
}

std::uint64_t TftpService::remaining_bytes(const Slot& s) const noexcept {
    std::uint64_t size = s.file != BlockCache::kNoFile ? cache_->size_of(s.file) : 0;
    std::uint64_t done = s.engine.acked_blocks() * s.engine.negotiated().blksize;
    return size > done ? size - done : 0;
}

void TftpService::acked(const Slot& s, std::uint64_t blocks_before, Nanos now) noexcept {
    std::uint64_t after = s.engine.acked_blocks();
    if (after <= blocks_before || s.file == BlockCache::kNoFile) return;
    std::uint64_t size = cache_->size_of(s.file);
    std::uint64_t blk = s.engine.negotiated().blksize;
    std::uint64_t bytes = std::min(size, after * blk) - std::min(size, blocks_before * blk);
    rate_.add(bytes, now);
}

TftpService::Room TftpService::room_for(const Slot& s, Nanos now) {
    const AdmissionConfig& ac = cfg_.admission;
    auto n = static_cast<std::uint32_t>(running_.size());
    if (n < ac.floor) return Room::Admit;
    std::uint64_t own = rate_.bytes_per_second();
    // The port's rate and load, this worker's own figures live; its share if the candidate joins
    // is in proportion to the transfers it would then have.
    std::uint64_t port_rate = own;
    std::uint64_t port_running = n;
    if (cfg_.path != nullptr) {
        PathTotals t = cfg_.path->totals();
        port_rate = t.rate - std::min(t.rate, published_rate_) + own;
        port_running = t.running - std::min<std::uint64_t>(t.running, published_running_) + n;
    }
    if (own == 0 || port_rate == 0) return n < ac.unmeasured ? Room::Admit : Room::Hold;
    // No standing queue: the path is not what limits the transfers (they are loss- or
    // client-bound), so one more does not slow the others; only how fast their count grows is
    // bounded, until the round trips show a queue and the plans take over.
    if (!queue_) {
        return n < running_at_tick_ + running_at_tick_ / kGrowthDivisor + kGrowthStep ? Room::Admit : Room::Hold;
    }
    auto rate = static_cast<std::uint64_t>(static_cast<long double>(port_rate) * (n + 1) /
                                           static_cast<long double>(port_running + 1));
    rate = std::max<std::uint64_t>(rate, 1);
    const Nanos slack_plan = (ac.target + ac.file_timeout) / 2;  // what an admitted one may slip to
    std::uint64_t size = s.file != BlockCache::kNoFile ? cache_->size_of(s.file) : 0;
    bool unfit = size > carried(port_rate, ac.file_timeout);
    // Its plan: to end `target` after its RRQ; if even the whole path cannot do that any more (it
    // waited), inside the slack an admitted one may slip to; held so long that the whole path
    // could not end it before its client gives up, never.
    Nanos alone = now + static_cast<Nanos>(static_cast<long double>(size) / static_cast<long double>(port_rate) *
                                           static_cast<long double>(proto::kSecond));
    Nanos plan = s.started + ac.target;
    if (!unfit && alone > plan) plan = s.started + slack_plan;
    if (!unfit && s.waited && alone > s.started + ac.file_timeout) return Room::Never;
    work_.clear();
    for (std::uint32_t idx : running_) {
        const Slot& r = slots_[idx];
        std::optional<PlannedWork> w =
            running_plan(remaining_bytes(r), r.started + slack_plan, r.started + ac.file_timeout, r.unfit, rate, now);
        if (w) work_.push_back(*w);
    }
    work_.push_back({unfit ? std::min(size, carried(rate, plan - now)) : size, plan});
    return plans_hold(work_, rate, now) ? Room::Admit : Room::Hold;
}

void TftpService::mark_running(Slot& s) {
    s.admitted = true;
    s.running_at = static_cast<std::uint32_t>(running_.size());
    running_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
    std::uint64_t size = s.file != BlockCache::kNoFile ? cache_->size_of(s.file) : 0;
    std::uint64_t port_rate = rate_.bytes_per_second();
    if (cfg_.path != nullptr) port_rate = std::max(port_rate, cfg_.path->totals().rate);
    s.unfit = port_rate > 0 && size > carried(port_rate, cfg_.admission.file_timeout);
    if (!s.unfit) largest_[0] = std::max(largest_[0], size);
}

bool TftpService::admit_or_hold(std::uint32_t idx, const TftpAction& a, Nanos now) {
    Slot& s = slots_[idx];
    if (!cfg_.admission.enabled) {
        mark_running(s);
        return true;
    }
    if (held_.empty()) {
        // Nobody earlier waits: it may go if there is room (else it waits behind them).
        Room r = room_for(s, now);
        if (r == Room::Admit) {
            mark_running(s);
            counters_.admission_admitted.add();
            return true;
        }
    }
    // Held, in the order of the RRQs (the earliest deadline first).
    s.pending = a;
    s.state = SlotState::Held;
    s.waited = true;
    auto at = held_.end();
    while (at != held_.begin() && slots_[*(at - 1)].started > s.started) --at;
    held_.insert(at, idx);
    counters_.admission_held.add();
    counters_.tftp_held.set(held_.size());
    return false;
}

void TftpService::admit_held(Nanos now) {
    room_freed_ = false;
    while (!held_.empty()) {
        std::uint32_t idx = held_.front();
        Slot& s = slots_[idx];
        Room r = room_for(s, now);
        if (r == Room::Hold) break;
        held_.erase(held_.begin());
        s.state = SlotState::Active;
        if (r == Room::Never) {
            // It cannot end before its client gives up: refused now, so the client starts over
            // sooner (a Pi's firmware retries the boot), rather than sent what it cannot use.
            counters_.admission_expired.add();
            fail(idx, proto::TftpErrorCode::NotDefined, "server busy, try again", TftpDrop::path_full, now);
            continue;
        }
        counters_.admission_released.add();
        mark_running(s);
        wheel_.cancel(idx);
        execute(idx, s.pending, now);
    }
    counters_.tftp_held.set(held_.size());
}

void TftpService::update_queue() noexcept {
    // Whether the path queues: the running transfers' mean smoothed round trip against the least
    // round trip any transfer here measured in the last 10 s.
    Nanos least = kNoRtt;
    long double sum = 0;
    std::uint32_t n = 0;
    for (std::uint32_t idx : running_) {
        const proto::TftpTransfer& e = slots_[idx].engine;
        if (e.min_rtt() >= 0) least = std::min(least, e.min_rtt());
        if (e.smoothed_rtt() >= 0) {
            sum += static_cast<long double>(e.smoothed_rtt());
            ++n;
        }
    }
    rtt_floors_[rtt_floor_at_] = least;
    rtt_floor_at_ = (rtt_floor_at_ + 1) % rtt_floors_.size();
    Nanos floor = *std::min_element(rtt_floors_.begin(), rtt_floors_.end());
    queue_ = n == 0 || floor == kNoRtt || sum / n > static_cast<long double>(2 * floor + kQueueSlack);
    running_at_tick_ = static_cast<std::uint32_t>(running_.size());
}

void TftpService::admission_tick(Nanos now) {
    if (now - tick_at_ < kTick && !room_freed_) return;
    if (now - tick_at_ >= kTick) {
        tick_at_ = now;
        rate_.advance(now);
        rtt_guard_.advance(now);
        if (now - largest_since_ >= kLargestWindow) {
            largest_[1] = largest_[0];
            largest_[0] = 0;
            largest_since_ = now;
        }
        counters_.path_rate.set(rate_.bytes_per_second());
        update_queue();
        if (cfg_.path != nullptr) {
            WorkerPath& w = cfg_.path->worker(cfg_.id);
            published_rate_ = rate_.bytes_per_second();
            published_running_ = static_cast<std::uint32_t>(running_.size());
            w.rate.store(published_rate_, std::memory_order_relaxed);
            w.running.store(published_running_, std::memory_order_relaxed);
            w.held.store(static_cast<std::uint32_t>(held_.size()), std::memory_order_relaxed);
            w.clients.store(per_client_.size(), std::memory_order_relaxed);
            w.largest.store(std::max(largest_[0], largest_[1]), std::memory_order_relaxed);
            w.queue.store(queue_, std::memory_order_relaxed);
        }
    }
    if (!held_.empty()) admit_held(now);
    room_freed_ = false;
}

}  // namespace rackboot::dataplane
