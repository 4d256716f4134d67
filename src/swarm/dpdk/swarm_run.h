// One rackboot-swarm run over a DPDK port: the EAL, the port, the engine's poll loop on the
// calling core, the live progress line, then the report. Returns the process's exit code: 0, 1
// (the run could not start), 2 (bad arguments), 99 (a --require threshold failed).
#pragma once

#include <string>
#include <vector>

namespace rackboot::swarm {

[[nodiscard]] int run_swarm_main(const std::vector<std::string>& args);

}  // namespace rackboot::swarm
