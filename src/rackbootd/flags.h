// rackbootd's flags, one row each (proto/flag_table.h): the usage, the config file's keys and the
// parsing of every flag come from these rows. The checks across flags are config.cpp's.
#pragma once

#include <span>
#include <string>

#include "proto/flag_table.h"
#include "rackbootd/config.h"

namespace rackboot::control {

[[nodiscard]] std::span<const proto::FlagRow<DaemonConfig>> daemon_flags();

}  // namespace rackboot::control
