// One FAT directory's 32-byte entries, read into names: long names (VFAT) assembled from their
// entries and kept only when their checksum matches the short entry they precede, as FAT drivers
// do; else the 8.3 name, with the case bits Windows NT and Linux write. Deleted entries, the volume
// label, "." and ".." are left out.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rackboot::image {

struct DirEntry {
    std::string name;  // UTF-8
    bool directory = false;
    std::uint32_t first_cluster = 0;
    std::uint32_t size = 0;
};

struct DirListing {
    std::vector<DirEntry> entries;
    // Not served: 8.3 names in an OEM code page with no long name, and names that hold a '/', a '\'
    // or a NUL, or are "." or ".." (no FAT driver writes them; a crafted image would alias a path).
    unsigned unreadable_names = 0;
};

// bytes: the directory's clusters (or the FAT12/16 root region) in order; the listing ends at the
// first entry whose name starts with 0. FAT32 keeps the high half of a first cluster; FAT12/16 do not.
[[nodiscard]] DirListing parse_directory(std::span<const std::uint8_t> bytes, bool fat32);

}  // namespace rackboot::image
