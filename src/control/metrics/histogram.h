// A Prometheus histogram with fixed buckets: cumulative _bucket{le=...} series, _sum and _count.
// Not thread-safe: its owner serializes observe() and render() (the boot timeline's lock).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rackboot::control {

// Buckets for netboot times, milliseconds to minutes.
// A transfer or a phase: 1 ms .. 2 minutes.
inline constexpr double kStepSeconds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1,     2.5,    5,     10,   20,    30,   60,  120};
// A whole boot: 250 ms .. 10 minutes (a rack's boots in waves take minutes).
inline constexpr double kBootSeconds[] = {0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600};
// A transfer's rate: 64 KiB/s .. 1 GiB/s, by factors of two and a half.
inline constexpr double kRateBytesPerSecond[] = {65536,    262144,   1048576,   2621440,   5242880,   10485760,
                                                 26214400, 52428800, 104857600, 262144000, 524288000, 1073741824};

class Histogram {
public:
    explicit Histogram(std::span<const double> bounds) : bounds_(bounds), counts_(bounds.size() + 1, 0) {}

    void observe(double v) noexcept;

    // The family's series for one label set (`labels`: "model=\"pi4\"" or empty), appended to out.
    void render(std::string& out, std::string_view name, std::string_view labels) const;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] double sum() const noexcept { return sum_; }

private:
    std::span<const double> bounds_;
    std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; the last is above every bound
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// A number as Prometheus text writes it (shortest form that reads back the same; +Inf).
[[nodiscard]] std::string prometheus_number(double v);

}  // namespace rackboot::control
