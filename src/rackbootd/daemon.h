// rackbootd's lifecycle: boot trees, the dataplane backend, the API, the transfer log, and a
// clean stop on SIGINT/SIGTERM.
#pragma once

#include "rackbootd/config.h"

namespace rackboot::control {

// Runs until SIGINT or SIGTERM. Returns the process exit code (0 on a clean stop, 1 when
// something could not start; the reason is printed to stderr).
[[nodiscard]] int run_daemon(const DaemonConfig& cfg);

}  // namespace rackboot::control
