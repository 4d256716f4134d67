// What a worker tells the control plane, as typed events on one ring out of each worker: a DHCP
// request it handled, answered or refused (DhcpRecord, from the worker that runs DHCP), and a
// transfer that ended or was refused (TransferRecord, with the Pi quirks it met). Each names the
// client by address, MAC where the backend sees one, and serial where the request carried or
// resolved through one. Fixed size and trivially copyable; a worker never waits on a full ring:
// the event is counted as lost (InternalDrop::log_overflow). The control thread drains the rings
// and fans every event out to the log, the learner and the timelines
// (control/events/event_fanout.h).
#pragma once

#include <cstddef>
#include <variant>

#include "dataplane/dhcp_record.h"
#include "dataplane/spsc_ring.h"
#include "dataplane/transfer_record.h"

namespace rackboot::dataplane {

using WorkerEvent = std::variant<DhcpRecord, TransferRecord>;
using EventRing = SpscRing<WorkerEvent>;

// Events a worker may have outstanding before the control thread drains them (it does every
// 100 ms; a rack's power-on makes a few thousand a second per worker).
constexpr std::size_t kEventRingSize = 8192;

}  // namespace rackboot::dataplane
