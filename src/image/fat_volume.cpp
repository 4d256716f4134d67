#include "image/fat_volume.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

#include "image/little_endian.h"

namespace rackboot::image {

namespace {

// The FAT of a 2 TB FAT32 volume with 32 KB clusters is 256 MB; a boot partition's is well under 8.
constexpr std::uint64_t kMaxFatBytes = std::uint64_t{64} << 20;

struct BootSector {
    std::uint32_t bytes_per_sector, sectors_per_cluster, reserved, fats, root_entries;
    std::uint64_t total_sectors, fat_sectors;
    std::uint32_t root_cluster;
    std::uint16_t ext_flags;
    std::uint8_t state;  // the Windows NT / Linux "volume dirty" byte (bit 0)
};

BootSector parse_boot_sector(std::span<const std::uint8_t> b) {
    BootSector s{};
    s.bytes_per_sector = le16(b, 11);
    s.sectors_per_cluster = b[13];
    s.reserved = le16(b, 14);
    s.fats = b[16];
    s.root_entries = le16(b, 17);
    s.total_sectors = le16(b, 19) != 0 ? le16(b, 19) : le32(b, 32);
    s.fat_sectors = le16(b, 22) != 0 ? le16(b, 22) : le32(b, 36);
    bool fat32_layout = le16(b, 22) == 0;
    s.root_cluster = fat32_layout ? le32(b, 44) : 0;
    s.ext_flags = fat32_layout ? le16(b, 40) : 0;
    s.state = fat32_layout ? b[65] : b[37];
    return s;
}

proto::Result<> check_boot_sector(const BootSector& s) {
    auto bad = [](const std::string& what) { return proto::failure("not a FAT file system: " + what); };
    if (s.bytes_per_sector < 512 || s.bytes_per_sector > 4096 || !std::has_single_bit(s.bytes_per_sector)) {
        return bad("bytes per sector " + std::to_string(s.bytes_per_sector));
    }
    if (s.sectors_per_cluster == 0 || !std::has_single_bit(s.sectors_per_cluster) ||
        s.sectors_per_cluster * s.bytes_per_sector > (256u << 10)) {
        return bad("sectors per cluster " + std::to_string(s.sectors_per_cluster));
    }
    if (s.reserved == 0) return bad("no reserved sectors");
    if (s.fats == 0) return bad("no FAT");
    if (s.fat_sectors == 0) return bad("a FAT of 0 sectors");
    if (s.total_sectors == 0) return bad("0 sectors");
    return {};
}

}  // namespace

const char* fat_type_name(FatType type) noexcept {
    switch (type) {
        case FatType::fat12: return "FAT12";
        case FatType::fat16: return "FAT16";
        case FatType::fat32: return "FAT32";
    }
    return "FAT";
}

proto::Result<FatVolume> FatVolume::open(const ByteSource& image, const Partition& partition) {
    std::array<std::uint8_t, 512> sector{};
    if (auto ok = image.read_at(partition.offset, sector); !ok) return tl::unexpected(ok.error());
    if (sector[510] != 0x55 || sector[511] != 0xAA) {
        return proto::failure("partition " + std::to_string(partition.number) +
                              " holds no FAT file system "
                              "(its boot sector has no 0x55AA signature)");
    }
    BootSector bs = parse_boot_sector(sector);
    if (auto ok = check_boot_sector(bs); !ok) {
        return proto::failure("partition " + std::to_string(partition.number) + ": " + ok.error().reason);
    }
    std::uint64_t sector_bytes = bs.bytes_per_sector;
    std::uint64_t root_sectors = (std::uint64_t{bs.root_entries} * 32 + sector_bytes - 1) / sector_bytes;
    std::uint64_t meta = bs.reserved + bs.fats * bs.fat_sectors + root_sectors;
    if (bs.total_sectors * sector_bytes > partition.size) {
        return proto::failure("the FAT file system (" + std::to_string(bs.total_sectors * sector_bytes) +
                              " bytes) is larger than partition " + std::to_string(partition.number) + " (" +
                              std::to_string(partition.size) + " bytes)");
    }
    if (meta >= bs.total_sectors) return proto::failure("the FAT file system has no data region");
    std::uint64_t clusters = (bs.total_sectors - meta) / bs.sectors_per_cluster;
    FatGeometry geo;
    geo.type = clusters < 4085 ? FatType::fat12 : clusters < 65525 ? FatType::fat16 : FatType::fat32;
    if (geo.type == FatType::fat32 && (bs.root_entries != 0 || bs.root_cluster < 2)) {
        return proto::failure("a FAT32 volume (by its cluster count) with a FAT12/16 root directory");
    }
    if (geo.type != FatType::fat32 && bs.root_entries == 0) {
        return proto::failure("a " + std::string(fat_type_name(geo.type)) + " volume without root directory entries");
    }
    geo.bytes_per_sector = bs.bytes_per_sector;
    geo.cluster_bytes = bs.bytes_per_sector * bs.sectors_per_cluster;
    geo.cluster_count = static_cast<std::uint32_t>(std::min<std::uint64_t>(clusters, 0x0FFFFFF5));
    geo.root_offset = partition.offset + (bs.reserved + bs.fats * bs.fat_sectors) * sector_bytes;
    geo.root_entries = bs.root_entries;
    geo.root_cluster = bs.root_cluster;
    geo.data_offset = partition.offset + meta * sector_bytes;

    // The entries a FAT needs for its clusters, not the sectors it was given (often more).
    std::uint64_t entries = std::uint64_t{geo.cluster_count} + 2;
    std::uint64_t need =
        geo.type == FatType::fat12 ? (entries * 3 + 1) / 2 : entries * (geo.type == FatType::fat16 ? 2 : 4);
    if (need > bs.fat_sectors * sector_bytes) return proto::failure("the FAT is smaller than its clusters need");
    if (need > kMaxFatBytes) return proto::failure("the FAT is larger than 64 MB");
    unsigned active = (bs.ext_flags & 0x80) != 0 ? (bs.ext_flags & 0x0F) : 0;
    if (active >= bs.fats) return proto::failure("the active FAT " + std::to_string(active) + " does not exist");
    std::vector<std::uint8_t> fat(need);
    std::uint64_t fat_at = partition.offset + (bs.reserved + active * bs.fat_sectors) * sector_bytes;
    if (auto ok = image.read_at(fat_at, fat); !ok) return tl::unexpected(ok.error());

    std::uint32_t eoc = geo.type == FatType::fat12 ? 0xFF8 : geo.type == FatType::fat16 ? 0xFFF8 : 0x0FFFFFF8;
    FatVolume volume(image, geo, std::move(fat), eoc);
    // The volume's state: the boot sector's dirty bit (set by Linux and Windows while mounted) and,
    // on FAT16/32, FAT[1]'s clean-shutdown and no-I/O-error bits.
    if ((bs.state & 0x01) != 0) {
        return proto::failure("the FAT file system is marked dirty (mounted, or not cleanly unmounted): run fsck.fat");
    }
    std::uint32_t fat1 = volume.next(1);
    std::uint32_t clean = geo.type == FatType::fat16 ? 0x8000 : 0x08000000;
    std::uint32_t no_error = geo.type == FatType::fat16 ? 0x4000 : 0x04000000;
    if (geo.type != FatType::fat12 && (fat1 & clean) == 0) {
        return proto::failure(
            "the FAT file system is marked dirty (FAT[1]'s clean-shutdown bit is clear): run fsck.fat");
    }
    if (geo.type != FatType::fat12 && (fat1 & no_error) == 0) {
        return proto::failure("the FAT file system is marked damaged (FAT[1]'s I/O-error bit): run fsck.fat");
    }
    return volume;
}

std::uint32_t FatVolume::next(std::uint32_t c) const noexcept {
    std::span<const std::uint8_t> f(fat_);
    switch (geo_.type) {
        case FatType::fat12: {
            std::uint16_t v = le16(f, c + c / 2);
            return (c & 1) != 0 ? v >> 4 : v & 0x0FFF;
        }
        case FatType::fat16: return le16(f, std::size_t{c} * 2);
        case FatType::fat32: return le32(f, std::size_t{c} * 4) & 0x0FFFFFFF;
    }
    return 0;
}

}  // namespace rackboot::image
