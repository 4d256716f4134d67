// The one table every family's HELP and TYPE come from: names Prometheus accepts and its
// conventions (counters end in _total, units in the name), one entry per family, and a family
// missing from the table marked on the page rather than given a made-up HELP.
#include "control/metrics/families.h"

#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(MetricFamilies, NamesFollowPrometheusConventionsAndAreUnique) {
    const std::regex name("[a-zA-Z_:][a-zA-Z0-9_:]*");
    std::set<std::string_view> seen;
    ASSERT_GT(metric_families().size(), 50U);
    for (const MetricFamily& f : metric_families()) {
        SCOPED_TRACE(std::string(f.name));
        EXPECT_TRUE(seen.insert(f.name).second) << "listed twice";
        EXPECT_TRUE(std::regex_match(std::string(f.name), name));
        EXPECT_TRUE(f.type == "counter" || f.type == "gauge" || f.type == "histogram") << f.type;
        bool total = f.name.size() > 6 && f.name.substr(f.name.size() - 6) == "_total";
        EXPECT_EQ(total, f.type == "counter");
        if (f.type == "histogram") {
            EXPECT_TRUE(f.name.ends_with("_seconds") || f.name.ends_with("_bytes_per_second"));
        }
        ASSERT_FALSE(f.help.empty());
        EXPECT_EQ(f.help.back(), '.');
        EXPECT_EQ(f.help.find('\n'), std::string_view::npos);
        EXPECT_EQ(find_metric_family(f.name), &f);
    }
}

TEST(MetricFamilies, HeaderComesFromTheTableAndAnUnlistedNameSaysSo) {
    EXPECT_EQ(metric_header("rackboot_tftp_transfers_total")
                  .rfind("# HELP rackboot_tftp_transfers_total TFTP transfers "
                         "finished, by result",
                         0),
              0U);
    EXPECT_NE(metric_header("rackboot_tftp_transfers_total").find("\n# TYPE rackboot_tftp_transfers_total counter\n"),
              std::string::npos);
    EXPECT_EQ(metric_header("rackboot_made_up_total"),
              "# HELP rackboot_made_up_total undocumented\n# TYPE rackboot_made_up_total untyped\n");
    EXPECT_EQ(find_metric_family("rackboot_made_up_total"), nullptr);
}

TEST(MetricFamilies, TheReferenceListsEveryFamilyWithItsHelp) {
    std::string ref = metrics_reference();
    for (const MetricFamily& f : metric_families()) {
        std::string entry = std::string(f.name) + " (" + std::string(f.type) + ")\n    " + std::string(f.help) + "\n";
        EXPECT_NE(ref.find(entry), std::string::npos) << f.name;
    }
}

}  // namespace
}  // namespace rackboot::control
