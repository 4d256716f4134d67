// rackbootctl's output for people: tables, local times, ages, sizes.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/ctl.h"

namespace rackboot::cli {

using nlohmann::json;

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

std::string text(const json& j) {
    if (j.is_null()) return "-";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

std::string human_bytes(std::uint64_t n) {
    const char* unit[] = {"B", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
    return buf;
}

std::string local_time(std::int64_t epoch_ms, bool millis) {
    if (epoch_ms <= 0) return "-";
    std::time_t s = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    localtime_r(&s, &tm);
    char buf[48];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    if (millis) std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>(epoch_ms % 1000));
    return buf;
}

std::string age(std::int64_t then_s, std::time_t now) {
    if (then_s <= 0) return "-";
    std::int64_t d = static_cast<std::int64_t>(now) - then_s;
    if (d < 0) return "just now";  // a clock a little ahead of ours
    char buf[32];
    if (d < 120) {
        std::snprintf(buf, sizeof buf, "%llds ago", static_cast<long long>(d));
    } else if (d < std::int64_t{2} * 3600) {
        std::snprintf(buf, sizeof buf, "%lldm ago", static_cast<long long>(d / 60));
    } else if (d < std::int64_t{2} * 86400) {
        std::snprintf(buf, sizeof buf, "%lldh ago", static_cast<long long>(d / 3600));
    } else {
        std::snprintf(buf, sizeof buf, "%lldd ago", static_cast<long long>(d / 86400));
    }
    return buf;
}

std::string labels_text(const json& labels) {
    std::string out;
    if (!labels.is_object()) return "-";
    for (const auto& [k, v] : labels.items()) out += (out.empty() ? "" : ",") + k + "=" + text(v);
    return out.empty() ? "-" : out;
}

std::string last_boot_text(const json& last_boot, std::time_t now) {
    if (!last_boot.is_object()) return "-";
    std::int64_t ended_ms =
        last_boot.value("started_ms", std::int64_t{0}) + last_boot.value("total_ms", std::int64_t{0});
    return text(last_boot["result"]) + " " + age(ended_ms / 1000, now);
}

}  // namespace rackboot::cli
