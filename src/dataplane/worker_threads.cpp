#include "dataplane/worker_threads.h"

#include <cstdio>
#include <string>

#include "dataplane/cpu_affinity.h"
#include "proto/result.h"

namespace rackboot::dataplane {

void WorkerThreads::start(std::size_t count, const std::vector<int>& cpus, const Loop& loop, const Hook& enter,
                          const Hook& leave) {
    stop_.store(false);
    for (std::size_t i = 0; i < count; ++i) {
        int cpu = cpus.empty() ? -1 : cpus[i % cpus.size()];
        threads_.emplace_back([this, i, cpu, loop, enter, leave] {
            if (enter) enter();
            if (cpu >= 0) {
                if (proto::Result<> pinned = pin_current_thread(cpu); !pinned) {
                    std::fprintf(stderr, "event=warning worker=%zu what=\"not pinned: %s\"\n", i,
                                 pinned.error().reason.c_str());
                }
            }
            loop(i, stop_);
            if (leave) leave();
        });
    }
}

void WorkerThreads::stop() {
    stop_.store(true);
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

}  // namespace rackboot::dataplane
