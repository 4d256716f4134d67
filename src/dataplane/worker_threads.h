// The workers' threads, started, pinned and stopped in one place for every backend: one thread
// per worker on its CPU (an unpinned worker still runs, with a warning line), each running its
// loop until stop().
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace rackboot::dataplane {

class WorkerThreads {
public:
    // The loop of worker i; it returns once `stop` is set.
    using Loop = std::function<void(std::size_t worker, const std::atomic<bool>& stop)>;
    // Run on each worker thread before and after its loop (DPDK registers the thread).
    using Hook = std::function<void()>;

    WorkerThreads() = default;
    WorkerThreads(const WorkerThreads&) = delete;
    WorkerThreads& operator=(const WorkerThreads&) = delete;
    ~WorkerThreads() { stop(); }

    void start(std::size_t count, const std::vector<int>& cpus, const Loop& loop, const Hook& enter = {},
               const Hook& leave = {});
    // Sets the stop flag and joins every thread; safe to call twice.
    void stop();

private:
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
};

}  // namespace rackboot::dataplane
