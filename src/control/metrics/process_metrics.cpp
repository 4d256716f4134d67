#include "control/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "control/metrics/families.h"

namespace rackboot::control {

namespace {

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// /proc/self/stat's fields after the command (which may hold spaces and parentheses): field 3
// (state) is index 0.
std::vector<std::string> stat_fields() {
    std::string stat = read_file("/proc/self/stat");
    std::size_t paren = stat.rfind(')');
    std::vector<std::string> fields;
    if (paren == std::string::npos) return fields;
    std::istringstream rest(stat.substr(paren + 1));
    for (std::string f; rest >> f;) fields.push_back(f);
    return fields;
}

std::uint64_t field(const std::vector<std::string>& f, std::size_t stat_number) {
    std::size_t i = stat_number - 3;  // stat(5) numbers fields from 1; ours start at field 3
    return i < f.size() ? std::strtoull(f[i].c_str(), nullptr, 10) : 0;
}

std::uint64_t boot_time_s() {
    std::istringstream in(read_file("/proc/stat"));
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("btime ", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    }
    return 0;
}

std::size_t open_fds() {
    std::size_t n = 0;
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) return 0;
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
    closedir(d);
    return n > 0 ? n - 1 : 0;  // not the descriptor reading the directory
}

void gauge(std::ostringstream& out, const char* name, double value) {
    out << metric_header(name) << name << ' ' << value << '\n';
}

}  // namespace

std::string render_process_metrics() {
    std::vector<std::string> f = stat_fields();
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    std::ostringstream out;
    out.precision(15);
    gauge(out, "process_cpu_seconds_total", static_cast<double>(field(f, 14) + field(f, 15)) / ticks);
    gauge(out, "process_open_fds", static_cast<double>(open_fds()));
    gauge(out, "process_max_fds", static_cast<double>(rl.rlim_cur));
    gauge(out, "process_virtual_memory_bytes", static_cast<double>(field(f, 23)));
    gauge(out, "process_resident_memory_bytes", static_cast<double>(field(f, 24)) * page);
    gauge(out, "process_start_time_seconds",
          static_cast<double>(boot_time_s()) + static_cast<double>(field(f, 22)) / ticks);
    return out.str();
}

std::string render_build_info(const std::string& version, const std::string& backend) {
    return metric_header("rackboot_build_info") + "rackboot_build_info{version=\"" + version + "\",backend=\"" +
           backend + "\"} 1\n";
}

}  // namespace rackboot::control
