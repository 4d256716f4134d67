// Chooses and pins worker cores with hwloc.
#pragma once

#include <string>
#include <vector>

namespace rackboot::dataplane {

// Number of cores (not hardware threads) hwloc sees; at least 1.
[[nodiscard]] int core_count();
// `count` CPUs (OS indexes) for workers: one per core, skipping core 0 (the control thread's)
// while there are enough, wrapping when there are more workers than cores.
[[nodiscard]] std::vector<int> pick_worker_cpus(int count);
// True when hwloc knows a processing unit with this OS index.
[[nodiscard]] bool cpu_exists(int cpu);
// Pins the calling thread to one CPU. Returns false (and says why) when hwloc cannot.
bool pin_current_thread(int cpu, std::string& error);

}  // namespace rackboot::dataplane
