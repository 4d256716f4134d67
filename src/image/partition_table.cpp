#include "image/partition_table.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <span>
#include <string_view>
#include <unordered_set>

#include "image/little_endian.h"

namespace rackboot::image {

namespace {

using Sector = std::array<std::uint8_t, kSectorSize>;

constexpr std::size_t kMbrEntries = 446;
constexpr unsigned kMaxLogical = 128;
constexpr std::uint32_t kMaxGptEntries = 1024;

struct MbrEntry {
    std::uint8_t status = 0;
    std::uint8_t type = 0;
    std::uint32_t first_lba = 0;
    std::uint32_t sectors = 0;
};

MbrEntry mbr_entry(const Sector& s, unsigned i) {
    std::span<const std::uint8_t> e(s.data() + kMbrEntries + std::size_t{16} * i, 16);
    return {e[0], e[4], le32(e, 8), le32(e, 12)};
}

bool has_boot_signature(const Sector& s) {
    return s[510] == 0x55 && s[511] == 0xAA;
}
bool is_extended(std::uint8_t type) {
    return type == 0x05 || type == 0x0F || type == 0x85;
}
bool is_fat_type(std::uint8_t type) {
    switch (type) {
        case 0x01:
        case 0x04:
        case 0x06:
        case 0x0B:
        case 0x0C:
        case 0x0E:
        case 0xEF: return true;
        default: return false;
    }
}

std::string hex_type(std::uint8_t type) {
    std::array<char, 8> b{};
    std::snprintf(b.data(), b.size(), "0x%02x", type);
    return b.data();
}

proto::Result<Sector> read_sector(const ByteSource& image, std::uint64_t lba) {
    Sector s{};
    if (auto ok = image.read_at(lba * kSectorSize, s); !ok) return tl::unexpected(ok.error());
    return s;
}

Partition mbr_partition(unsigned number, std::uint64_t first_lba, const MbrEntry& e) {
    return {number, first_lba * kSectorSize, std::uint64_t{e.sectors} * kSectorSize, is_fat_type(e.type),
            hex_type(e.type)};
}

proto::Result<> read_logical(const ByteSource& image, std::uint64_t ext_lba, std::uint64_t ext_sectors,
                             std::vector<Partition>& out) {
    std::unordered_set<std::uint64_t> seen;
    std::uint64_t ebr = ext_lba;
    for (unsigned number = 5;; ++number) {
        if (number - 5 == kMaxLogical) return proto::failure("more than 128 logical partitions");
        if (!seen.insert(ebr).second)
            return proto::failure("the EBR chain loops back to sector " + std::to_string(ebr));
        auto s = read_sector(image, ebr);
        if (!s) return tl::unexpected(s.error());
        if (!has_boot_signature(*s)) {
            return proto::failure("the EBR at sector " + std::to_string(ebr) + " has no 0x55AA signature");
        }
        MbrEntry logical = mbr_entry(*s, 0);
        MbrEntry next = mbr_entry(*s, 1);
        if (logical.type != 0 && logical.sectors != 0) {
            std::uint64_t first = ebr + logical.first_lba;
            if (first + logical.sectors > ext_lba + ext_sectors) {
                return proto::failure("logical partition " + std::to_string(number) +
                                      " runs past its extended partition");
            }
            out.push_back(mbr_partition(number, first, logical));
        }
        if (!is_extended(next.type) || next.sectors == 0) return {};
        if (next.first_lba >= ext_sectors) {
            return proto::failure("the EBR chain leaves its extended partition (sector " +
                                  std::to_string(ext_lba + next.first_lba) + ")");
        }
        ebr = ext_lba + next.first_lba;
    }
}

std::string guid_string(std::span<const std::uint8_t> g) {
    std::array<char, 40> b{};
    std::snprintf(b.data(), b.size(), "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", le32(g, 0), le16(g, 4),
                  le16(g, 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
    return b.data();
}

bool is_fat_guid(const std::string& guid) {
    return guid == "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"      // Microsoft basic data
           || guid == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";  // EFI system partition
}

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    return static_cast<std::uint32_t>(crc32(crc, bytes.data(), static_cast<uInt>(bytes.size())));
}

proto::Result<PartitionTable> read_gpt(const ByteSource& image) {
    auto header = read_sector(image, 1);
    if (!header) return tl::unexpected(header.error());
    std::span<const std::uint8_t> h(*header);
    if (std::string_view(reinterpret_cast<const char*>(h.data()), 8) != "EFI PART") {
        return proto::failure("a protective MBR but no GPT header at sector 1");
    }
    std::uint32_t header_size = le32(h, 12);
    if (header_size < 92 || header_size > kSectorSize) {
        return proto::failure("the GPT header's size " + std::to_string(header_size) + " is not 92 to 512 bytes");
    }
    Sector zeroed = *header;
    std::fill_n(zeroed.begin() + 16, 4, 0);
    if (crc32_of(std::span(zeroed).first(header_size)) != le32(h, 16)) {
        return proto::failure("the GPT header's CRC32 does not match (a damaged or half-written table)");
    }
    std::uint64_t entries_lba = le64(h, 72);
    std::uint32_t count = le32(h, 80);
    std::uint32_t entry_size = le32(h, 84);
    if (entry_size < 128 || entry_size % 8 != 0 || entry_size > 4096 || count > kMaxGptEntries) {
        return proto::failure("the GPT's entry array (" + std::to_string(count) + " entries of " +
                              std::to_string(entry_size) + " bytes) is not one this reads");
    }
    std::vector<std::uint8_t> entries(std::size_t{count} * entry_size);
    if (auto ok = image.read_at(entries_lba * kSectorSize, entries); !ok) return tl::unexpected(ok.error());
    if (crc32_of(entries) != le32(h, 88)) return proto::failure("the GPT entry array's CRC32 does not match");
    PartitionTable table{TableKind::gpt, image.size(), {}};
    for (std::uint32_t i = 0; i < count; ++i) {
        std::span<const std::uint8_t> e(entries.data() + std::size_t{i} * entry_size, entry_size);
        std::string type = guid_string(e.first(16));
        if (type == "00000000-0000-0000-0000-000000000000") continue;
        std::uint64_t first = le64(e, 32);
        std::uint64_t last = le64(e, 40);
        if (last < first) return proto::failure("GPT partition " + std::to_string(i + 1) + " ends before it starts");
        table.partitions.push_back(
            {i + 1, first * kSectorSize, (last - first + 1) * kSectorSize, is_fat_guid(type), type});
    }
    return table;
}

}  // namespace

proto::Result<PartitionTable> read_partition_table(const ByteSource& image) {
    auto mbr = read_sector(image, 0);
    if (!mbr) return tl::unexpected(mbr.error());
    if (!has_boot_signature(*mbr)) return proto::failure("no partition table (sector 0 has no 0x55AA signature)");
    std::array<MbrEntry, 4> entries{};
    for (unsigned i = 0; i < 4; ++i) {
        entries[i] = mbr_entry(*mbr, i);
        if (entries[i].status != 0x00 && entries[i].status != 0x80) {
            return proto::failure("no partition table (sector 0 is not an MBR: entry " + std::to_string(i + 1) +
                                  " has status " + hex_type(entries[i].status) + ")");
        }
        if (entries[i].type == 0xEE) return read_gpt(image);
    }
    PartitionTable table{TableKind::mbr, image.size(), {}};
    for (unsigned i = 0; i < 4; ++i) {
        const MbrEntry& e = entries[i];
        if (e.type == 0 || e.sectors == 0 || is_extended(e.type)) continue;
        table.partitions.push_back(mbr_partition(i + 1, e.first_lba, e));
    }
    for (const MbrEntry& e : entries) {
        if (!is_extended(e.type) || e.sectors == 0) continue;
        if (auto ok = read_logical(image, e.first_lba, e.sectors, table.partitions); !ok)
            return tl::unexpected(ok.error());
    }
    if (table.partitions.empty()) return proto::failure("the MBR lists no partition");
    return table;
}

proto::Result<Partition> boot_partition(const PartitionTable& table, std::optional<unsigned> number) {
    const Partition* chosen = nullptr;
    for (const Partition& p : table.partitions) {
        if (number ? p.number == *number : p.fat) {
            chosen = &p;
            break;
        }
    }
    if (chosen == nullptr) {
        return proto::failure(number ? "the image has no partition " + std::to_string(*number)
                                     : std::string("the image has no FAT partition (name one with \"partition\")"));
    }
    if (chosen->offset > table.image_size || chosen->size > table.image_size - chosen->offset) {
        return proto::failure("partition " + std::to_string(chosen->number) + " runs past the image's end (" +
                              std::to_string(chosen->offset + chosen->size) + " > " + std::to_string(table.image_size) +
                              " bytes)");
    }
    return *chosen;
}

const char* table_kind_name(TableKind kind) noexcept {
    return kind == TableKind::gpt ? "gpt" : "mbr";
}

}  // namespace rackboot::image
