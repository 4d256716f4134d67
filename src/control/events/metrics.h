// Prometheus text exposition of the workers' counters, summed at read time.
#pragma once

#include <string>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/counters.h"
#include "dataplane/lease_journal.h"

namespace rackboot::control {

[[nodiscard]] std::string render_metrics(const std::vector<const dataplane::WorkerCounters*>& workers);

// The DPDK port's own losses (frames no worker saw), where the backend has a port.
[[nodiscard]] std::string render_port_metrics(const dataplane::PortStats& port);

// The lease store's health (server mode): whether it can write, and how often it could not.
[[nodiscard]] std::string render_lease_store_metrics(const dataplane::LeaseJournal& journal);

}  // namespace rackboot::control
