// What the control plane sees of a dataplane backend (kernel sockets or DPDK): its workers'
// counters and transfer records, and start/stop.
#pragma once

#include <cstddef>

#include "dataplane/counters.h"
#include "dataplane/spsc_ring.h"
#include "dataplane/transfer_record.h"

namespace rackboot::dataplane {

class Backend {
public:
    virtual ~Backend() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
    [[nodiscard]] virtual std::size_t worker_count() const noexcept = 0;
    [[nodiscard]] virtual const WorkerCounters& counters(std::size_t worker) const noexcept = 0;
    [[nodiscard]] virtual SpscRing<TransferRecord>& records(std::size_t worker) noexcept = 0;
};

}  // namespace rackboot::dataplane
