#include "control/metrics/families.h"

#include <algorithm>

namespace rackboot::control {

namespace {

// Every metric family rackbootd exposes: its name, type and HELP. The /metrics page, the
// reference `rackbootd --list-metrics` prints and the man page all read this table.
constexpr MetricFamily kFamilies[] = {
    // Boots (the control plane's boot timelines)
    {"rackboot_boots_total", "counter",
     "Boots finished, by the Pi's model (pi3, pi4, pi5, unknown) and result: booted (the kernel and cmdline.txt "
     "arrived whole), failed (it stopped after a file that was refused, failed or timed out), netboot_off (its board "
     "has netboot off), abandoned (it stopped with none of these)."},
    {"rackboot_boot_duration_seconds", "histogram",
     "Time from a Pi's first DISCOVER (or first request) to its kernel and cmdline.txt arriving whole, for booted "
     "boots, by model."},
    {"rackboot_boot_phase_seconds", "histogram",
     "Time a booted boot spent in each phase: dhcp (first DISCOVER to the last answer before the first request), then "
     "each file role (firmware, config, device_tree, kernel, initramfs, other) from its first request to its last "
     "transfer's end."},
    {"rackboot_boots_in_progress", "gauge",
     "Boots under way, by the phase their last step was in (dhcp, firmware, config, device_tree, kernel, initramfs, "
     "other)."},
    {"rackboot_tftp_transfer_duration_seconds", "histogram",
     "Time from request to last acknowledgement of complete transfers, by file role."},
    {"rackboot_tftp_transfer_rate_bytes_per_second", "histogram",
     "File bytes per second of complete transfers of 64 KiB or more (smaller files are a round trip, not a rate)."},
    {"rackboot_timelines", "gauge", "Boot timelines kept (boards, and the last serials no board has)."},
    {"rackboot_timelines_forgotten_total", "counter", "Timelines of serials no board has, let go to bound them."},
    // TFTP and DHCP (summed over the workers)
    {"rackboot_tftp_transfers_total", "counter",
     "TFTP transfers finished, by result: complete; the Pi's normal steps (probe, replaced, not_found, netboot_off); "
     "refused, busy, aborted, timeout, unacknowledged, error. GET /api/v1/reasons describes each."},
    {"rackboot_tftp_quirks_total", "counter", "Raspberry Pi bootloader quirks recognised."},
    {"rackboot_drops_total", "counter", "Packets dropped or requests refused, by reason."},
    {"rackboot_tftp_malformed_total", "counter", "Malformed TFTP datagrams, by what the parser found."},
    {"rackboot_tftp_path_refused_total", "counter", "Request paths refused before any lookup, by why."},
    {"rackboot_packets_total", "counter", "UDP datagrams, by direction."},
    {"rackboot_tftp_bytes_total", "counter", "File bytes sent in DATA packets, retransmits included."},
    {"rackboot_tftp_retransmits_total", "counter", "DATA and OACK packets resent on timeout."},
    {"rackboot_tftp_requests_total", "counter", "Read requests received."},
    {"rackboot_cache_chunk_reads_total", "counter", "Block cache chunks read from disk."},
    {"rackboot_cache_hits_total", "counter", "Block cache chunk lookups served from memory."},
    {"rackboot_tftp_active_transfers", "gauge", "TFTP transfers in progress."},
    {"rackboot_tx_zero_copy_bytes_total", "counter", "Payload bytes sent by reference from the block cache (DPDK)."},
    {"rackboot_tx_copied_bytes_total", "counter", "Payload bytes copied into packet buffers (DPDK)."},
    {"rackboot_udp_partial_checksums_total", "counter",
     "UDP datagrams accepted with a kernel peer's partial checksum (veth offload; DPDK)."},
    {"rackboot_handoff_frames_total", "counter",
     "Frames a DPDK worker passed to the worker that owns them (software steering, DHCP)."},
    {"rackboot_tx_checksum_offloaded_total", "counter",
     "UDP datagrams whose checksum the port computes (TX offload; DPDK)."},
    {"rackboot_tx_payload_sums_reused_total", "counter",
     "Block-cache payload pieces whose checksum sum was remembered, not recomputed (DPDK)."},
    {"rackboot_arp_replies_total", "counter", "ARP requests for our address answered (DPDK backend)."},
    {"rackboot_arp_requests_total", "counter", "ARP requests sent for the gateway's MAC (DPDK backend)."},
    {"rackboot_icmp_replies_total", "counter", "ICMP echo requests answered (DPDK backend)."},
    {"rackboot_dhcp_leases_in_use", "gauge", "DHCP leases offered or bound and not expired."},
    {"rackboot_dhcp_pool_size", "gauge", "Addresses in the DHCP pool."},
    {"rackboot_dhcp_lease_changes_total", "counter", "Lease records changed and handed to the lease store to write."},
    {"rackboot_dhcp_replies_held", "gauge", "DHCP replies waiting for their lease to be durable."},
    {"rackboot_tftp_admission_total", "counter",
     "Transfers by how admission to the path took them: started at once, held, started after holding, refused after "
     "holding (they could no longer end before their client gives up)."},
    {"rackboot_tftp_held", "gauge", "Transfers whose first DATA waits for room on the path."},
    {"rackboot_path_rate_bytes_per_second", "gauge",
     "The rate the worker's transfers are acknowledged at: the best second of the last ten (sum over workers: the "
     "port's)."},
    {"rackboot_tftp_spurious_retransmits_total", "counter",
     "DATA resent on timeout whose original was acknowledged after all (the ACK came sooner than a round trip after "
     "the resend): a duplicate the client did not need."},
    {"rackboot_tftp_resends_held_total", "counter",
     "Resends on timeout held back because no transfer on the worker had an ACK for a whole timeout: the host or the "
     "path stalled, and the ACKs were late, not lost (each resend is held a quarter of a second at most)."},
    {"rackboot_dhcp_boots_admitted_total", "counter",
     "Boot firmware DISCOVERs answered by admission to the path (a boot let start)."},
    {"rackboot_dhcp_boots_answered_late_total", "counter",
     "Held boot firmware DISCOVERs answered when room was granted, while their Pi still listened."},
    {"rackboot_dhcp_boots_waiting", "gauge", "Pis whose boot waits at DHCP for room on the path."},
    {"rackboot_dhcp_boot_room", "gauge",
     "Boots the measured path rate has room for at once (each with its largest file in flight)."},
    {"rackboot_frame_drops_total", "counter", "Frames the DPDK backend's L2/L3 stack dropped, by reason."},
    {"rackboot_dhcp_packets_total", "counter", "DHCP messages received, by message type and outcome."},
    {"rackboot_dhcp_quirks_total", "counter", "Raspberry Pi DHCP client quirks recognised."},
    {"rackboot_worker_active_transfers", "gauge", "TFTP transfers in progress, by worker."},
    // The DPDK port and the lease store
    {"rackboot_port_rx_missed_total", "counter",
     "Frames the port dropped because its RX ring was full (the workers did not poll in time)."},
    {"rackboot_port_rx_no_mbuf_total", "counter", "Frames the port dropped for want of a buffer."},
    {"rackboot_port_tx_errors_total", "counter", "Frames the port could not send."},
    {"rackboot_lease_store_up", "gauge", "1 while the lease store commits; 0 while it retries a failed batch."},
    {"rackboot_lease_store_failures_total", "counter",
     "Times the lease store could not commit (disk full, I/O error) and went down to retry."},
    // The control plane
    {"rackboot_boot_maps_published_total", "counter", "Boot maps built and handed to the workers."},
    {"rackboot_boards_discovered_total", "counter", "Boards --auto-discover created."},
    {"rackboot_discover_refused_total", "counter", "Unknown serials not made boards, by the bound that held."},
    {"rackboot_roots", "gauge", "Boards with a root of their own, by kind."},
    {"rackboot_root_server_up", "gauge",
     "Whether the server exporting roots runs (1) or not (0; started with the first root of its kind)."},
    {"rackboot_root_server_starts_total", "counter", "Times rackbootd started a roots server (again after it exited)."},
    {"rackboot_api_connections", "gauge", "HTTP connections open."},
    {"rackboot_api_requests_total", "counter", "HTTP requests received."},
    {"rackboot_api_refused_total", "counter",
     "HTTP connections closed at accept or cut, and requests refused, by reason."},
    {"rackboot_api_event_streams", "gauge", "Event streams open."},
    {"rackboot_events_published_total", "counter", "Events published on the event stream since the start."},
    {"rackboot_events_lost_total", "counter",
     "Events a stream's subscriber wanted and did not get: it fell behind the history, or resumed after it."},
    {"rackboot_event_history", "gauge", "Events the stream keeps for subscribers to replay (Last-Event-ID)."},
    {"rackboot_event_last_id", "gauge", "The last event id handed out (ids only grow, across restarts too)."},
    // The process (as Prometheus client libraries name them)
    {"rackboot_build_info", "gauge", "The running rackbootd: its version and dataplane backend (always 1)."},
    {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."},
    {"process_open_fds", "gauge", "Number of open file descriptors."},
    {"process_max_fds", "gauge", "Maximum number of open file descriptors."},
    {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
    {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
    {"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."},
};

}  // namespace

std::span<const MetricFamily> metric_families() noexcept {
    return kFamilies;
}

const MetricFamily* find_metric_family(std::string_view name) noexcept {
    const auto* it = std::find_if(std::begin(kFamilies), std::end(kFamilies),
                                  [name](const MetricFamily& f) { return f.name == name; });
    return it == std::end(kFamilies) ? nullptr : it;
}

std::string metric_header(std::string_view name) {
    const MetricFamily* f = find_metric_family(name);
    std::string out = "# HELP ";
    out += name;
    out += ' ';
    // A family missing from the table says so on the page (a test reads every HELP for it).
    out += f != nullptr ? f->help : std::string_view("undocumented");
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += f != nullptr ? f->type : std::string_view("untyped");
    out += '\n';
    return out;
}

std::string metrics_reference() {
    std::string out;
    for (const MetricFamily& f : kFamilies) {
        out += f.name;
        out += " (";
        out += f.type;
        out += ")\n    ";
        out += f.help;
        out += '\n';
    }
    return out;
}

}  // namespace rackboot::control
