#include "image/fat_directory.h"

#include <array>
#include <string_view>

#include "image/little_endian.h"

namespace rackboot::image {

namespace {

constexpr std::size_t kEntry = 32;
constexpr std::uint8_t kAttrVolume = 0x08;
constexpr std::uint8_t kAttrDirectory = 0x10;
constexpr std::uint8_t kAttrLongName = 0x0F;
constexpr std::size_t kCharsPerEntry = 13;
constexpr std::size_t kMaxLongEntries = 20;
constexpr std::array<std::size_t, kCharsPerEntry> kLongNameChars = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};

std::uint8_t short_name_checksum(std::span<const std::uint8_t> e) {
    std::uint8_t sum = 0;
    for (std::size_t i = 0; i < 11; ++i) sum = static_cast<std::uint8_t>(((sum & 1) << 7) + (sum >> 1) + e[i]);
    return sum;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// A long name being assembled: its entries come last part first, numbered down to 1.
struct LongName {
    std::array<std::uint16_t, kMaxLongEntries * kCharsPerEntry> units{};
    unsigned parts = 0;     // how many the first (last-part) entry announced
    unsigned expected = 0;  // the part number the next entry must carry; 0: complete or none
    std::uint8_t checksum = 0;
    bool active = false;

    void reset() { *this = LongName{}; }

    void take(std::span<const std::uint8_t> e) {
        unsigned ord = e[0] & 0x1F;
        if ((e[0] & 0x40) != 0) {
            reset();
            if (ord == 0 || ord > kMaxLongEntries) return;
            parts = ord;
            expected = ord;
            checksum = e[13];
            active = true;
        }
        if (!active || ord != expected || e[13] != checksum) {
            reset();
            return;
        }
        for (std::size_t i = 0; i < kLongNameChars.size(); ++i)
            units[std::size_t{ord - 1} * kCharsPerEntry + i] = le16(e, kLongNameChars[i]);
        --expected;
    }

    // The name, if complete and made for this short entry.
    bool finish(std::span<const std::uint8_t> short_entry, std::string& out) const {
        if (!active || expected != 0 || checksum != short_name_checksum(short_entry)) return false;
        out.clear();
        std::size_t length = std::size_t{parts} * kCharsPerEntry;
        for (std::size_t i = 0; i < length; ++i) {
            char32_t u = units[i];
            if (u == 0) break;
            if (u >= 0xD800 && u < 0xDC00 && i + 1 < length && units[i + 1] >= 0xDC00 && units[i + 1] < 0xE000) {
                u = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
                ++i;
            } else if (u >= 0xD800 && u < 0xE000) {
                return false;  // a lone surrogate: no name to serve it by
            }
            append_utf8(out, u);
        }
        return !out.empty();
    }
};

// The 8.3 name; false if it has bytes of an OEM code page (no single way to spell it).
bool short_name(std::span<const std::uint8_t> e, std::string& out) {
    std::uint8_t nt = e[12];
    auto part = [&](std::size_t from, std::size_t len, bool lower) {
        std::string s;
        for (std::size_t i = from; i < from + len; ++i) {
            auto c = static_cast<char>(i == 0 && e[0] == 0x05 ? 0xE5 : e[i]);
            s += lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s;
    };
    for (std::size_t i = 0; i < 11; ++i) {
        if (e[i] >= 0x80 || (i == 0 && e[0] == 0x05)) return false;
    }
    out = part(0, 8, (nt & 0x08) != 0);
    std::string ext = part(8, 3, (nt & 0x10) != 0);
    if (!ext.empty()) out += "." + ext;
    return !out.empty();
}

// A name no FAT driver writes, which a crafted image could use to alias a path: a separator, a
// NUL, or a dot entry spelled as a long name.
bool servable(std::string_view name) {
    return name != "." && name != ".." && name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

}  // namespace

DirListing parse_directory(std::span<const std::uint8_t> bytes, bool fat32) {
    DirListing listing;
    LongName lfn;
    for (std::size_t at = 0; at + kEntry <= bytes.size(); at += kEntry) {
        std::span<const std::uint8_t> e = bytes.subspan(at, kEntry);
        if (e[0] == 0x00) break;
        if (e[0] == 0xE5) {
            lfn.reset();
            continue;
        }
        std::uint8_t attr = e[11];
        if ((attr & 0x3F) == kAttrLongName) {
            lfn.take(e);
            continue;
        }
        DirEntry entry;
        bool named = lfn.finish(e, entry.name);
        lfn.reset();
        if ((attr & kAttrVolume) != 0) continue;
        if (e[0] == '.' && (e[1] == ' ' || (e[1] == '.' && e[2] == ' '))) continue;
        if ((!named && !short_name(e, entry.name)) || !servable(entry.name)) {
            ++listing.unreadable_names;
            continue;
        }
        entry.directory = (attr & kAttrDirectory) != 0;
        entry.first_cluster = le16(e, 26) | (fat32 ? std::uint32_t{le16(e, 20)} << 16 : 0);
        entry.size = le32(e, 28);
        listing.entries.push_back(std::move(entry));
    }
    return listing;
}

}  // namespace rackboot::image
