// A board's own files (issue 21): the file templates of its image and of the board itself (the
// board's win for the same path), with the values they render with for this board. Built on the
// control thread and shared by the boot maps that hold it; a worker renders one per request, with
// the address the request came to as {server}, into the block cache: no allocation, no disk.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/file_template.h"

namespace rackboot::dataplane {

class BoardFiles {
public:
    struct File {
        std::string path;    // as configured
        std::string folded;  // ASCII lower case, as looked up
        proto::FileTemplate tmpl;
    };
    // values[i]: TemplateVar i's value for this board (server's is given per request).
    BoardFiles(std::vector<File> files, std::array<std::string, proto::kTemplateVars> values);

    // The file at `path` (ASCII case folded, as the FAT it overlays), or null.
    [[nodiscard]] const File* find(std::string_view path) const noexcept;
    // Renders `file` for a request that came to `server`: its length, or SIZE_MAX if `out` is short.
    [[nodiscard]] std::size_t render(const File& file, std::string_view server,
                                     std::span<std::uint8_t> out) const noexcept;
    [[nodiscard]] std::string render(const File& file, std::string_view server) const;
    [[nodiscard]] std::span<const File> files() const noexcept { return files_; }
    // Whether the board has a value for `var` ({root}: only a board with a root has one).
    [[nodiscard]] bool has_value(proto::TemplateVar var) const noexcept {
        return !values_[static_cast<std::size_t>(var)].empty();
    }
    [[nodiscard]] std::size_t memory_bytes() const noexcept;

private:
    std::vector<File> files_;
    std::array<std::string, proto::kTemplateVars> values_;
};

}  // namespace rackboot::dataplane
