// Where a disk image's partitions lie: an MBR (four primary entries and logical partitions through
// the extended partition's EBR chain) or a GPT (header and entry array, both CRC32 checked). What a
// Raspberry Pi OS image or a host's own build has; 512-byte sectors, as both use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/byte_source.h"
#include "proto/result.h"

namespace rackboot::image {

inline constexpr std::uint64_t kSectorSize = 512;

enum class TableKind : std::uint8_t { mbr, gpt };

struct Partition {
    unsigned number = 0;       // MBR: 1-4 primary, 5 on logical (as Linux numbers them); GPT: entry + 1
    std::uint64_t offset = 0;  // bytes into the image
    std::uint64_t size = 0;    // bytes
    bool fat = false;          // its type is a FAT one (MBR 0x01 0x04 0x06 0x0b 0x0c 0x0e 0xef; GPT basic data, ESP)
    std::string type;          // "0x0c", or the GPT type GUID
};

struct PartitionTable {
    TableKind kind = TableKind::mbr;
    std::uint64_t image_size = 0;
    std::vector<Partition> partitions;  // in number order
};

// Reads the table; refuses, with the reason, an image with none, a GPT whose header or entries fail
// their CRC, an EBR chain that loops or leaves the extended partition.
[[nodiscard]] proto::Result<PartitionTable> read_partition_table(const ByteSource& image);

// The partition to serve: the one numbered, or else the first whose type is FAT; it must lie
// inside the image.
[[nodiscard]] proto::Result<Partition> boot_partition(const PartitionTable& table, std::optional<unsigned> number);

[[nodiscard]] const char* table_kind_name(TableKind kind) noexcept;

}  // namespace rackboot::image
