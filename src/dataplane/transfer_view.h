// The live transfers of one worker, for GET /api/v1/transfers: the API's thread asks, the worker
// copies its active transfers into a buffer sized at start at the top of its next loop, and the
// API reads the copy. Nothing is shared with the packet path but two counters; the worker does
// the copy only when asked, and allocates nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "proto/ipv4.h"

namespace rackboot::dataplane {

struct TransferView {
    proto::Ipv4 client;
    std::uint16_t port = 0;
    std::uint16_t worker = 0;
    bool has_serial = false;
    std::uint32_t serial = 0;
    std::uint64_t bytes = 0;  // payload sent so far, retransmits included
    std::uint64_t size = 0;   // 0 while the file opens
    std::int64_t age_ns = 0;
    char file[104] = {};
};

class TransferViewBoard {
public:
    static constexpr std::size_t kMaxListed = 4096;  // per worker

    explicit TransferViewBoard(std::size_t capacity) : buf_(capacity < kMaxListed ? capacity : kMaxListed) {}

    // The API's thread: asks for a copy and waits up to `timeout_ms` for it; appends it to `out`.
    // False when the worker did not answer in time (stopped, or stuck).
    bool snapshot(std::vector<TransferView>& out, bool& truncated, int timeout_ms) {
        std::lock_guard lock(api_);
        std::uint64_t want = requested_.fetch_add(1, std::memory_order_acq_rel) + 1;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (served_.load(std::memory_order_acquire) < want) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        out.insert(out.end(), buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(count_));
        truncated = truncated || truncated_;
        return true;
    }

    // The worker, at the top of its loop.
    [[nodiscard]] bool wanted() const noexcept {
        return requested_.load(std::memory_order_acquire) != served_.load(std::memory_order_relaxed);
    }
    // The worker: `fill(buffer, capacity)` writes up to capacity views and returns how many it
    // wrote, and whether more were left out.
    template <class Fill>
    void serve(Fill&& fill) noexcept {
        std::uint64_t want = requested_.load(std::memory_order_acquire);
        bool more = false;
        count_ = fill(buf_.data(), buf_.size(), more);
        truncated_ = more;
        served_.store(want, std::memory_order_release);
    }

private:
    std::mutex api_;  // one request at a time
    std::atomic<std::uint64_t> requested_{0};
    std::atomic<std::uint64_t> served_{0};
    std::vector<TransferView> buf_;
    std::size_t count_ = 0;
    bool truncated_ = false;
};

}  // namespace rackboot::dataplane
