// The process's own figures as Prometheus client libraries name them (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc/self at scrape time, and
// rackboot_build_info{version,backend} 1. Dashboards written for any Prometheus-instrumented
// service graph them unchanged.
#pragma once

#include <string>

namespace rackboot::control {

[[nodiscard]] std::string render_process_metrics();
[[nodiscard]] std::string render_build_info(const std::string& version, const std::string& backend);

}  // namespace rackboot::control
