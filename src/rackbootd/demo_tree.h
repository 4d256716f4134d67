// The demo boot tree that `make run` serves: files named and sized like a Raspberry Pi 4 boot
// partition, with deterministic contents so tests can compare checksums.
#pragma once

#include <string>

#include "proto/result.h"

namespace rackboot::control {

// Writes the tree under `dir` unless it already holds this version of it, or says why it cannot.
[[nodiscard]] proto::Result<> ensure_demo_tree(const std::string& dir);

[[nodiscard]] std::string default_demo_dir();

}  // namespace rackboot::control
