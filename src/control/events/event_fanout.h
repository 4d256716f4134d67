// The control thread's end of the workers' event rings (dataplane/worker_event.h): each event is
// drained once and handed, in order, to the log (a key=value line on the log stream), the learner
// (what an answered DHCP request taught: option 97's MAC <-> serial, the address given) and the
// boot timelines. Only answered requests teach: a refused claim (identity_conflict,
// netboot_off, a flood's rate_limited) never reaches a board. An identity conflict's log line
// names both sides: the MACs the board lists and the board the claiming MAC belongs to.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/events/boot_timeline.h"
#include "dataplane/worker_event.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::control {

// What an answered DHCP request taught: `mac` claimed `serial` (option 97) and/or was given `ip`
// (unset: none), its model (4 or 5; 0 unknown), and where it came from ("relay A.B.C.D",
// "interface NAME", "direct").
struct DhcpLesson {
    proto::Mac mac;
    std::optional<proto::Serial> serial;
    proto::Ipv4 ip;
    int model = 0;
    std::string from;
};

class EventFanout {
public:
    struct Sinks {
        std::function<void(const DhcpLesson&)> learn;  // null: nothing is learnt
        // The boards' side of an identity conflict, for its log line (null: not named).
        std::function<std::vector<proto::Mac>(proto::Serial serial)> configured_macs;
        std::function<std::optional<proto::Serial>(proto::Mac mac)> serial_of_mac;
    };

    // Log lines go to `log` (stdout in the daemon), flushed after each drain.
    EventFanout(BootTimeline& timeline, Sinks sinks, std::FILE* log = stdout)
        : timeline_(timeline), sinks_(std::move(sinks)), log_(log) {}

    // Everything waiting on one worker's ring.
    void drain(dataplane::EventRing& ring, std::int64_t now_ms);
    // One event.
    void deliver(const dataplane::WorkerEvent& event, std::int64_t now_ms);
    // The log line an identity conflict gets after format_dhcp()'s: both sides of the claim.
    [[nodiscard]] std::string conflict_sides(const dataplane::DhcpRecord& r) const;

private:
    void on_dhcp(const dataplane::DhcpRecord& r, std::int64_t now_ms);
    void on_transfer(const dataplane::TransferRecord& r, std::int64_t now_ms);

    BootTimeline& timeline_;
    Sinks sinks_;
    std::FILE* log_;
};

}  // namespace rackboot::control
