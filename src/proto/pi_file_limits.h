// What the Pi firmware would silently cut from a file it reads over the network (IMAGES.md): a
// config.txt setting that ends at byte 4096 or later (firmware#1575), a config.txt line past 98
// characters (the documented limit; firmware#2041 lost a 258-character line's parameters), a
// kernel command line past 1024 characters or on a second line (start.elf reads the first line
// only). Rendered per-board files are checked before they are saved, never served cut.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rackboot::proto {

inline constexpr std::size_t kConfigTxtNetbootBytes = 4096;
inline constexpr std::size_t kConfigTxtLineChars = 98;
inline constexpr std::size_t kCmdlineChars = 1024;

// Why the firmware would not read all of `bytes` as the file `path` (its name decides: config.txt
// and cmdline.txt, in any case and any directory); nullopt when it would.
[[nodiscard]] std::optional<std::string> firmware_would_cut(std::string_view path, std::string_view bytes);

}  // namespace rackboot::proto
