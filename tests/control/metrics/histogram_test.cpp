// Fixed-bucket histograms as Prometheus reads them: cumulative buckets, upper bounds inclusive,
// +Inf equal to the count, _sum and _count, labels before le.
#include "control/metrics/histogram.h"

#include <limits>
#include <span>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(Histogram, BucketsAreCumulativeUpperInclusiveAndEndAtInf) {
    constexpr double kBounds[] = {0.5, 1, 2.5};
    Histogram h(kBounds);
    for (double v : {0.1, 0.5, 0.7, 1.0, 3.0, 100.0}) h.observe(v);
    std::string out;
    h.render(out, "x_seconds", "model=\"pi4\"");
    EXPECT_EQ(out,
              "x_seconds_bucket{model=\"pi4\",le=\"0.5\"} 2\n"
              "x_seconds_bucket{model=\"pi4\",le=\"1\"} 4\n"
              "x_seconds_bucket{model=\"pi4\",le=\"2.5\"} 4\n"
              "x_seconds_bucket{model=\"pi4\",le=\"+Inf\"} 6\n"
              "x_seconds_sum{model=\"pi4\"} 105.3\n"
              "x_seconds_count{model=\"pi4\"} 6\n");
    EXPECT_EQ(h.count(), 6U);
}

TEST(Histogram, WithoutLabelsAndEmptyEveryBucketIsZero) {
    Histogram h(kRateBytesPerSecond);
    std::string out;
    h.render(out, "r", "");
    EXPECT_NE(out.find("r_bucket{le=\"65536\"} 0\n"), std::string::npos);
    EXPECT_NE(out.find("r_bucket{le=\"1073741824\"} 0\n"), std::string::npos);
    EXPECT_NE(out.find("r_bucket{le=\"+Inf\"} 0\nr_sum 0\nr_count 0\n"), std::string::npos);
    h.observe(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.count(), 0U);
}

TEST(Histogram, NetbootBucketsRunFromMillisecondsToMinutesInOrder) {
    for (std::span<const double> b : {std::span<const double>(kStepSeconds), std::span<const double>(kBootSeconds),
                                      std::span<const double>(kRateBytesPerSecond)}) {
        for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
    }
    EXPECT_EQ(kStepSeconds[0], 0.001);
    EXPECT_GE(kStepSeconds[std::size(kStepSeconds) - 1], 120);
    EXPECT_GE(kBootSeconds[std::size(kBootSeconds) - 1], 600);
    EXPECT_EQ(prometheus_number(0.0025), "0.0025");
    EXPECT_EQ(prometheus_number(120), "120");
}

}  // namespace
}  // namespace rackboot::control
