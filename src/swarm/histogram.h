// A log-linear histogram with HdrHistogram's layout and conventions (Gil Tene's; no C or C++
// build of it is packaged in Debian): values in whole units (the swarm records microseconds), 3
// significant digits across 1 unit to an hour, constant memory, O(1) record. A percentile is the
// highest value equivalent to the recorded one it lands on, as HdrHistogram reports it; min and
// max are kept exactly.
#pragma once

#include <cstdint>
#include <vector>

namespace rackboot::swarm {

class LogLinearHistogram {
public:
    // Values above `highest` are recorded as `highest` (and counted in saturated()).
    explicit LogLinearHistogram(std::uint64_t highest = 3'600'000'000ull);

    void record(std::uint64_t value) noexcept;
    void merge(const LogLinearHistogram& other) noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
    [[nodiscard]] std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
    [[nodiscard]] double mean() const noexcept;
    [[nodiscard]] std::uint64_t saturated() const noexcept { return saturated_; }
    // `percentile` in [0, 100]; 0 when nothing was recorded.
    [[nodiscard]] std::uint64_t value_at_percentile(double percentile) const noexcept;

    // The bucket layout, exposed for the tests: the range of values one counter holds.
    [[nodiscard]] std::uint64_t lowest_equivalent(std::uint64_t value) const noexcept;
    [[nodiscard]] std::uint64_t highest_equivalent(std::uint64_t value) const noexcept;

private:
    [[nodiscard]] std::size_t index_of(std::uint64_t value) const noexcept;
    [[nodiscard]] std::uint64_t value_of(std::size_t index) const noexcept;

    static constexpr int kSubBucketHalfMagnitude = 10;  // 3 significant digits: 2048 sub-buckets
    static constexpr std::uint64_t kSubBucketCount = 2048;
    static constexpr std::uint64_t kSubBucketHalf = 1024;
    static constexpr std::uint64_t kSubBucketMask = kSubBucketCount - 1;

    std::uint64_t highest_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    std::uint64_t saturated_ = 0;
    long double sum_ = 0;
};

}  // namespace rackboot::swarm
