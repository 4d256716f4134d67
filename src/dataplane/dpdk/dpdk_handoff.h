// Software steering between DPDK workers: one single-producer/single-consumer rte_ring for each
// ordered pair of workers. A worker that receives a frame another worker owns (a Pi steered by its
// address where the port has no RSS, or DHCP, whose lease table has one writer) passes the mbuf
// over the pair's ring; the owner polls its incoming rings after its own RX queue. Per-pair
// rings keep each sender's order and need no locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/ipv4.h"
#include "proto/result.h"

struct rte_ring;

namespace rackboot::dataplane {

class HandoffRings {
public:
    // `workers` >= 2; each ring holds `slots` frames (a power of two).
    [[nodiscard]] static proto::Result<std::unique_ptr<HandoffRings>> create(std::uint32_t workers,
                                                                             std::uint32_t slots);
    ~HandoffRings();  // frees the mbufs still in the rings
    HandoffRings(const HandoffRings&) = delete;
    HandoffRings& operator=(const HandoffRings&) = delete;

    [[nodiscard]] std::uint32_t workers() const noexcept { return workers_; }
    [[nodiscard]] rte_ring* ring(std::uint32_t from, std::uint32_t to) const noexcept {
        return rings_[from * workers_ + to];
    }

private:
    HandoffRings() = default;
    std::uint32_t workers_ = 0;
    std::vector<rte_ring*> rings_;  // [from * workers + to]; null on the diagonal
};

// The worker that owns a Pi's frames under software steering: a hash of its IPv4 address, so its
// RRQ and every ACK meet the transfer on one worker.
[[nodiscard]] inline std::uint32_t owner_of_address(proto::Ipv4 ip, std::uint32_t workers) noexcept {
    std::uint32_t h = ip.value() * 0x9E3779B1u;
    return (h ^ (h >> 16)) % workers;
}

}  // namespace rackboot::dataplane
