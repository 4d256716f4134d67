// Request paths: what a TFTP filename may contain, and the Raspberry Pi serial/MAC prefix that
// selects a board's boot tree (PI-BOOT.md, phase 2). Pure string logic; the dataplane opens the
// result beneath the tree's directory, which also stops symlinks that leave the tree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/mac.h"
#include "proto/reason_list.h"
#include "proto/serial.h"

namespace rackboot::proto {

#define RACKBOOT_PATH_VERDICTS(X)                                \
    X(ok, info, "path is acceptable")                            \
    X(absolute, warning, "absolute path")                        \
    X(parent_reference, warning, "'..' path component")          \
    X(backslash, warning, "backslash in path")                   \
    X(control_char, warning, "NUL or control character in path") \
    X(too_long, warning, "path or component too long")           \
    X(empty, warning, "empty path or trailing slash")

RACKBOOT_DEFINE_REASONS(PathVerdict, RACKBOOT_PATH_VERDICTS)

constexpr std::size_t kMaxPathLength = 1024;
constexpr std::size_t kMaxComponentLength = 255;

[[nodiscard]] PathVerdict check_tftp_path(std::string_view path) noexcept;

// One spelling per file: drops "." components and empty ones ("a//b", "./a", ".//./a" all
// become "a" or "a/b"), so one file has one key however it is asked for. Call on a path
// check_tftp_path accepted; writes at most path.size() bytes to `out` and returns the result,
// which is empty when nothing is left (".", "./.").
[[nodiscard]] std::string_view normalize_tftp_path(std::string_view path, char* out) noexcept;

struct BootPrefix {
    enum class Kind : std::uint8_t { None, Serial, Mac };
    Kind kind = Kind::None;
    Serial serial;          // Kind::Serial
    Mac mac{};              // Kind::Mac
    std::string_view rest;  // the path after "PREFIX/" (whole path for None)
};

// Splits "SERIAL/rest" (8 hex digits) or "aa-bb-cc-dd-ee-ff/rest" from a checked path.
[[nodiscard]] BootPrefix split_boot_prefix(std::string_view path) noexcept;

[[nodiscard]] std::uint64_t fnv1a64(std::string_view text) noexcept;

}  // namespace rackboot::proto
