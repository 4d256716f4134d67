#include "control/metrics.h"

#include <cstdint>
#include <sstream>
#include <string_view>

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

void header(std::ostringstream& out, std::string_view name, const char* type, const char* help) {
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
    // One series per scalar counter (RACKBOOT_WORKER_SCALARS); a family's HELP once.
    std::string_view family;
#define X(member, metric, type, help)                                                              \
    if (std::string_view(metric).substr(0, std::string_view(metric).find('{')) != family) {       \
        family = std::string_view(metric).substr(0, std::string_view(metric).find('{'));           \
        header(out, family, #type, help);                                                          \
    }                                                                                              \
    out << metric << ' ' << sum(ws, [](const WorkerCounters& w) { return w.member.get(); }) << '\n';
    RACKBOOT_WORKER_SCALARS(X)
#undef X
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
