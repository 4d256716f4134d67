#include "control/events/event_fanout.h"

#include <variant>

#include "control/events/event_log.h"

namespace rackboot::control {

void EventFanout::drain(dataplane::EventRing& ring, std::int64_t now_ms) {
    dataplane::WorkerEvent event;
    bool any = false;
    while (ring.pop(event)) {
        deliver(event, now_ms);
        any = true;
    }
    if (any) std::fflush(log_);
}

void EventFanout::deliver(const dataplane::WorkerEvent& event, std::int64_t now_ms) {
    if (const auto* dhcp = std::get_if<dataplane::DhcpRecord>(&event)) {
        on_dhcp(*dhcp, now_ms);
    } else {
        on_transfer(std::get<dataplane::TransferRecord>(event), now_ms);
    }
}

std::string EventFanout::conflict_sides(const dataplane::DhcpRecord& r) const {
    std::string macs;
    if (r.serial && sinks_.configured_macs) {
        for (proto::Mac m : sinks_.configured_macs(*r.serial)) macs += (macs.empty() ? "" : ",") + m.to_string();
    }
    std::string line = " board_macs=" + (macs.empty() ? std::string("none") : macs);
    std::optional<proto::Serial> owner = sinks_.serial_of_mac ? sinks_.serial_of_mac(r.mac) : std::nullopt;
    if (owner && owner != r.serial) line += " mac_belongs_to=" + owner->to_string();
    return line + " from=\"" + dhcp_origin(r) + "\"";
}

void EventFanout::on_dhcp(const dataplane::DhcpRecord& r, std::int64_t now_ms) {
    std::string line = format_dhcp(r);
    if (r.verdict == proto::DhcpVerdict::identity_conflict) line += conflict_sides(r);
    std::fprintf(log_, "%s\n", line.c_str());
    if (sinks_.learn && r.verdict == proto::DhcpVerdict::replied && (r.serial || !r.yiaddr.unset())) {
        sinks_.learn(DhcpLesson{r.mac, r.serial, r.yiaddr, r.model, dhcp_origin(r)});
    }
    timeline_.on_dhcp(r, now_ms);
}

void EventFanout::on_transfer(const dataplane::TransferRecord& r, std::int64_t now_ms) {
    std::fprintf(log_, "%s\n", format_transfer(r).c_str());
    timeline_.on_transfer(r, now_ms);
}

}  // namespace rackboot::control
