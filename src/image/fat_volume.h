// A FAT12, FAT16 or FAT32 volume inside a partition: its boot sector checked, its type found from
// the cluster count as the specification says, and its active FAT read once into memory. Refuses a
// volume marked dirty or damaged (a file system a Pi or a host left half-written), or one larger
// than its partition.
#pragma once

#include <cstdint>
#include <vector>

#include "image/byte_source.h"
#include "image/partition_table.h"
#include "proto/result.h"

namespace rackboot::image {

enum class FatType : std::uint8_t { fat12, fat16, fat32 };

[[nodiscard]] const char* fat_type_name(FatType type) noexcept;

struct FatGeometry {
    FatType type = FatType::fat32;
    std::uint32_t bytes_per_sector = 0;
    std::uint32_t cluster_bytes = 0;
    std::uint32_t cluster_count = 0;  // data clusters, numbered 2 .. cluster_count + 1
    std::uint64_t root_offset = 0;    // FAT12/16: the fixed root directory, bytes into the image
    std::uint32_t root_entries = 0;   // FAT12/16: its entries
    std::uint32_t root_cluster = 0;   // FAT32: the root directory's first cluster
    std::uint64_t data_offset = 0;    // cluster 2, bytes into the image
};

class FatVolume {
public:
    [[nodiscard]] static proto::Result<FatVolume> open(const ByteSource& image, const Partition& partition);

    [[nodiscard]] const FatGeometry& geometry() const noexcept { return geo_; }
    [[nodiscard]] const ByteSource& image() const noexcept { return *image_; }

    // What the FAT says follows cluster c (2 .. cluster_count + 1).
    [[nodiscard]] std::uint32_t next(std::uint32_t c) const noexcept;
    [[nodiscard]] bool valid_cluster(std::uint32_t c) const noexcept { return c >= 2 && c - 2 < geo_.cluster_count; }
    [[nodiscard]] bool end_of_chain(std::uint32_t v) const noexcept { return v >= eoc_; }
    [[nodiscard]] bool bad_cluster(std::uint32_t v) const noexcept { return v == eoc_ - 1; }
    [[nodiscard]] std::uint64_t cluster_offset(std::uint32_t c) const noexcept {
        return geo_.data_offset + std::uint64_t{c - 2} * geo_.cluster_bytes;
    }

private:
    FatVolume(const ByteSource& image, FatGeometry geo, std::vector<std::uint8_t> fat, std::uint32_t eoc)
        : image_(&image), geo_(geo), fat_(std::move(fat)), eoc_(eoc) {}

    const ByteSource* image_;
    FatGeometry geo_;
    std::vector<std::uint8_t> fat_;  // the active copy
    std::uint32_t eoc_;              // the first end-of-chain value (one past the bad-cluster mark)
};

}  // namespace rackboot::image
