// The DHCP service's logic, whatever the backend: proxy responder or full server, the lease
// journal hand-off, replies held until their lease is durable, counters and records. Backends
// feed it datagrams that arrived on UDP 67 and give it a DhcpTransport to send replies with.
// Runs on one worker (single writer of the lease table).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/boot_admission.h"
#include "dataplane/counters.h"
#include "dataplane/dhcp_origin.h"
#include "dataplane/dhcp_record.h"
#include "dataplane/held_discovers.h"
#include "dataplane/lease_journal.h"
#include "dataplane/snapshot_cell.h"
#include "dataplane/worker_event.h"
#include "dataplane/worker_mailbox.h"
#include "proto/dhcp_responder.h"
#include "proto/dhcp_server.h"
#include "proto/net_frames.h"

namespace rackboot::dataplane {

class DhcpTransport {
public:
    virtual ~DhcpTransport() = default;
    virtual bool send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes,
                           const DhcpOrigin& origin) = 0;
};

struct DhcpEngineConfig {
    proto::DhcpResponderConfig responder{};  // mode, Pi OUIs, addresses
    // Full server mode only:
    proto::LeaseConfig leases{};
    proto::DhcpServerConfig server{};
    LeaseJournal* journal = nullptr;  // required in server mode
    // Boards (netboot off, pinned addresses); read on the engine's worker, which reports the
    // quiescent states. Null: no boards.
    BootMapCell* maps = nullptr;
    // Boots admitted as far as the path has room (boot_admission.h); `path` is where the TFTP
    // workers publish what they carry.
    BootAdmissionConfig admission{};
    const PathBoard* path = nullptr;
};

class DhcpEngine {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<DhcpEngine>> create(const DhcpEngineConfig& cfg,
                                                                           DhcpTransport& transport);
    DhcpEngine(const DhcpEngine&) = delete;
    DhcpEngine& operator=(const DhcpEngine&) = delete;

    // Restores persisted leases; call before the worker starts.
    void restore(const std::vector<proto::Lease>& leases);
    // The journal's wake-up fd in server mode (replies became sendable), else -1.
    [[nodiscard]] int journal_fd() const noexcept { return cfg_.journal != nullptr ? cfg_.journal->worker_fd() : -1; }
    // Clears that fd's readiness (epoll-based backends).
    void drain_journal_event() noexcept {
        if (cfg_.journal != nullptr) cfg_.journal->drain_worker_fd();
    }

    // Sends the replies whose leases are now durable (call before each batch of datagrams).
    void begin_batch(WorkerCounters& counters);
    void on_datagram(const std::uint8_t* data, std::size_t len, bool truncated, const DhcpOrigin& origin,
                     WorkerCounters& counters);
    // Wakes the lease store when the batch queued lease changes.
    void end_batch();
    // Each loop: held replies given up on; once a second: the lease gauges.
    void tick(WorkerCounters& counters);

    // Where the engine's records go: the ring out of the worker that runs it (worker_event.h).
    // Before the worker starts; without one, records are not kept.
    void report_to(EventRing& events) noexcept { events_ = &events; }

    // The worker, answering its mailbox (worker_mailbox.h): releases the lease on `ip` as the
    // lease table's one writer (DELETE /api/v1/leases/IP); the journal change to wait for.
    [[nodiscard]] LeaseReleaseStep release_now(proto::Ipv4 ip) noexcept;

private:
    DhcpEngine(const DhcpEngineConfig& cfg, DhcpTransport& transport)
        : cfg_(cfg), transport_(transport), responder_(cfg.responder) {}
    void send(const proto::DhcpReply& reply, const std::uint8_t* data, const DhcpOrigin& origin,
              WorkerCounters& counters);

    void finish(const proto::DhcpPacket& req, const proto::DhcpReply& reply, proto::DhcpVerdict verdict,
                std::uint32_t yiaddr, const DhcpOrigin& origin, WorkerCounters& counters);
    void account(const DhcpRecord& record, WorkerCounters& counters);
    void answer_granted(WorkerCounters& counters);

    // A reply waiting for its lease change to be durable. Counted (and recorded) only when it
    // leaves, or when it is given up.
    struct Pending {
        std::uint64_t seq = 0;
        std::int64_t held_since_ms = 0;
        proto::DhcpReply reply;
        DhcpOrigin origin;
        DhcpRecord record;
        std::array<std::uint8_t, 1024> bytes{};
    };
    static constexpr std::size_t kMaxPending = 4096;
    // A reply the store could not make durable within this long is not sent: the client has
    // retried by then (a Pi's ROM waits about a second per try), and its change, still kept by
    // the store, only matters once durable.
    static constexpr std::int64_t kMaxHoldMs = 3000;

    DhcpEngineConfig cfg_;
    DhcpTransport& transport_;
    proto::DhcpResponder responder_;
    std::optional<proto::DhcpServer> server_;
    std::vector<Pending> pending_;  // ring
    std::size_t pending_head_ = 0;
    std::size_t pending_count_ = 0;
    bool pushed_ = false;
    std::int64_t last_tick_ = 0;
    EventRing* events_ = nullptr;
    std::vector<std::uint8_t> tx_;
    std::unique_ptr<BootAdmission> admission_;
    std::unique_ptr<HeldDiscovers> held_;  // with admission: DISCOVERs answered when room is granted
    HeldDiscover replay_;                  // the one being answered late
};

}  // namespace rackboot::dataplane
