// Publishing boot maps to workers without a lock on the packet path (quiescent-state-based
// reclamation). The control thread swaps in a new immutable BootMap; each worker reads the current
// one whenever it likes and, at the top of its loop, when it holds nothing older, reports a
// quiescent state; a replaced map is freed (on the control thread) once every worker has reported
// since it was replaced. The reporting sits behind one interface: an epoch per worker for the
// socket backend (EpochDomain), rte_rcu_qsbr on DPDK (dpdk/qsbr_domain.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "dataplane/boot_map.h"

namespace rackboot::dataplane {

// QSBR's contract: start() returns a token after a change is visible; check(token) is true once
// every registered reader has called quiescent() since. Readers call quiescent() only; the
// writer calls start() and check() (one writer at a time).
class QuiescentDomain {
public:
    virtual ~QuiescentDomain() = default;
    virtual void quiescent(unsigned reader) noexcept = 0;
    [[nodiscard]] virtual std::uint64_t start() noexcept = 0;
    [[nodiscard]] virtual bool check(std::uint64_t token) noexcept = 0;
    // A reader that will not report for a while (stopped) leaves; it rejoins with online().
    virtual void offline(unsigned reader) noexcept = 0;
    virtual void online(unsigned reader) noexcept = 0;
};

// One epoch counter per reader, each on its own cache line.
class EpochDomain final : public QuiescentDomain {
public:
    explicit EpochDomain(unsigned readers);
    void quiescent(unsigned reader) noexcept override {
        if (reader >= readers_) return;
        slots_[reader].seen.store(token_.load(std::memory_order_acquire), std::memory_order_release);
    }
    [[nodiscard]] std::uint64_t start() noexcept override;
    [[nodiscard]] bool check(std::uint64_t token) noexcept override;
    void offline(unsigned reader) noexcept override;
    void online(unsigned reader) noexcept override;

private:
    static constexpr std::uint64_t kOffline = UINT64_MAX;
    struct alignas(64) Slot {
        std::atomic<std::uint64_t> seen{0};
    };
    std::atomic<std::uint64_t> token_{0};
    std::unique_ptr<Slot[]> slots_;
    unsigned readers_;
};

class BootMapCell {
public:
    BootMapCell(std::unique_ptr<QuiescentDomain> domain, std::unique_ptr<const BootMap> initial);
    ~BootMapCell();
    BootMapCell(const BootMapCell&) = delete;
    BootMapCell& operator=(const BootMapCell&) = delete;

    // Readers (workers): the current map, valid until the reader's next quiescent().
    [[nodiscard]] const BootMap* current() const noexcept { return current_.load(std::memory_order_acquire); }
    void quiescent(unsigned reader) noexcept { domain_->quiescent(reader); }
    [[nodiscard]] QuiescentDomain& domain() noexcept { return *domain_; }

    // Writer (control thread): makes `next` current; the one it replaces is kept until reclaim()
    // sees every reader past it.
    void publish(std::unique_ptr<const BootMap> next);
    // Frees the replaced maps every reader has moved on from; returns how many are still kept.
    std::size_t reclaim();
    [[nodiscard]] std::uint64_t generation() const noexcept { return current()->generation(); }

private:
    struct Retired {
        const BootMap* map;
        std::uint64_t token;
    };
    std::unique_ptr<QuiescentDomain> domain_;
    std::atomic<const BootMap*> current_;
    std::mutex writer_;  // publish and reclaim may come from more than one control thread
    std::deque<Retired> retired_;
};

// A cell holding one fixed map, with an EpochDomain for `readers` (tests, benchmarks).
[[nodiscard]] proto::Result<std::unique_ptr<BootMapCell>> static_boot_map_cell(const std::string& root,
                                                                               const std::vector<BoardTreeSpec>& boards,
                                                                               unsigned readers);

}  // namespace rackboot::dataplane
