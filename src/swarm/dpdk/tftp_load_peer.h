// The TFTP load peer (bench/dpdk_tftp_peer is its command): one DPDK port, a process of its own,
// so a DPDK server is measured with nothing else in its thread. Two modes:
//
//   tftp  ARP for the server, then CLIENTS closed-loop transfers of FILE at blksize 1468: every
//         DATA (every WINDOWSIZE-th with --windowsize, RFC 7440) answered with its ACK at once,
//         written over the DATA frame it answers; a finished client starts over from a new port,
//         a client silent for a second starts over too (counted as a stall). Reports DATA packets/s.
//   echo  CLIENTS frames of FRAME bytes sent to a forwarder (dpdk-testpmd --forward-mode=macswap)
//         and every frame that comes back sent again unchanged: the same path's ceiling.
//
// Where the swarm plays whole Pi boots (many MACs, every byte checked, the firmware's timing),
// this plays one host's many transfers as fast as the server answers. Prints one key=value line.
//
//   --eal "ARGS" --mode tftp|echo [--server-ip A] [--client-ip A] [--file NAME] [--size BYTES]
//   [--clients N] [--windowsize W] [--frame BYTES] [--seconds S] [--warmup S] [--linger S] [--verify on]
#pragma once

#include <string>
#include <vector>

namespace rackboot::swarm {

// The arguments without the program name; returns the exit code (0 ok, 1 failed, 2 bad arguments).
[[nodiscard]] int run_tftp_load_peer_main(const std::vector<std::string>& args);

}  // namespace rackboot::swarm
