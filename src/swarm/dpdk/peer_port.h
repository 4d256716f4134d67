// One DPDK port brought up for a traffic generator (the swarm, the TFTP load peer): the mbuf
// pool, one RX and one TX queue, started, and its link waited for. The generators use it; the
// server's port code (dataplane/dpdk/port) is not theirs to share.
#pragma once

#include <cstdint>
#include <string>

#include "proto/result.h"

struct rte_mbuf;
struct rte_mempool;

namespace rackboot::swarm {

struct PeerPortSpec {
    std::string name;  // the port by name (empty: the only one)
    const char* pool_name = "peer_pool";
    unsigned pool_size = 32767;  // mbufs
    std::uint16_t ring = 4096;   // descriptors per queue, capped at what the device takes
    bool promiscuous = false;    // many MACs behind one port (the swarm's Pis)
    double link_timeout_s = 10;
};

struct PeerPort {
    std::uint16_t id = 0;
    rte_mempool* pool = nullptr;
};

// Opens, configures and starts the port (after the EAL is up) and waits for its link; or a
// reason a user can act on.
[[nodiscard]] proto::Result<PeerPort> open_peer_port(const PeerPortSpec& spec);
// Stops and closes it.
void close_peer_port(const PeerPort& port);

// Sends `count` frames on queue 0, retrying a full ring up to `tries` times; what still did not
// go is freed. Returns how many were dropped.
std::uint16_t send_burst(std::uint16_t port, rte_mbuf** frames, std::uint16_t count, int tries);

}  // namespace rackboot::swarm
