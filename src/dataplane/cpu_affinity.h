// Chooses and pins worker cores with hwloc.
#pragma once

#include <string>
#include <vector>

#include "proto/result.h"

namespace rackboot::dataplane {

// Number of cores (not hardware threads) hwloc sees; at least 1.
[[nodiscard]] int core_count();
// `count` CPUs (OS indexes) for workers: one per core, on NUMA node `numa_node` when it has
// cores (-1: any), skipping the machine's first core (the control thread's) while there are
// enough, wrapping when there are more workers than cores. `synthetic_topology` (hwloc's
// synthetic syntax) stands in for this machine in tests.
[[nodiscard]] std::vector<int> pick_worker_cpus(int count, int numa_node = -1,
                                                const char* synthetic_topology = nullptr);
// True when hwloc knows a processing unit with this OS index.
[[nodiscard]] bool cpu_exists(int cpu);
// Pins the calling thread to one CPU, or says why hwloc could not.
[[nodiscard]] proto::Result<> pin_current_thread(int cpu);

}  // namespace rackboot::dataplane
