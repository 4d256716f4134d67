// The log-linear histogram against exact order statistics, and the --require thresholds.
#include "swarm/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "support/unwrap.h"
#include "swarm/requirements.h"

namespace rackboot::swarm {
namespace {

TEST(LogLinearHistogram, PercentilesWithinTheBucketsResolution) {
    LogLinearHistogram h;
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> d(13.0, 1.5);  // µs: tens of ms to minutes
    std::vector<std::uint64_t> v;
    for (int i = 0; i < 100'000; ++i) {
        auto x = static_cast<std::uint64_t>(d(rng)) + 1;
        v.push_back(x);
        h.record(x);
    }
    std::sort(v.begin(), v.end());
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        auto exact = v[static_cast<std::size_t>(std::llround(p / 100.0 * static_cast<double>(v.size()))) - 1];
        std::uint64_t got = h.value_at_percentile(p);
        EXPECT_GE(got, exact) << p;  // the highest value equivalent to the exact one
        EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.001 + 1) << p;
    }
    EXPECT_EQ(h.max(), v.back());
    EXPECT_EQ(h.min(), v.front());
    EXPECT_EQ(h.count(), 100'000u);
}

TEST(LogLinearHistogram, SmallValuesAreExactAndBucketsFollowHdrHistogram) {
    LogLinearHistogram h;
    for (std::uint64_t x = 0; x < 2048; ++x) EXPECT_EQ(h.highest_equivalent(x), x);  // unit resolution
    EXPECT_EQ(h.lowest_equivalent(2049), 2048u);                                     // then pairs
    EXPECT_EQ(h.highest_equivalent(2048), 2049u);
    EXPECT_EQ(h.highest_equivalent(1'000'000), h.lowest_equivalent(1'000'000) + 511);
    for (int i = 1; i <= 100; ++i) h.record(static_cast<std::uint64_t>(i));
    EXPECT_EQ(h.value_at_percentile(50), 50u);
    EXPECT_EQ(h.value_at_percentile(99), 99u);
    EXPECT_EQ(h.value_at_percentile(100), 100u);
    EXPECT_DOUBLE_EQ(h.mean(), 50.5);
    LogLinearHistogram empty;
    EXPECT_EQ(empty.value_at_percentile(99), 0u);
    LogLinearHistogram capped(1000);
    capped.record(5000);
    EXPECT_EQ(capped.saturated(), 1u);
    h.merge(capped);
    EXPECT_EQ(h.count(), 101u);
}

TEST(Requirements, ParsedCheckedAndRefusedWithAReason) {
    std::vector<std::string> known = {"failed", "p99_boot_s", "success_pct"};
    std::vector<Requirement> r = test::unwrap(parse_requirements("failed=0, p99_boot_s<30,success_pct>=99.5", known));
    ASSERT_EQ(r.size(), 3u);
    auto checked = check_requirements(r, {{"failed", 0}, {"p99_boot_s", 31.5}, {"success_pct", 100}});
    EXPECT_TRUE(checked[0].ok);
    EXPECT_FALSE(checked[1].ok);
    EXPECT_DOUBLE_EQ(checked[1].actual, 31.5);
    EXPECT_TRUE(checked[2].ok);
    EXPECT_NE(test::reason(parse_requirements("p99_boot<30", known)).find("no metric 'p99_boot'"), std::string::npos);
    EXPECT_NE(test::reason(parse_requirements("failed=zero", known)).find("not a number"), std::string::npos);
    EXPECT_FALSE(parse_requirements("failed", known));
    auto none = parse_requirements("", known);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    r = test::unwrap(parse_requirements("failed!=0,failed<=1,failed>0,failed==1", known));
    ASSERT_EQ(r.size(), 4u);
    for (const RequirementResult& c : check_requirements(r, {{"failed", 1}})) EXPECT_TRUE(c.ok) << c.req->text;
}

}  // namespace
}  // namespace rackboot::swarm
