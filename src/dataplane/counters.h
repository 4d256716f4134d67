// Per-worker counters. Each worker writes only its own block with plain relaxed stores (no locked
// instructions); the control thread sums the blocks when it is asked (VPP's per-thread counters).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/dhcp_responder.h"
#include "proto/net_frames.h"

namespace rackboot::dataplane {

// Why a packet or request was dropped or refused. The name is the metric label.
#define RACKBOOT_DROP_REASONS(X)                                                                   \
    X(malformed, "not a valid TFTP packet")                                                        \
    X(unexpected_opcode, "a TFTP opcode that has no place on that port")                           \
    X(write_request, "WRQ: the appliance is read-only")                                            \
    X(unsupported_mode, "mail mode")                                                               \
    X(path_refused, "absolute path, '..', backslash, control character or over-long name")         \
    X(path_escape, "the path leaves the boot tree (symlink or similar)")                           \
    X(not_found, "no such file in the boot tree")                                                  \
    X(not_regular_file, "a directory or device")                                                   \
    X(options_refused, "an option value we cannot accept (ERROR 8)")                               \
    X(transfer_cap, "the configured transfer limit was reached")                                   \
    X(no_slot, "the worker's transfer table is full")                                              \
    X(socket_error, "a transfer socket could not be opened")                                       \
    X(read_error, "reading the file failed")                                                       \
    X(stray_ack, "ACK for a block never sent")                                                     \
    X(unserved_port, "UDP to a port we serve nothing on, or a TID from another client (DPDK)")     \
    X(tx_failed, "the kernel refused a send (queue full)")                                         \
    X(handoff_full, "another worker's hand-off ring was full (DPDK software steering)")            \
    X(log_overflow, "transfer log ring full, log line lost")

enum class DropReason : std::uint8_t {
#define X(name, text) name,
    RACKBOOT_DROP_REASONS(X)
#undef X
    count_
};

#define RACKBOOT_TFTP_QUIRKS(X)                                                                    \
    X(probe_abort)                                                                                 \
    X(probe_restart)                                                                               \
    X(rrq_race)                                                                                    \
    X(rrq_retransmit)                                                                              \
    X(duplicate_ack)

enum class Quirk : std::uint8_t {
#define X(name) name,
    RACKBOOT_TFTP_QUIRKS(X)
#undef X
    count_
};

// Results a finished transfer is counted under (proto::TftpResult less Running).
#define RACKBOOT_TFTP_RESULTS(X)                                                                   \
    X(complete)                                                                                    \
    X(aborted)                                                                                     \
    X(timeout)                                                                                     \
    X(error)

enum class ResultLabel : std::uint8_t {
#define X(name) name,
    RACKBOOT_TFTP_RESULTS(X)
#undef X
    count_
};

[[nodiscard]] std::string_view to_string(DropReason r) noexcept;
[[nodiscard]] std::string_view to_string(Quirk q) noexcept;
[[nodiscard]] std::string_view to_string(ResultLabel r) noexcept;

// A counter written by one thread and read by others.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void sub(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
    void set(std::uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

constexpr std::size_t kDhcpTypes = 9;  // proto::DhcpMessageType 0..8 (0: unparsed)
constexpr std::size_t kDhcpVerdicts = static_cast<std::size_t>(proto::DhcpVerdict::count_);

#define RACKBOOT_DHCP_QUIRKS(X) X(offer_without_request)

enum class DhcpQuirk : std::uint8_t {
#define X(name) name,
    RACKBOOT_DHCP_QUIRKS(X)
#undef X
    count_
};
[[nodiscard]] std::string_view to_string(DhcpQuirk q) noexcept;

struct alignas(64) WorkerCounters {
    std::array<Counter, static_cast<std::size_t>(DropReason::count_)> drops;
    std::array<Counter, static_cast<std::size_t>(Quirk::count_)> quirks;
    std::array<Counter, static_cast<std::size_t>(ResultLabel::count_)> results;
    Counter rx_packets;
    Counter tx_packets;
    Counter tftp_bytes;       // file payload bytes sent, retransmits included
    Counter retransmits;      // DATA/OACK packets resent on timeout
    Counter rrq_received;
    Counter cache_reads;      // chunks read from disk into the block cache
    Counter cache_hits;       // chunk lookups served from memory
    Counter active_transfers; // gauge
    // DHCP (the worker that owns the DHCP socket)
    std::array<std::array<Counter, kDhcpVerdicts>, kDhcpTypes> dhcp_packets;
    std::array<Counter, static_cast<std::size_t>(DhcpQuirk::count_)> dhcp_quirks;
    // DPDK backend: frames the L2/L3 stack dropped, and what it answered itself.
    std::array<Counter, static_cast<std::size_t>(proto::FrameDrop::count_)> frame_drops;
    Counter tx_zero_copy_bytes;    // payload sent from the block cache by reference
    Counter tx_copied_bytes;       // payload copied into packet buffers
    Counter udp_partial_checksums;  // accepted CHECKSUM_PARTIAL from kernel peers (veth offload)
    Counter handoff_frames;         // frames passed to the worker that owns them (DPDK)
    Counter tx_checksum_offloaded;  // UDP datagrams whose checksum the port computes
    Counter tx_payload_sums_reused; // payload pieces whose checksum sum came from the memo
    Counter arp_replies;
    Counter arp_requests;           // ARP requests sent for the gateway
    Counter icmp_replies;
    Counter dhcp_leases_in_use;  // gauge: offered or bound, not expired
    Counter dhcp_pool_size;      // gauge

    void drop(DropReason r) noexcept { drops[static_cast<std::size_t>(r)].add(); }
    void quirk(Quirk q) noexcept { quirks[static_cast<std::size_t>(q)].add(); }
    void result(ResultLabel r) noexcept { results[static_cast<std::size_t>(r)].add(); }
};

}  // namespace rackboot::dataplane
