#include "control/live/snapshot_publisher.h"

#include <chrono>
#include <cstdio>

namespace rackboot::control {

void SnapshotPublisher::start() {
    {
        std::lock_guard lock(mutex_);
        applied_version_ = directory_.version();
    }
    thread_ = std::thread([this] { run(); });
}

void SnapshotPublisher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void SnapshotPublisher::notify() {
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    wake_.notify_one();
}

void SnapshotPublisher::notify_batched() {
    std::lock_guard lock(mutex_);
    if (!batched_) batched_since_ = std::chrono::steady_clock::now();
    batched_ = true;  // the thread's next turn (every 100 ms at most) sees it when it is due
}

bool SnapshotPublisher::publish_if_changed() {
    std::uint64_t version = directory_.version();
    {
        std::lock_guard lock(mutex_);
        if (version == applied_version_) {
            retained_.store(cell_.reclaim(), std::memory_order_relaxed);
            return false;
        }
    }
    auto t0 = std::chrono::steady_clock::now();
    // The version is read before the build: a change racing with it bumps the version again and
    // is built next time round.
    // Built from the map the workers read now (only the publisher publishes): what changed since
    // is built again, the rest shared.
    cell_.publish(directory_.build(cell_.current(), cell_.generation() + 1));
    last_build_ns_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count(),
        std::memory_order_relaxed);
    published_.fetch_add(1, std::memory_order_relaxed);
    retained_.store(cell_.reclaim(), std::memory_order_relaxed);
    {
        std::lock_guard lock(mutex_);
        applied_version_ = version;
    }
    done_.notify_all();
    return true;
}

bool SnapshotPublisher::wait_published(std::uint64_t version, int timeout_ms) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return applied_version_ >= version; });
}

void SnapshotPublisher::changed_and_wait() {
    std::uint64_t v = directory_.version();
    notify();
    if (thread_.joinable()) (void)wait_published(v, 2000);
}

void SnapshotPublisher::board_changed(const Board& board) {
    directory_.put_board(board);
    changed_and_wait();
}

void SnapshotPublisher::board_discovered(const Board& board) {
    directory_.put_board(board);
    notify_batched();
}

void SnapshotPublisher::boards_changed(const std::vector<Board>& boards) {
    for (const Board& b : boards) directory_.put_board(b);
    changed_and_wait();
}

void SnapshotPublisher::board_removed(proto::Serial serial) {
    directory_.remove_board(serial);
    changed_and_wait();
}

void SnapshotPublisher::image_changed(const Image& image) {
    std::string warning;
    directory_.put_image(image, warning);
    if (!warning.empty()) std::fprintf(stderr, "rackbootd: warning: %s\n", warning.c_str());
    changed_and_wait();
}

void SnapshotPublisher::image_removed(const std::string& name) {
    directory_.remove_image(name);
    changed_and_wait();
}

void SnapshotPublisher::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            // Wakes at least every 100 ms to free what workers have moved on from, and to publish
            // a batch that is due.
            auto due = [&] {
                return batched_ &&
                       std::chrono::steady_clock::now() - batched_since_ >= std::chrono::milliseconds(kBatchMs);
            };
            wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return pending_ || stopping_ || due(); });
            if (stopping_) return;
            // An immediate change covers what was batched too (one build covers every change so
            // far); a batch not yet due waits, and only what workers moved on from is freed.
            bool now = pending_ || !batched_ || due();
            if (now) batched_ = false;
            pending_ = false;
            if (!now) {
                lock.unlock();
                retained_.store(cell_.reclaim(), std::memory_order_relaxed);
                continue;
            }
        }
        publish_if_changed();
    }
}

}  // namespace rackboot::control
