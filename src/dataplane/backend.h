// What the control plane sees of a dataplane backend (kernel sockets or DPDK), and what both are
// configured with. One configuration is common (workers, CPUs, the transfer cap, the cache, TFTP
// limits, boot trees, DHCP); each backend adds only what is its own (a listen address, or the EAL
// and the port's address). Both own DHCP the same way: worker 0 serves it, the lease table's one
// writer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/counters.h"
#include "dataplane/dhcp_engine.h"
#include "dataplane/snapshot_cell.h"
#include "dataplane/tftp_service.h"
#include "dataplane/worker_channel.h"
#include "proto/ipv4.h"
#include "proto/tftp_options.h"

namespace rackboot::dataplane {

struct BackendCommon {
    std::uint32_t workers = 1;
    std::vector<int> cpus;                        // one per worker; empty: chosen with hwloc
    std::uint32_t max_transfers = 20000;          // across all workers (--max-transfers)
    std::uint32_t max_transfers_per_client = 32;  // one client address, on its worker
    std::size_t cache_bytes = 512u << 20;         // the one block cache every worker shares
    std::uint32_t cache_files = 4096;             // files each worker's view of the cache may keep open
    proto::TftpLimits limits{};
    BootMapCell* maps = nullptr;           // the boot map; each worker reads it as reader = its number
    std::optional<DhcpEngineConfig> dhcp;  // served by worker 0
    std::uint16_t dhcp_port = 67;
    // Admission to the path's capacity: each worker publishes on `path` as its number.
    AdmissionConfig admission{};
    PathBoard* path = nullptr;
};

// What only the socket backend has: where it listens (and where DHCP listens).
struct SocketOptions {
    proto::Ipv4 listen_addr;  // unset (0.0.0.0): every address
    std::uint16_t port = 69;
    std::string dhcp_interface;  // empty: every interface
};

// What only the DPDK backend has: the EAL, the port, and the port's own IPv4 address.
struct DpdkOptions {
    std::string eal;   // EAL arguments, as given
    std::string port;  // the port's name; empty: the EAL must have found exactly one
    proto::Ipv4 ip;
    std::uint8_t prefix = 24;
    proto::Ipv4 gateway;  // unset: none
};

// Worker `worker`'s TFTP service. --max-transfers means the same on every backend: at most that
// many transfers at once in all, counted by `active`, and any one worker may hold all of them (a
// few client addresses all land on one worker) up to `table_room`, what the backend can address
// per worker (the DPDK worker's share of the TID ports).
[[nodiscard]] TftpServiceConfig tftp_service_config(
    const BackendCommon& common, std::uint32_t worker, std::atomic<std::int64_t>& active,
    std::uint32_t table_room = std::numeric_limits<std::uint32_t>::max());

// The block cache every worker shares: --cache-mb in all, in 64 KiB chunks (on 2 MiB pages when
// asked and free).
[[nodiscard]] proto::Result<std::shared_ptr<ChunkArena>> shared_chunk_arena(const BackendCommon& common,
                                                                            bool huge_pages);

// For the start line and the status API.
struct BackendInfo {
    std::string address;  // where TFTP is served
    std::uint16_t tftp_port = 69;
    std::string description;  // "socket", or "dpdk port=... mac=... features"
    std::string steering;     // how a client's packets reach one worker
    std::vector<int> cpus;    // the workers'
};

// What the port itself counts (the DPDK backend): frames lost before any worker saw them.
struct PortStats {
    std::uint64_t rx_missed = 0;   // the RX ring was full (imissed)
    std::uint64_t rx_no_mbuf = 0;  // no buffer to receive into
    std::uint64_t tx_errors = 0;   // frames the port could not send
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
    [[nodiscard]] virtual std::size_t worker_count() const noexcept = 0;
    [[nodiscard]] virtual const WorkerCounters& counters(std::size_t worker) const noexcept = 0;
    // A worker's events out and mailbox in (worker_channel.h).
    [[nodiscard]] virtual WorkerChannel& channel(std::size_t worker) noexcept = 0;
    // The DHCP engine worker kDhcpWorker runs, or nullptr without DHCP. Restore leases before
    // start(); afterwards, reach it through that worker's mailbox.
    static constexpr std::size_t kDhcpWorker = 0;
    [[nodiscard]] virtual DhcpEngine* dhcp() noexcept = 0;
    [[nodiscard]] virtual BackendInfo info() const = 0;
    // The port's own counters where it has any (the kernel's sockets count theirs elsewhere).
    [[nodiscard]] virtual std::optional<PortStats> port_stats() const { return std::nullopt; }
};

}  // namespace rackboot::dataplane
