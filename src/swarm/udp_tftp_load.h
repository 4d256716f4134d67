// The kernel-socket TFTP load generator (bench/tftp_load is its command): N concurrent clients
// on UDP fetching one file in a loop, for transfers/s against any server (rackbootd, tftpd-hpa,
// dnsmasq), unprivileged and over loopback, where the swarm needs a DPDK port and root. Each
// transfer uses a fresh client port, as boot ROMs do, and every transfer's byte count is checked
// against the expected size. Prints one key=value line.
//
//   --server 127.0.0.1:69 --file NAME --size BYTES [--clients 64] [--seconds 5]
//   [--blksize 1468 (0: no options)] [--sources 127.0.0.2,127.0.0.3]
#pragma once

#include <string>
#include <vector>

namespace rackboot::swarm {

// The arguments without the program name; returns the exit code (0: every transfer had the right
// size, 1: one did not, 2: bad arguments).
[[nodiscard]] int run_udp_tftp_load_main(const std::vector<std::string>& args);

}  // namespace rackboot::swarm
