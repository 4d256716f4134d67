// The DPDK backend's quiescent-state reporting: rte_rcu_qsbr, behind the QuiescentDomain
// interface the boot map's publisher uses (snapshot_cell.h). Plain memory: needs no EAL.
#pragma once

#include <memory>

#include "dataplane/snapshot_cell.h"

namespace rackboot::dataplane {

// Null when its memory cannot be had.
[[nodiscard]] std::unique_ptr<QuiescentDomain> make_qsbr_domain(unsigned readers);

}  // namespace rackboot::dataplane
