// The one place a backend is made: the common configuration and what is the chosen backend's own.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "dataplane/backend.h"
#include "proto/result.h"

namespace rackboot::control {

using BackendOptions = std::variant<dataplane::SocketOptions, dataplane::DpdkOptions>;

// The backend, or why it cannot start (or, built with -DRACKBOOT_DPDK=OFF, that DPDK was asked
// for).
[[nodiscard]] proto::Result<std::unique_ptr<dataplane::Backend>> make_backend(const dataplane::BackendCommon& common,
                                                                              const BackendOptions& options);

// How the chosen backend's workers report quiescent states to the boot map's publisher: an
// epoch per worker on sockets, rte_rcu_qsbr on DPDK. Null when it cannot be made.
[[nodiscard]] std::unique_ptr<dataplane::QuiescentDomain> make_quiescent_domain(const BackendOptions& options,
                                                                                unsigned workers);

}  // namespace rackboot::control
