// The rate a worker's transfers are delivered at, as their ACK clock shows it (issue 19): bytes the
// clients acknowledged, in 100 ms bins; the estimate is the best 1 s of the last 10 s (a windowed
// maximum, as BBR's bottleneck-bandwidth filter): a lull in demand does not lower it at once, and a
// path that can carry more shows it as soon as more is admitted. Pure: the caller's clock; no
// allocation.
#pragma once

#include <array>
#include <cstdint>

#include "proto/clock.h"

namespace rackboot::dataplane {

class DeliveryRate {
public:
    static constexpr proto::Nanos kBin = 100 * proto::kMillisecond;
    static constexpr int kBinsPerSecond = 10;
    static constexpr int kWindowBins = 100;  // 10 s of 1 s sums, one ending at each bin

    // `bytes` acknowledged at `now` (which never goes back).
    void add(std::uint64_t bytes, proto::Nanos now) noexcept;
    // Closes the bins that ended by `now`.
    void advance(proto::Nanos now) noexcept;
    // Bytes per second: the best 1 s sum of the last 10 s; 0 (unmeasured) until a whole second
    // has been measured since acknowledgements began, and when nothing was acknowledged in them.
    [[nodiscard]] std::uint64_t bytes_per_second() const noexcept { return best_; }
    // The bytes of the last second (what the path carries now, for the metrics).
    [[nodiscard]] std::uint64_t last_second() const noexcept { return last_; }

private:
    void close_bin() noexcept;

    std::int64_t bin_ = -1;  // the open bin's number (now / kBin)
    std::uint64_t open_bytes_ = 0;
    std::array<std::uint64_t, kBinsPerSecond> bins_{};  // the last closed bins, ring
    std::array<std::uint64_t, kWindowBins> sums_{};     // 1 s sums ending at each closed bin, ring
    int head_ = 0;                                      // the next bins_/sums_ cell to write
    std::uint64_t second_ = 0;                          // sum of bins_
    int measured_bins_ = 0;                             // closed bins since acknowledgements began (≤ 10)
    int quiet_bins_ = kBinsPerSecond;                   // closed bins in a row with nothing in them
    std::uint64_t best_ = 0;
    std::uint64_t last_ = 0;
};

}  // namespace rackboot::dataplane
