#include "control/events/metrics.h"

#include <array>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "control/metrics/families.h"
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

void header(std::ostringstream& out, std::string_view name) {
    out << metric_header(name);
}

// One series per value of Enum, labelled `label`, from a per-worker counter array; values before
// `first` are not drop reasons (a parse error's "none", a path's "ok") and are left out.
template <typename Enum, std::size_t N>
void family_series(std::ostringstream& out, std::string_view name, std::string_view label, const Workers& ws,
                   std::array<dataplane::Counter, N> WorkerCounters::*member, std::size_t first = 0) {
    for (std::size_t i = first; i < N; ++i) {
        out << name << '{' << label << "=\"" << to_string(static_cast<Enum>(i)) << "\"} "
            << sum(ws, [member, i](const WorkerCounters& w) { return (w.*member)[i].get(); }) << '\n';
    }
}

}  // namespace

std::string render_metrics(const Workers& ws) {
    std::ostringstream out;
    header(out, "rackboot_tftp_transfers_total");
    family_series<dataplane::ResultLabel>(out, "rackboot_tftp_transfers_total", "result", ws, &WorkerCounters::results);
    header(out, "rackboot_tftp_quirks_total");
    family_series<dataplane::Quirk>(out, "rackboot_tftp_quirks_total", "quirk", ws, &WorkerCounters::quirks);
    header(out, "rackboot_drops_total");
    family_series<dataplane::TftpDrop>(out, "rackboot_drops_total", "reason", ws, &WorkerCounters::tftp_drops);
    family_series<dataplane::TransportDrop>(out, "rackboot_drops_total", "reason", ws,
                                            &WorkerCounters::transport_drops);
    family_series<dataplane::InternalDrop>(out, "rackboot_drops_total", "reason", ws, &WorkerCounters::internal_drops);
    header(out, "rackboot_tftp_malformed_total");
    family_series<proto::TftpParseError>(out, "rackboot_tftp_malformed_total", "error", ws,
                                         &WorkerCounters::tftp_malformed, 1);
    header(out, "rackboot_tftp_path_refused_total");
    family_series<proto::PathVerdict>(out, "rackboot_tftp_path_refused_total", "verdict", ws,
                                      &WorkerCounters::tftp_path_refused, 1);
    // One series per scalar counter (RACKBOOT_WORKER_SCALARS); a family's HELP once.
    std::string_view family;
#define X(member, metric, type)                                                             \
    if (std::string_view(metric).substr(0, std::string_view(metric).find('{')) != family) { \
        family = std::string_view(metric).substr(0, std::string_view(metric).find('{'));    \
        header(out, family);                                                                \
    }                                                                                       \
    out << metric << ' ' << sum(ws, [](const WorkerCounters& w) { return w.member.get(); }) << '\n';
    RACKBOOT_WORKER_SCALARS(X)
#undef X
    header(out, "rackboot_frame_drops_total");
    family_series<proto::FrameDrop>(out, "rackboot_frame_drops_total", "reason", ws, &WorkerCounters::frame_drops);
    header(out, "rackboot_dhcp_packets_total");
    for (std::size_t t = 0; t < dataplane::kDhcpTypes; ++t) {
        for (std::size_t v = 0; v < dataplane::kDhcpVerdicts; ++v) {
            out << "rackboot_dhcp_packets_total{type=\"" << to_string(static_cast<proto::DhcpMessageType>(t))
                << "\",result=\"" << to_string(static_cast<proto::DhcpVerdict>(v)) << "\"} "
                << sum(ws, [t, v](const WorkerCounters& w) { return w.dhcp_packets[t][v].get(); }) << '\n';
        }
    }
    header(out, "rackboot_dhcp_quirks_total");
    family_series<dataplane::DhcpQuirk>(out, "rackboot_dhcp_quirks_total", "quirk", ws, &WorkerCounters::dhcp_quirks);
    header(out, "rackboot_worker_active_transfers");
    for (std::size_t i = 0; i < ws.size(); ++i) {
        out << "rackboot_worker_active_transfers{worker=\"" << i << "\"} " << ws[i]->active_transfers.get() << '\n';
    }
    return out.str();
}

std::string render_port_metrics(const dataplane::PortStats& port) {
    std::ostringstream out;
    header(out, "rackboot_port_rx_missed_total");
    out << "rackboot_port_rx_missed_total " << port.rx_missed << '\n';
    header(out, "rackboot_port_rx_no_mbuf_total");
    out << "rackboot_port_rx_no_mbuf_total " << port.rx_no_mbuf << '\n';
    header(out, "rackboot_port_tx_errors_total");
    out << "rackboot_port_tx_errors_total " << port.tx_errors << '\n';
    return out.str();
}

std::string render_lease_store_metrics(const dataplane::LeaseJournal& journal) {
    std::ostringstream out;
    header(out, "rackboot_lease_store_up");
    out << "rackboot_lease_store_up " << (journal.store_up() ? 1 : 0) << '\n';
    header(out, "rackboot_lease_store_failures_total");
    out << "rackboot_lease_store_failures_total " << journal.store_failures() << '\n';
    return out.str();
}

}  // namespace rackboot::control
