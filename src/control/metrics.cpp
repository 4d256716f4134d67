#include "control/metrics.h"

#include <cstdint>
#include <sstream>

#include "proto/dhcp_codec.h"
#include "proto/dhcp_responder.h"

namespace rackboot::control {

namespace {

using dataplane::WorkerCounters;
using Workers = std::vector<const WorkerCounters*>;

template <typename Get>
std::uint64_t sum(const Workers& ws, Get get) {
    std::uint64_t total = 0;
    for (const WorkerCounters* w : ws) total += get(*w);
    return total;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

std::string render_metrics(const Workers& ws) {
    std::ostringstream out;
    header(out, "rackboot_tftp_transfers_total", "counter", "TFTP transfers finished, by result.");
    for (std::size_t i = 0; i < static_cast<std::size_t>(dataplane::ResultLabel::count_); ++i) {
        out << "rackboot_tftp_transfers_total{result=\"" << to_string(static_cast<dataplane::ResultLabel>(i))
            << "\"} " << sum(ws, [i](const WorkerCounters& w) { return w.results[i].get(); }) << '\n';
    }
    header(out, "rackboot_tftp_quirks_total", "counter", "Raspberry Pi bootloader quirks recognised.");
    for (std::size_t i = 0; i < static_cast<std::size_t>(dataplane::Quirk::count_); ++i) {
        out << "rackboot_tftp_quirks_total{quirk=\"" << to_string(static_cast<dataplane::Quirk>(i)) << "\"} "
            << sum(ws, [i](const WorkerCounters& w) { return w.quirks[i].get(); }) << '\n';
    }
    header(out, "rackboot_drops_total", "counter", "Packets dropped or requests refused, by reason.");
    for (std::size_t i = 0; i < static_cast<std::size_t>(dataplane::DropReason::count_); ++i) {
        out << "rackboot_drops_total{reason=\"" << to_string(static_cast<dataplane::DropReason>(i)) << "\"} "
            << sum(ws, [i](const WorkerCounters& w) { return w.drops[i].get(); }) << '\n';
    }
    // One unlabelled series per member counter.
    struct Scalar {
        const char* name;
        const char* type;
        const char* help;
        dataplane::Counter WorkerCounters::*member;
    };
    static constexpr Scalar kScalars[] = {
        {"rackboot_tftp_bytes_total", "counter", "File bytes sent in DATA packets, retransmits included.",
         &WorkerCounters::tftp_bytes},
        {"rackboot_tftp_retransmits_total", "counter", "DATA and OACK packets resent on timeout.",
         &WorkerCounters::retransmits},
        {"rackboot_tftp_requests_total", "counter", "Read requests received.", &WorkerCounters::rrq_received},
        {"rackboot_cache_chunk_reads_total", "counter", "Block cache chunks read from disk.",
         &WorkerCounters::cache_reads},
        {"rackboot_cache_hits_total", "counter", "Block cache chunk lookups served from memory.",
         &WorkerCounters::cache_hits},
        {"rackboot_tftp_active_transfers", "gauge", "TFTP transfers in progress.", &WorkerCounters::active_transfers},
        {"rackboot_tx_zero_copy_bytes_total", "counter", "Payload bytes sent by reference from the block cache (DPDK).",
         &WorkerCounters::tx_zero_copy_bytes},
        {"rackboot_tx_copied_bytes_total", "counter", "Payload bytes copied into packet buffers (DPDK).",
         &WorkerCounters::tx_copied_bytes},
        {"rackboot_udp_partial_checksums_total", "counter",
         "UDP datagrams accepted with a kernel peer's partial checksum (veth offload; DPDK).",
         &WorkerCounters::udp_partial_checksums},
        {"rackboot_handoff_frames_total", "counter",
         "Frames a DPDK worker passed to the worker that owns them (software steering, DHCP).",
         &WorkerCounters::handoff_frames},
        {"rackboot_tx_checksum_offloaded_total", "counter",
         "UDP datagrams whose checksum the port computes (TX offload; DPDK).", &WorkerCounters::tx_checksum_offloaded},
        {"rackboot_tx_payload_sums_reused_total", "counter",
         "Block-cache payload pieces whose checksum sum was remembered, not recomputed (DPDK).",
         &WorkerCounters::tx_payload_sums_reused},
        {"rackboot_arp_replies_total", "counter", "ARP requests for our address answered (DPDK backend).",
         &WorkerCounters::arp_replies},
        {"rackboot_arp_requests_total", "counter", "ARP requests sent for the gateway's MAC (DPDK backend).",
         &WorkerCounters::arp_requests},
        {"rackboot_icmp_replies_total", "counter", "ICMP echo requests answered (DPDK backend).",
         &WorkerCounters::icmp_replies},
        {"rackboot_dhcp_leases_in_use", "gauge", "DHCP leases offered or bound and not expired.",
         &WorkerCounters::dhcp_leases_in_use},
        {"rackboot_dhcp_pool_size", "gauge", "Addresses in the DHCP pool.", &WorkerCounters::dhcp_pool_size},
    };
    for (const Scalar& m : kScalars) {
        header(out, m.name, m.type, m.help);
        out << m.name << ' ' << sum(ws, [&m](const WorkerCounters& w) { return (w.*m.member).get(); }) << '\n';
    }
    header(out, "rackboot_packets_total", "counter", "UDP datagrams, by direction.");
    out << "rackboot_packets_total{direction=\"rx\"} "
        << sum(ws, [](const WorkerCounters& w) { return w.rx_packets.get(); }) << '\n';
    out << "rackboot_packets_total{direction=\"tx\"} "
        << sum(ws, [](const WorkerCounters& w) { return w.tx_packets.get(); }) << '\n';
    header(out, "rackboot_frame_drops_total", "counter", "Frames the DPDK backend's L2/L3 stack dropped, by reason.");
    for (std::size_t i = 0; i < static_cast<std::size_t>(proto::FrameDrop::count_); ++i) {
        out << "rackboot_frame_drops_total{reason=\"" << to_string(static_cast<proto::FrameDrop>(i)) << "\"} "
            << sum(ws, [i](const WorkerCounters& w) { return w.frame_drops[i].get(); }) << '\n';
    }
    header(out, "rackboot_dhcp_packets_total", "counter", "DHCP messages received, by message type and outcome.");
    for (std::size_t t = 0; t < dataplane::kDhcpTypes; ++t) {
        for (std::size_t v = 0; v < dataplane::kDhcpVerdicts; ++v) {
            out << "rackboot_dhcp_packets_total{type=\"" << to_string(static_cast<proto::DhcpMessageType>(t))
                << "\",result=\"" << to_string(static_cast<proto::DhcpVerdict>(v)) << "\"} "
                << sum(ws, [t, v](const WorkerCounters& w) { return w.dhcp_packets[t][v].get(); }) << '\n';
        }
    }
    header(out, "rackboot_dhcp_quirks_total", "counter", "Raspberry Pi DHCP client quirks recognised.");
    for (std::size_t q = 0; q < static_cast<std::size_t>(dataplane::DhcpQuirk::count_); ++q) {
        out << "rackboot_dhcp_quirks_total{quirk=\"" << to_string(static_cast<dataplane::DhcpQuirk>(q)) << "\"} "
            << sum(ws, [q](const WorkerCounters& w) { return w.dhcp_quirks[q].get(); }) << '\n';
    }
    header(out, "rackboot_worker_active_transfers", "gauge", "TFTP transfers in progress, by worker.");
    for (std::size_t i = 0; i < ws.size(); ++i) {
        out << "rackboot_worker_active_transfers{worker=\"" << i << "\"} " << ws[i]->active_transfers.get() << '\n';
    }
    return out.str();
}

}  // namespace rackboot::control
