// Reading a Prometheus text page in tests: one series' value, by its exact name and labels.
#pragma once

#include <cstdlib>
#include <string>

namespace rackboot::test {

// The value of `series` (name and labels, exactly as on the page) in `page`; -1 when absent.
inline double series_value(const std::string& page, const std::string& series) {
    std::size_t at = page.find('\n' + series + ' ');
    if (at == std::string::npos) return -1;
    return std::strtod(page.c_str() + at + series.size() + 2, nullptr);
}

}  // namespace rackboot::test
