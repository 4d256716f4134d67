// One worker's two directions to the control plane: the ring of events out of it
// (worker_event.h) and the mailbox into it (worker_mailbox.h); how a worker answers its mailbox
// from its services, and how the API's thread releases a lease through the DHCP worker.
#pragma once

#include <cstddef>

#include "dataplane/lease_journal.h"
#include "dataplane/worker_event.h"
#include "dataplane/worker_mailbox.h"
#include "proto/clock.h"

namespace rackboot::dataplane {

class DhcpEngine;
class TftpService;

struct WorkerChannel {
    explicit WorkerChannel(std::size_t transfer_room) : events(kEventRingSize), mailbox(transfer_room) {}
    EventRing events;
    WorkerMailbox mailbox;
};

// The worker, at its quiescent point: answers the waiting request, if any, from its TFTP service
// and, on the worker that runs it, the DHCP engine (null elsewhere).
void serve_mailbox(WorkerChannel& channel, TftpService& tftp, DhcpEngine* dhcp, proto::Nanos now) noexcept;

// The API's thread: releases the lease on `ip` through the mailbox of the worker that runs DHCP,
// then waits until `journal` has made the release durable; all within `timeout_ms`.
[[nodiscard]] proto::LeaseRelease release_durably(WorkerMailbox& dhcp_worker, const LeaseJournal& journal,
                                                  proto::Ipv4 ip, int timeout_ms);

}  // namespace rackboot::dataplane
