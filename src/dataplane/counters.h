// Per-worker counters. Each worker writes only its own block with plain relaxed stores (no locked
// instructions); the control thread sums the blocks when it is asked (VPP's per-thread counters).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/dhcp_responder.h"
#include "proto/net_frames.h"
#include "proto/reason_list.h"
#include "proto/tftp_codec.h"
#include "proto/tftp_path.h"

namespace rackboot::dataplane {

// Why a packet or request was dropped or refused, one list per owner (X-macros: name, severity,
// description; proto/reason_list.h). Names are unique across the lists: each is a label of
// rackboot_drops_total and a "drop.NAME" counter.
// The TFTP service: requests it refuses and datagrams it will not take.
#define RACKBOOT_TFTP_DROPS(X)                                                                              \
    X(malformed, warning, "not a valid TFTP packet (rackboot_tftp_malformed_total says why)")               \
    X(unexpected_opcode, warning, "a TFTP opcode that has no place on that port")                           \
    X(write_request, info, "WRQ: the appliance is read-only")                                               \
    X(unsupported_mode, warning, "mail mode")                                                               \
    X(path_refused, warning, "a path no boot file can have (rackboot_tftp_path_refused_total says why)")    \
    X(path_escape, warning, "the path leaves the boot tree (symlink or similar)")                           \
    X(permission_denied, error, "the daemon's user may not read the file or a directory above it")          \
    X(not_found, info, "no such file in the boot tree")                                                     \
    X(netboot_off, info, "the board has netboot off: its files are not found")                              \
    X(not_regular_file, warning, "a directory or device")                                                   \
    X(options_refused, warning, "an option value we cannot accept (ERROR 8)")                               \
    X(transfer_cap, error, "the configured transfer limit was reached")                                     \
    X(client_cap, warning, "the client's address holds --max-transfers-per-client transfers already")       \
    X(no_slot, error, "the worker's transfer table is full")                                                \
    X(socket_error, error, "a transfer's socket or TID could not be opened")                                \
    X(descriptors, error, "out of file descriptors (EMFILE/ENFILE): capacity, not a broken file")           \
    X(read_error, error, "reading the file failed")                                                         \
    X(file_changed, warning, "its disk image was rewritten under the transfer: failed, never served mixed") \
    X(no_root, warning, "the board's own file names its root ({root}) and the board has none yet")          \
    X(stray_ack, warning, "ACK for a block never sent")                                                     \
    X(oversized, warning, "a datagram to port 69 larger than any request (cut by the socket)")              \
    X(path_full, warning, "held for room on the path until it could no longer end before its client gives up")
// The backends' transports: what could not be received, steered or sent.
#define RACKBOOT_TRANSPORT_DROPS(X)                                                                  \
    X(unserved_port, info, "UDP to a port we serve nothing on, or a TID from another client (DPDK)") \
    X(tx_failed, error, "the kernel or the port refused a send (queue full)")                        \
    X(handoff_full, error, "another worker's hand-off ring was full (DPDK software steering)")       \
    X(unreadable_frame, error, "a multi-segment frame could not be made contiguous (no free mbuf; DPDK)")
// The worker itself.
#define RACKBOOT_INTERNAL_DROPS(X) X(log_overflow, error, "transfer log ring full, log line lost")

RACKBOOT_DEFINE_REASONS(TftpDrop, RACKBOOT_TFTP_DROPS)
RACKBOOT_DEFINE_REASONS(TransportDrop, RACKBOOT_TRANSPORT_DROPS)
RACKBOOT_DEFINE_REASONS(InternalDrop, RACKBOOT_INTERNAL_DROPS)

#define RACKBOOT_TFTP_QUIRKS(X)                                                                  \
    X(probe_abort, info, "an existence probe: OACK or DATA 1 read, then ERROR or silence")       \
    X(probe_restart, info, "the file asked again from a new port right after its probe")         \
    X(rrq_race, info, "a second RRQ for a file just started (firmware#1700); the first dropped") \
    X(rrq_retransmit, info, "an RRQ repeated from the same port; no second transfer")            \
    X(duplicate_ack, info, "an ACK repeated; nothing sent in answer (no Sorcerer's Apprentice)") \
    X(padded_ack, info, "ACKs longer than 4 bytes, zero-padded (Pi 5); counted once a transfer")

RACKBOOT_DEFINE_REASONS(Quirk, RACKBOOT_TFTP_QUIRKS)

// What a finished transfer was, as an operator reads it: the Pi's normal steps (a probe, a
// fallback lookup that finds nothing, a request replaced by its own retry) apart from refusals,
// the client's failures and the appliance's own. The detail stays in the drop and quirk families.
#define RACKBOOT_TFTP_RESULTS(X)                                                                              \
    X(complete, info, "every block acknowledged")                                                             \
    X(probe, info, "an existence probe: the client read the options or DATA 1, then ended it or asked again") \
    X(replaced, info, "the client asked again (an RRQ race, or another file from the same port) and left it") \
    X(not_found, info, "no such file: the firmware's lookups (a serial directory, recover4.elf) end here")    \
    X(netboot_off, info, "the board has netboot off, so its files are not found")                             \
    X(refused, warning,                                                                                       \
      "a request that is not served: its path, mode or options, a write, or its address holds too many")      \
    X(busy, error, "refused for capacity: the transfer limit, the table, descriptors, room on the path")      \
    X(aborted, warning, "the client ended it with an ERROR after taking it on")                               \
    X(timeout, warning, "the client stopped answering after taking the transfer on")                          \
    X(unacknowledged, warning, "ended without one datagram from the client (spoofed, flooded or gone)")       \
    X(error, error, "the appliance could not serve a file it should: a read failed, permissions, the file changed")

RACKBOOT_DEFINE_REASONS(ResultLabel, RACKBOOT_TFTP_RESULTS)

// The result of a request refused or failed for a reason.
[[nodiscard]] constexpr ResultLabel result_of(TftpDrop why) noexcept {
    switch (why) {
        case TftpDrop::not_found: return ResultLabel::not_found;
        case TftpDrop::netboot_off: return ResultLabel::netboot_off;
        case TftpDrop::transfer_cap:
        case TftpDrop::no_slot:
        case TftpDrop::descriptors:
        case TftpDrop::path_full: return ResultLabel::busy;
        case TftpDrop::permission_denied:
        case TftpDrop::read_error:
        case TftpDrop::socket_error:
        case TftpDrop::file_changed:
        case TftpDrop::no_root: return ResultLabel::error;
        default: return ResultLabel::refused;
    }
}

// A counter written by one thread and read by others.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
    }
    void set(std::uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

constexpr std::size_t kDhcpTypes = 9;  // proto::DhcpMessageType 0..8 (0: unparsed)
constexpr std::size_t kDhcpVerdicts = static_cast<std::size_t>(proto::DhcpVerdict::count_);

#define RACKBOOT_DHCP_QUIRKS(X) X(offer_without_request, info, "a Pi used an OFFER without REQUESTing it (Pi 3B ROM)")

RACKBOOT_DEFINE_REASONS(DhcpQuirk, RACKBOOT_DHCP_QUIRKS)

// Every scalar counter of a worker, once: (member, metric name and labels, type). The struct,
// the metrics page and the by-name visitor (tests' counter deltas) all come from this list;
// consecutive entries of one metric name are one family, told apart by labels. Each family's HELP
// is in the control plane's table of families (control/metrics/families.cpp).
#define RACKBOOT_WORKER_SCALARS(X)                                                        \
    X(rx_packets, "rackboot_packets_total{direction=\"rx\"}", counter)                    \
    X(tx_packets, "rackboot_packets_total{direction=\"tx\"}", counter)                    \
    X(tftp_bytes, "rackboot_tftp_bytes_total", counter)                                   \
    X(retransmits, "rackboot_tftp_retransmits_total", counter)                            \
    X(rrq_received, "rackboot_tftp_requests_total", counter)                              \
    X(cache_reads, "rackboot_cache_chunk_reads_total", counter)                           \
    X(cache_hits, "rackboot_cache_hits_total", counter)                                   \
    X(active_transfers, "rackboot_tftp_active_transfers", gauge)                          \
    X(tx_zero_copy_bytes, "rackboot_tx_zero_copy_bytes_total", counter)                   \
    X(tx_copied_bytes, "rackboot_tx_copied_bytes_total", counter)                         \
    X(udp_partial_checksums, "rackboot_udp_partial_checksums_total", counter)             \
    X(handoff_frames, "rackboot_handoff_frames_total", counter)                           \
    X(tx_checksum_offloaded, "rackboot_tx_checksum_offloaded_total", counter)             \
    X(tx_payload_sums_reused, "rackboot_tx_payload_sums_reused_total", counter)           \
    X(arp_replies, "rackboot_arp_replies_total", counter)                                 \
    X(arp_requests, "rackboot_arp_requests_total", counter)                               \
    X(icmp_replies, "rackboot_icmp_replies_total", counter)                               \
    X(dhcp_leases_in_use, "rackboot_dhcp_leases_in_use", gauge)                           \
    X(dhcp_pool_size, "rackboot_dhcp_pool_size", gauge)                                   \
    X(dhcp_lease_changes, "rackboot_dhcp_lease_changes_total", counter)                   \
    X(dhcp_replies_held, "rackboot_dhcp_replies_held", gauge)                             \
    X(admission_admitted, "rackboot_tftp_admission_total{outcome=\"admitted\"}", counter) \
    X(admission_held, "rackboot_tftp_admission_total{outcome=\"held\"}", counter)         \
    X(admission_released, "rackboot_tftp_admission_total{outcome=\"released\"}", counter) \
    X(admission_expired, "rackboot_tftp_admission_total{outcome=\"expired\"}", counter)   \
    X(tftp_held, "rackboot_tftp_held", gauge)                                             \
    X(path_rate, "rackboot_path_rate_bytes_per_second", gauge)                            \
    X(spurious_retransmits, "rackboot_tftp_spurious_retransmits_total", counter)          \
    X(resends_held, "rackboot_tftp_resends_held_total", counter)                          \
    X(dhcp_boots_admitted, "rackboot_dhcp_boots_admitted_total", counter)                 \
    X(dhcp_late_answers, "rackboot_dhcp_boots_answered_late_total", counter)              \
    X(dhcp_boots_waiting, "rackboot_dhcp_boots_waiting", gauge)                           \
    X(dhcp_boot_room, "rackboot_dhcp_boot_room", gauge)

template <typename Enum>
using CounterArray = std::array<Counter, static_cast<std::size_t>(Enum::count_)>;

struct alignas(64) WorkerCounters {
    CounterArray<TftpDrop> tftp_drops;
    CounterArray<TransportDrop> transport_drops;
    CounterArray<InternalDrop> internal_drops;
    // The detail behind tftp_drops' malformed and path_refused.
    CounterArray<proto::TftpParseError> tftp_malformed;
    CounterArray<proto::PathVerdict> tftp_path_refused;
    CounterArray<Quirk> quirks;
    CounterArray<ResultLabel> results;
    // DHCP (the worker that owns the DHCP socket)
    std::array<std::array<Counter, kDhcpVerdicts>, kDhcpTypes> dhcp_packets;
    CounterArray<DhcpQuirk> dhcp_quirks;
    // DPDK backend: frames the L2/L3 stack dropped.
    CounterArray<proto::FrameDrop> frame_drops;
#define X(member, metric, type) Counter member;
    RACKBOOT_WORKER_SCALARS(X)
#undef X

    void drop(TftpDrop r) noexcept {
        tftp_drops[static_cast<std::size_t>(r)].add();
    }
    void drop(TransportDrop r) noexcept {
        transport_drops[static_cast<std::size_t>(r)].add();
    }
    void drop(InternalDrop r) noexcept {
        internal_drops[static_cast<std::size_t>(r)].add();
    }
    // The detail behind a malformed or path_refused drop (counted with it, not instead).
    void note(proto::TftpParseError e) noexcept {
        tftp_malformed[static_cast<std::size_t>(e)].add();
    }
    void note(proto::PathVerdict v) noexcept {
        tftp_path_refused[static_cast<std::size_t>(v)].add();
    }
    void quirk(Quirk q) noexcept {
        quirks[static_cast<std::size_t>(q)].add();
    }
    void result(ResultLabel r) noexcept {
        results[static_cast<std::size_t>(r)].add();
    }
};

// Calls f(name, value) for every counter of one worker, named as in tests and logs: scalars by
// member ("retransmits"), arrays as "drop.not_found", "quirk.probe_abort", "result.complete",
// "frame_drop.runt", "dhcp_quirk.offer_without_request", "dhcp.discover.offered".
template <typename F>
void for_each_counter(const WorkerCounters& c, F&& f) {
    std::string name;
    auto each = [&](std::string_view prefix, const auto& arr, auto label) {
        for (std::size_t i = 0; i < arr.size(); ++i) {
            name.assign(prefix);
            name += '.';
            name += label(i);
            f(std::string_view(name), arr[i].get());
        }
    };
    each("drop", c.tftp_drops, [](std::size_t i) { return to_string(static_cast<TftpDrop>(i)); });
    each("drop", c.transport_drops, [](std::size_t i) { return to_string(static_cast<TransportDrop>(i)); });
    each("drop", c.internal_drops, [](std::size_t i) { return to_string(static_cast<InternalDrop>(i)); });
    each("tftp_malformed", c.tftp_malformed,
         [](std::size_t i) { return to_string(static_cast<proto::TftpParseError>(i)); });
    each("path_refused", c.tftp_path_refused,
         [](std::size_t i) { return to_string(static_cast<proto::PathVerdict>(i)); });
    each("quirk", c.quirks, [](std::size_t i) { return to_string(static_cast<Quirk>(i)); });
    each("result", c.results, [](std::size_t i) { return to_string(static_cast<ResultLabel>(i)); });
    each("frame_drop", c.frame_drops, [](std::size_t i) { return proto::to_string(static_cast<proto::FrameDrop>(i)); });
    each("dhcp_quirk", c.dhcp_quirks, [](std::size_t i) { return to_string(static_cast<DhcpQuirk>(i)); });
    for (std::size_t t = 0; t < kDhcpTypes; ++t) {
        std::string prefix = "dhcp." + std::string(proto::to_string(static_cast<proto::DhcpMessageType>(t)));
        each(prefix, c.dhcp_packets[t],
             [](std::size_t v) { return proto::to_string(static_cast<proto::DhcpVerdict>(v)); });
    }
#define X(member, metric, type) f(std::string_view(#member), c.member.get());
    RACKBOOT_WORKER_SCALARS(X)
#undef X
}

}  // namespace rackboot::dataplane
