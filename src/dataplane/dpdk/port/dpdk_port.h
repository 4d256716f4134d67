// Ports the EAL found: the one to use, by name, for any DPDK program here (rackbootd's backend,
// the swarm, the benchmark peers).
#pragma once

#include <cstdint>
#include <string>

#include "proto/result.h"

namespace rackboot::dataplane {

// The port named `wanted`, or with `wanted` empty the only port the EAL found. With several and
// none named it refuses rather than guess (a NIC bound to DPDK with two ports, or a stray --vdev);
// the refusal lists the ports found.
[[nodiscard]] proto::Result<std::uint16_t> find_port(const std::string& wanted);

}  // namespace rackboot::dataplane
