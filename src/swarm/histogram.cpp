#include "swarm/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rackboot::swarm {

namespace {

int bucket_of(std::uint64_t value, std::uint64_t mask, int half_magnitude) noexcept {
    return 64 - std::countl_zero(value | mask) - (half_magnitude + 1);
}

}  // namespace

LogLinearHistogram::LogLinearHistogram(std::uint64_t highest) : highest_(std::max<std::uint64_t>(highest, 2)) {
    std::size_t buckets = static_cast<std::size_t>(bucket_of(highest_, kSubBucketMask, kSubBucketHalfMagnitude)) + 1;
    counts_.assign((buckets + 1) * kSubBucketHalf, 0);
}

std::size_t LogLinearHistogram::index_of(std::uint64_t value) const noexcept {
    int bucket = bucket_of(value, kSubBucketMask, kSubBucketHalfMagnitude);
    std::uint64_t sub = value >> bucket;
    return (static_cast<std::size_t>(bucket + 1) << kSubBucketHalfMagnitude) + static_cast<std::size_t>(sub) -
           kSubBucketHalf;
}

std::uint64_t LogLinearHistogram::value_of(std::size_t index) const noexcept {
    int bucket = static_cast<int>(index >> kSubBucketHalfMagnitude) - 1;
    std::uint64_t sub = (index & (kSubBucketHalf - 1)) + kSubBucketHalf;
    if (bucket < 0) {
        sub -= kSubBucketHalf;
        bucket = 0;
    }
    return sub << bucket;
}

std::uint64_t LogLinearHistogram::lowest_equivalent(std::uint64_t value) const noexcept {
    int bucket = bucket_of(value, kSubBucketMask, kSubBucketHalfMagnitude);
    return (value >> bucket) << bucket;
}

std::uint64_t LogLinearHistogram::highest_equivalent(std::uint64_t value) const noexcept {
    int bucket = bucket_of(value, kSubBucketMask, kSubBucketHalfMagnitude);
    return lowest_equivalent(value) + (std::uint64_t{1} << bucket) - 1;
}

void LogLinearHistogram::record(std::uint64_t value) noexcept {
    if (value > highest_) {
        value = highest_;
        ++saturated_;
    }
    ++counts_[index_of(value)];
    ++total_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    sum_ += static_cast<long double>(value);
}

void LogLinearHistogram::merge(const LogLinearHistogram& other) noexcept {
    std::size_t n = std::min(counts_.size(), other.counts_.size());
    for (std::size_t i = 0; i < n; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    if (other.total_ != 0) {
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }
    saturated_ += other.saturated_;
    sum_ += other.sum_;
}

double LogLinearHistogram::mean() const noexcept {
    return total_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(total_));
}

std::uint64_t LogLinearHistogram::value_at_percentile(double percentile) const noexcept {
    if (total_ == 0) return 0;
    double p = std::clamp(percentile, 0.0, 100.0);
    auto wanted = static_cast<std::uint64_t>(std::llround(p / 100.0 * static_cast<double>(total_)));
    wanted = std::max<std::uint64_t>(wanted, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= wanted) return std::min(highest_equivalent(value_of(i)), max_);
    }
    return max_;
}

}  // namespace rackboot::swarm
