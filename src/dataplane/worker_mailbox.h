// Requests into one worker, answered at its quiescent point (the top of its loop, where it holds
// nothing): with the boot map's RCU cell (snapshot_cell.h), the only way the control plane reaches
// a worker's state. Requests are typed and come one at a time; the asker waits for the answer,
// up to a timeout, and the worker answers without blocking or allocating:
// - ListTransfers: a copy of its live transfers, into a buffer sized at start (GET
//   /api/v1/transfers);
// - ReleaseLease: release the lease on an address in its lease table, as its one writer (DELETE
//   /api/v1/leases/IP); the answer names the journal change to wait for (worker_channel.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "dataplane/transfer_view.h"
#include "proto/dhcp_leases.h"
#include "proto/ipv4.h"

namespace rackboot::dataplane {

struct ListTransfers {};
struct ReleaseLease {
    proto::Ipv4 ip;
};
using WorkerRequest = std::variant<ListTransfers, ReleaseLease>;

struct TransferList {
    std::vector<TransferView> views;
    bool truncated = false;  // the worker had more than kMaxListed
};

// What the worker did with a ReleaseLease: `seq` is the lease journal's change that releases it
// (when `outcome` is released, durable once the journal has committed it).
struct LeaseReleaseStep {
    proto::LeaseRelease outcome = proto::LeaseRelease::not_a_server;
    std::uint64_t seq = 0;
};

class WorkerMailbox {
public:
    static constexpr std::size_t kMaxListed = 4096;  // transfers one answer lists

    explicit WorkerMailbox(std::size_t transfer_room)
        : views_(transfer_room < kMaxListed ? transfer_room : kMaxListed) {}
    WorkerMailbox(const WorkerMailbox&) = delete;
    WorkerMailbox& operator=(const WorkerMailbox&) = delete;

    // The asker (any thread; askers take turns). nullopt: the worker did not answer within
    // `timeout_ms` (stopped, or stuck).
    [[nodiscard]] std::optional<TransferList> list_transfers(int timeout_ms);
    [[nodiscard]] std::optional<LeaseReleaseStep> release_lease(proto::Ipv4 ip, int timeout_ms);

    // The worker, at the top of its loop: whether a request waits.
    [[nodiscard]] bool pending() const noexcept {
        return asked_.load(std::memory_order_acquire) != answered_.load(std::memory_order_relaxed);
    }
    // The worker answers the waiting request through `desk`, which has
    //   std::size_t list_transfers(TransferView* out, std::size_t room, bool& more) noexcept;
    //   LeaseReleaseStep release_lease(proto::Ipv4 ip) noexcept;
    template <class Desk>
    void serve(Desk& desk) noexcept {
        std::uint64_t want = asked_.load(std::memory_order_acquire);
        if (const auto* release = std::get_if<ReleaseLease>(&request_)) {
            released_ = desk.release_lease(release->ip);
        } else {
            bool more = false;
            listed_ = desk.list_transfers(views_.data(), views_.size(), more);
            truncated_ = more;
        }
        answered_.store(want, std::memory_order_release);
    }

private:
    // Hands `request` to the worker and waits for its answer (turns_ held).
    [[nodiscard]] bool exchange(const WorkerRequest& request, int timeout_ms);

    std::mutex turns_;
    std::atomic<std::uint64_t> asked_{0};
    std::atomic<std::uint64_t> answered_{0};
    WorkerRequest request_;  // written only while the worker has answered every request
    std::vector<TransferView> views_;
    std::size_t listed_ = 0;
    bool truncated_ = false;
    LeaseReleaseStep released_{};
};

}  // namespace rackboot::dataplane
