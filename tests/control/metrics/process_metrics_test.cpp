// The process's own series, named as Prometheus client libraries name them, read from /proc at
// scrape time: descriptors counted exactly, CPU time that grows with work, resident memory, the
// start time, and the build's version and backend.
#include "control/metrics/process_metrics.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "support/metrics_text.h"

namespace rackboot::control {
namespace {

using test::series_value;

TEST(ProcessMetrics, NamedAsClientLibrariesNameThemAndTrue) {
    std::string before = render_process_metrics();
    for (const char* name :
         {"process_cpu_seconds_total", "process_open_fds", "process_max_fds", "process_virtual_memory_bytes",
          "process_resident_memory_bytes", "process_start_time_seconds"}) {
        EXPECT_NE(before.find(std::string("# TYPE ") + name + ' '), std::string::npos) << name;
        EXPECT_GE(series_value(before, name), 0) << name;
    }
    // Three more descriptors, three more counted.
    int fds[3];
    for (int& fd : fds) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::string with = render_process_metrics();
    EXPECT_EQ(series_value(with, "process_open_fds"), series_value(before, "process_open_fds") + 3);
    for (int fd : fds) close(fd);
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    EXPECT_EQ(series_value(with, "process_max_fds"), static_cast<double>(rl.rlim_cur));
    // Work shows as CPU time.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(150);
    volatile std::uint64_t spin = 0;
    while (std::chrono::steady_clock::now() < until) spin = spin + 1;
    std::string after = render_process_metrics();
    EXPECT_GE(series_value(after, "process_cpu_seconds_total"),
              series_value(before, "process_cpu_seconds_total") + 0.05);
    EXPECT_GT(series_value(after, "process_resident_memory_bytes"), 1 << 20);
    EXPECT_GE(series_value(after, "process_virtual_memory_bytes"),
              series_value(after, "process_resident_memory_bytes"));
    double start = series_value(after, "process_start_time_seconds");
    double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(start, now + 1);
    EXPECT_GT(start, now - 3600) << "this test process started over an hour ago?";
}

TEST(ProcessMetrics, BuildInfo) {
    EXPECT_EQ(render_build_info("0.1.0", "dpdk"),
              "# HELP rackboot_build_info The running rackbootd: its version and dataplane backend (always 1).\n"
              "# TYPE rackboot_build_info gauge\n"
              "rackboot_build_info{version=\"0.1.0\",backend=\"dpdk\"} 1\n");
}

}  // namespace
}  // namespace rackboot::control
