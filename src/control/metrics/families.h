// The metric families rackbootd exposes, in one table: each family's name, type and HELP. Every
// part of the daemon writes a family's "# HELP"/"# TYPE" lines from here, so the page, the
// reference (`rackbootd --list-metrics`) and the man page cannot drift apart.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace rackboot::control {

struct MetricFamily {
    std::string_view name;
    std::string_view type;  // counter, gauge, histogram
    std::string_view help;
};

[[nodiscard]] std::span<const MetricFamily> metric_families() noexcept;
[[nodiscard]] const MetricFamily* find_metric_family(std::string_view name) noexcept;

// The family's "# HELP" and "# TYPE" lines; a name missing from the table gets HELP
// "undocumented", which the tests look for.
[[nodiscard]] std::string metric_header(std::string_view name);

// Every family as text: "name (type)" and its help indented below, for --list-metrics.
[[nodiscard]] std::string metrics_reference();

}  // namespace rackboot::control
