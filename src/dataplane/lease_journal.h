// The hand-off between the DHCP worker and the lease store: lease changes go out over an SPSC
// ring, and the store says how far it has made them durable. The worker holds each reply until
// the change it depends on is durable, so a client is never told about a lease a crash could
// lose, and the worker itself never waits on the disk.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "dataplane/spsc_ring.h"
#include "proto/dhcp_leases.h"

namespace rackboot::dataplane {

struct LeaseChange {
    std::uint64_t seq = 0;
    proto::Lease lease;
};

class LeaseJournal {
public:
    explicit LeaseJournal(std::size_t capacity_pow2 = 8192)
        : ring_(capacity_pow2),
          capacity_(capacity_pow2),
          to_store_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
          to_worker_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~LeaseJournal() {
        if (to_store_ >= 0) close(to_store_);
        if (to_worker_ >= 0) close(to_worker_);
    }
    LeaseJournal(const LeaseJournal&) = delete;
    LeaseJournal& operator=(const LeaseJournal&) = delete;

    [[nodiscard]] bool ok() const noexcept { return to_store_ >= 0 && to_worker_ >= 0; }

    // Worker side. Returns the change's sequence number, or 0 when the ring is full.
    std::uint64_t push(const proto::Lease& lease) noexcept {
        if (!ring_.push(LeaseChange{next_seq_, lease})) return 0;
        return next_seq_++;
    }
    [[nodiscard]] bool has_room(std::size_t n) const noexcept { return next_seq_ - 1 - committed() + n < capacity_; }
    // The newest change pushed (0: none yet): a reply that depends on no new change but on the
    // table as it stands waits for this one.
    [[nodiscard]] std::uint64_t last_pushed() const noexcept { return next_seq_ - 1; }
    // Wakes the store after a batch of pushes.
    void notify_store() noexcept {
        std::uint64_t one = 1;
        (void)!write(to_store_, &one, sizeof one);
    }
    [[nodiscard]] std::uint64_t committed() const noexcept { return committed_.load(std::memory_order_acquire); }
    [[nodiscard]] int worker_fd() const noexcept { return to_worker_; }
    void drain_worker_fd() noexcept {
        std::uint64_t n = 0;
        (void)!read(to_worker_, &n, sizeof n);
    }

    // Store side.
    bool pop(LeaseChange& out) noexcept { return ring_.pop(out); }
    [[nodiscard]] int store_fd() const noexcept { return to_store_; }
    void drain_store_fd() noexcept {
        std::uint64_t n = 0;
        (void)!read(to_store_, &n, sizeof n);
    }
    // Everything up to `seq` is durable.
    void publish(std::uint64_t seq) noexcept {
        committed_.store(seq, std::memory_order_release);
        std::uint64_t one = 1;
        (void)!write(to_worker_, &one, sizeof one);
    }
    // The store could not make a batch durable (it keeps the batch and retries), or can again.
    void set_store_up(bool up) noexcept {
        if (!up) store_failures_.fetch_add(1, std::memory_order_relaxed);
        store_up_.store(up, std::memory_order_release);
    }

    // Either side, and the metrics: while the store is down the worker takes no new lease change.
    [[nodiscard]] bool store_up() const noexcept { return store_up_.load(std::memory_order_acquire); }
    [[nodiscard]] std::uint64_t store_failures() const noexcept {
        return store_failures_.load(std::memory_order_relaxed);
    }

private:
    SpscRing<LeaseChange> ring_;
    std::size_t capacity_;
    std::uint64_t next_seq_ = 1;  // worker only
    std::atomic<std::uint64_t> committed_{0};
    std::atomic<bool> store_up_{true};
    std::atomic<std::uint64_t> store_failures_{0};
    int to_store_;
    int to_worker_;
};

}  // namespace rackboot::dataplane
