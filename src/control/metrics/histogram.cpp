#include "control/metrics/histogram.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace rackboot::control {

void Histogram::observe(double v) noexcept {
    if (std::isnan(v)) return;
    // The first bound at or above v: Prometheus buckets are upper-inclusive (le).
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    ++count_;
    sum_ += v;
}

std::string prometheus_number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
    std::string sep = labels.empty() ? std::string() : std::string(labels) + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += counts_[i];
        out += name;
        out += "_bucket{";
        out += sep;
        out += "le=\"";
        out += i < bounds_.size() ? prometheus_number(bounds_[i]) : "+Inf";
        out += "\"} ";
        out += std::to_string(cumulative);
        out += '\n';
    }
    std::string braces = labels.empty() ? std::string() : "{" + std::string(labels) + "}";
    out += name;
    out += "_sum";
    out += braces;
    out += ' ';
    out += prometheus_number(sum_);
    out += '\n';
    out += name;
    out += "_count";
    out += braces;
    out += ' ';
    out += std::to_string(count_);
    out += '\n';
}

}  // namespace rackboot::control
