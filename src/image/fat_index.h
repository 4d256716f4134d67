// The index of a disk image's boot partition, built once per image content: every file's path
// (long names, subdirectories), size and extents (its cluster runs merged, as byte ranges of the
// image), looked up case-insensitively as the Pi firmware expects. Built by walking every chain
// once: a chain that loops, leaves the volume, runs into a bad or free cluster, is shorter than its
// file, or shares a cluster with another (cross-linked) refuses the whole image with the path and
// the cluster, so nothing is ever served wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "image/byte_source.h"
#include "image/fat_volume.h"
#include "image/partition_table.h"
#include "proto/result.h"

namespace rackboot::image {

struct Extent {
    std::uint64_t offset = 0;  // bytes into the image
    std::uint64_t length = 0;
};

struct IndexedFile {
    std::string path;  // as stored, '/'-separated: "overlays/vc4-kms-v3d.dtbo"
    std::uint64_t size = 0;
    std::vector<Extent> extents;
};

// A path as the index looks it up: ASCII letters lower-cased (FAT compares names case-insensitively).
[[nodiscard]] std::string fold_path(std::string_view path);

class FatIndex {
public:
    // Reads the partition table, picks the partition (numbered, else the first FAT one) and indexes it.
    [[nodiscard]] static proto::Result<FatIndex> build(const ByteSource& image, std::optional<unsigned> partition);

    // The file at `path`, ASCII case folded; null when none. Allocates nothing (a worker looks up
    // every RRQ here): a path longer than kMaxLookup is never found.
    static constexpr std::size_t kMaxLookup = 1024;
    [[nodiscard]] const IndexedFile* find(std::string_view path) const noexcept;
    [[nodiscard]] std::span<const IndexedFile> files() const noexcept { return files_; }
    [[nodiscard]] const Partition& partition() const noexcept { return partition_; }
    [[nodiscard]] TableKind table() const noexcept { return table_; }
    [[nodiscard]] FatType type() const noexcept { return type_; }
    [[nodiscard]] unsigned directories() const noexcept { return directories_; }
    [[nodiscard]] unsigned unreadable_names() const noexcept { return unreadable_names_; }

private:
    friend class IndexBuilder;
    FatIndex() = default;

    std::vector<IndexedFile> files_;
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_folded_;
    Partition partition_;
    TableKind table_ = TableKind::mbr;
    FatType type_ = FatType::fat32;
    unsigned directories_ = 0;
    unsigned unreadable_names_ = 0;
};

}  // namespace rackboot::image
