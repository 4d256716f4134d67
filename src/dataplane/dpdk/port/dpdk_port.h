// Ports the EAL found: the one to use, by name, for any DPDK program here (rackbootd's backend,
// the swarm, the benchmark peers).
#pragma once

#include <cstdint>
#include <string>

namespace rackboot::dataplane {

// The port named `wanted`, or with `wanted` empty the only port the EAL found. With several and
// none named it refuses rather than guess (a NIC bound to DPDK with two ports, or a stray --vdev);
// `error` lists the ports found.
[[nodiscard]] bool find_port(const std::string& wanted, std::uint16_t& port, std::string& error);

}  // namespace rackboot::dataplane
