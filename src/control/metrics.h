// Prometheus text exposition of the workers' counters, summed at read time.
#pragma once

#include <string>
#include <vector>

#include "dataplane/counters.h"

namespace rackboot::control {

[[nodiscard]] std::string render_metrics(const std::vector<const dataplane::WorkerCounters*>& workers);

}  // namespace rackboot::control
