// Turns changes to the board directory into published boot maps: a thread that waits to be told
// something changed, builds one map covering every change so far (changes that arrive while it
// builds are covered by the next), publishes it to the workers and frees the maps every worker
// has moved on from. No worker ever waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "control/live/board_directory.h"
#include "dataplane/snapshot_cell.h"

namespace rackboot::control {

class SnapshotPublisher final : public InventoryObserver {
public:
    SnapshotPublisher(BoardDirectory& directory, dataplane::BootMapCell& cell) : directory_(directory), cell_(cell) {}
    ~SnapshotPublisher() { stop(); }
    SnapshotPublisher(const SnapshotPublisher&) = delete;
    SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

    void start();
    void stop();
    // Something in the directory changed.
    void notify();
    // Something changed that may wait to be batched with what follows (a discovered board): it is
    // published within kBatchMs, one map for everything batched meanwhile.
    void notify_batched();
    static constexpr int kBatchMs = 250;
    // Builds and publishes now if the directory moved (the thread's step; tests call it alone).
    // True when a map was published.
    bool publish_if_changed();
    // Blocks until a map covering directory version `version` is published (tests, the API's
    // "applied" answer); false after `timeout_ms`.
    [[nodiscard]] bool wait_published(std::uint64_t version, int timeout_ms);

    // InventoryObserver (the API's thread): updates the directory and returns once a map with the
    // change is published, so an API answer means the change is live (bounded: 2 s).
    void board_changed(const Board& board) override;
    void board_discovered(const Board& board) override;
    void board_removed(proto::Serial serial) override;
    void boards_changed(const std::vector<Board>& boards) override;
    void image_changed(const Image& image) override;
    void image_removed(const std::string& name) override;

    [[nodiscard]] std::uint64_t generation() const noexcept { return cell_.generation(); }
    [[nodiscard]] std::uint64_t published() const noexcept { return published_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::size_t retained() const noexcept { return retained_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t last_build_ns() const noexcept { return last_build_ns_.load(std::memory_order_relaxed); }

private:
    void run();
    void changed_and_wait();

    BoardDirectory& directory_;
    dataplane::BootMapCell& cell_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    bool pending_ = false;
    bool batched_ = false;
    std::chrono::steady_clock::time_point batched_since_{};
    bool stopping_ = false;
    std::uint64_t applied_version_ = 0;  // the directory version the current map covers
    std::thread thread_;
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::size_t> retained_{0};
    std::atomic<std::int64_t> last_build_ns_{0};
};

}  // namespace rackboot::control
