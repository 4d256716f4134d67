// The one place a backend is made: the common configuration and what is the chosen backend's own.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "dataplane/backend.h"

namespace rackboot::control {

using BackendOptions = std::variant<dataplane::SocketOptions, dataplane::DpdkOptions>;

// nullptr with `error` set when the backend cannot start (or, built with -DRACKBOOT_DPDK=OFF,
// when DPDK was asked for).
[[nodiscard]] std::unique_ptr<dataplane::Backend> make_backend(const dataplane::BackendCommon& common,
                                                               const BackendOptions& options, std::string& error);

}  // namespace rackboot::control
