// The demo boot tree that `make run` serves: files named and sized like a Raspberry Pi 4 boot
// partition, with deterministic contents so tests can compare checksums.
#pragma once

#include <string>

namespace rackboot::control {

// Writes the tree under `dir` unless it already holds this version of it. Returns false with a
// reason on failure.
[[nodiscard]] bool ensure_demo_tree(const std::string& dir, std::string& error);

[[nodiscard]] std::string default_demo_dir();

}  // namespace rackboot::control
