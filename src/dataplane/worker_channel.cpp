#include "dataplane/worker_channel.h"

#include <chrono>
#include <thread>

#include "dataplane/dhcp_engine.h"
#include "dataplane/tftp_service.h"

namespace rackboot::dataplane {

namespace {

// What a worker's services answer its mailbox with.
struct Desk {
    TftpService& tftp;
    DhcpEngine* dhcp;
    proto::Nanos now;

    std::size_t list_transfers(TransferView* out, std::size_t room, bool& more) noexcept {
        return tftp.list_transfers(out, room, more, now);
    }
    LeaseReleaseStep release_lease(proto::Ipv4 ip) noexcept {
        return dhcp != nullptr ? dhcp->release_now(ip) : LeaseReleaseStep{};
    }
};

}  // namespace

void serve_mailbox(WorkerChannel& channel, TftpService& tftp, DhcpEngine* dhcp, proto::Nanos now) noexcept {
    if (!channel.mailbox.pending()) return;
    Desk desk{tftp, dhcp, now};
    channel.mailbox.serve(desk);
}

proto::LeaseRelease release_durably(WorkerMailbox& dhcp_worker, const LeaseJournal& journal, proto::Ipv4 ip,
                                    int timeout_ms) {
    using proto::LeaseRelease;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::optional<LeaseReleaseStep> step = dhcp_worker.release_lease(ip, timeout_ms);
    if (!step) return LeaseRelease::not_durable_in_time;
    if (step->outcome != LeaseRelease::released) return step->outcome;
    while (journal.committed() < step->seq) {
        if (std::chrono::steady_clock::now() > deadline) return LeaseRelease::not_durable_in_time;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return LeaseRelease::released;
}

}  // namespace rackboot::dataplane
