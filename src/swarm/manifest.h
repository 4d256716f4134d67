// What each served file should hold, so a synthetic Pi's boot counts only when every byte was
// right: built from the served trees (--tree, once per image a Pi may be given) as size, sha256
// and CRC32 per file; without a tree,
// the first complete read of a path over TFTP becomes its reference (size and CRC32) and every
// later read of it must match.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/byte_cursor.h"
#include "proto/result.h"
#include "swarm/options.h"

struct evp_md_ctx_st;

namespace rackboot::swarm {

struct FileDigest {
    std::uint64_t size = 0;
    std::array<std::uint8_t, 32> sha256{};
    std::uint32_t crc32 = 0;
};

// One file's digest as its bytes arrive, in order.
class StreamDigest {
public:
    StreamDigest() = default;
    ~StreamDigest();
    StreamDigest(const StreamDigest&) = delete;
    StreamDigest& operator=(const StreamDigest&) = delete;
    StreamDigest(StreamDigest&& other) noexcept;
    StreamDigest& operator=(StreamDigest&& other) noexcept;

    void reset(VerifyMode mode);
    void update(proto::ConstBytes bytes);
    [[nodiscard]] FileDigest finish();

private:
    VerifyMode mode_ = VerifyMode::crc32;
    evp_md_ctx_st* sha_ = nullptr;
    FileDigest d_{};
};

class Manifest {
public:
    // Adds every regular file under `tree` (symlinks followed, as a server would) as tree number
    // trees()-1; or the reason the tree cannot be read.
    [[nodiscard]] proto::Result<> load_tree(const std::string& tree);
    [[nodiscard]] std::size_t trees() const noexcept { return trees_; }
    [[nodiscard]] std::size_t size() const noexcept { return files_.size(); }

    // Which tree's `path` `got` is: sha256 (or CRC32) and size against the file at `path` in each
    // tree, or at `path` without a serial prefix `serial_dir` ("1a2b3c4d/") where a tree has none
    // there. -1: none (wrong bytes, or a file no tree holds). Without a tree: 0 when it matches the
    // first complete read of `path`, which becomes the reference.
    [[nodiscard]] int check(std::string_view path, std::string_view serial_dir, const FileDigest& got, VerifyMode mode);

private:
    // path → digest in each tree (size UINT64_MAX: that tree has no such file)
    std::unordered_map<std::string, std::vector<FileDigest>> files_;
    std::size_t trees_ = 0;
};

}  // namespace rackboot::swarm
