// What every backend does with its workers, written once: the Backend interface over a vector of
// workers (each with counters() and channel()), their threads, the shared count of active
// transfers that enforces --max-transfers, and the start-line information. A backend derives from
// WorkerBackend<ItsWorker>, fills workers_ and info_, and starts threads_.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/worker_threads.h"

namespace rackboot::dataplane {

template <typename Worker>
class WorkerBackend : public Backend {
public:
    void stop() override { threads_.stop(); }
    [[nodiscard]] std::size_t worker_count() const noexcept override { return workers_.size(); }
    [[nodiscard]] const WorkerCounters& counters(std::size_t i) const noexcept override {
        return workers_[i]->counters();
    }
    [[nodiscard]] WorkerChannel& channel(std::size_t i) noexcept override { return workers_[i]->channel(); }
    [[nodiscard]] BackendInfo info() const override { return info_; }

protected:
    // Joins the worker threads; a derived destructor calls it before freeing what workers use.
    void stop_workers() { threads_.stop(); }

    std::vector<std::unique_ptr<Worker>> workers_;
    WorkerThreads threads_;
    std::atomic<std::int64_t> active_{0};
    BackendInfo info_;
};

}  // namespace rackboot::dataplane
