// Small files written whole: what a crash must leave old or new, never torn (the roots' server
// configurations, the event stream's id reservation).
#pragma once

#include <string>

#include "proto/result.h"

namespace rackboot::control {

// Writes `text` to `path` so that a reader (or a crash) sees the old file or the new one whole:
// a temporary file beside it, fsynced, renamed, the directory fsynced.
[[nodiscard]] proto::Result<> write_file_atomically(const std::string& path, const std::string& text);
// The file's text ("" when it cannot be read).
[[nodiscard]] std::string read_small_file(const std::string& path);

}  // namespace rackboot::control
