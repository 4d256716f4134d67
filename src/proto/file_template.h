// Per-board files (issue 21): a file's text with variables, `{serial}` and the like, rendered for
// one board. Compiled once on the control thread (an unknown variable or a lone brace is refused
// with where it is); rendered on a worker into a caller's buffer, with no allocation.
// `{{` and `}}` stand for literal braces.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/result.h"

namespace rackboot::proto {

// The variables, in the order their values are given to render().
// {root}: the board's own root (issue 21), the NBD export's name; a board with none has no value
// for it, and a file that uses it is not served to that board.
enum class TemplateVar : std::uint8_t { serial, mac, address, name, labels, server, root };
inline constexpr std::size_t kTemplateVars = 7;
inline constexpr std::array<std::string_view, kTemplateVars> kTemplateVarNames = {"serial", "mac",    "address", "name",
                                                                                  "labels", "server", "root"};
// At most this many bytes of text, and of a rendered file.
inline constexpr std::size_t kMaxTemplateBytes = 16384;

class FileTemplate {
public:
    // The template, or why not: "unknown variable {rootfs} at byte 12", "a '{' with no '}' at byte 3".
    [[nodiscard]] static Result<FileTemplate> compile(std::string_view text);

    // Renders into `out`: its length, or SIZE_MAX when `out` is too small. values[i] is the
    // value of TemplateVar i.
    [[nodiscard]] std::size_t render(std::span<const std::string_view, kTemplateVars> values,
                                     std::span<std::uint8_t> out) const noexcept;
    [[nodiscard]] std::string render(std::span<const std::string_view, kTemplateVars> values) const;
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    // Whether `var` appears in it.
    [[nodiscard]] bool uses(TemplateVar var) const noexcept;

private:
    struct Piece {
        std::uint32_t offset = 0;  // literal: into literals_
        std::uint32_t length = 0;
        std::int8_t var = -1;  // >= 0: a variable
    };
    std::string text_;      // as given
    std::string literals_;  // the literal runs, braces unescaped
    std::vector<Piece> pieces_;
};

}  // namespace rackboot::proto
