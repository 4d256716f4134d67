#include "proto/pi_file_limits.h"

#include <cctype>

namespace rackboot::proto {

namespace {

bool named(std::string_view path, std::string_view name) {
    std::size_t slash = path.rfind('/');
    std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (base.size() != name.size()) return false;
    for (std::size_t i = 0; i < base.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(base[i])) != name[i]) return false;
    }
    return true;
}

bool blank(std::string_view s) {  // spaces, tabs and line ends only
    for (char c : s) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    }
    return true;
}

// The line without its end ("\n" or "\r\n").
std::string_view chomp(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    return line;
}

std::string shown(std::string_view line) {
    line = chomp(line);
    std::string s(line.substr(0, 40));
    if (line.size() > 40) s += "...";
    return "'" + s + "'";
}

std::optional<std::string> config_txt(std::string_view bytes) {
    std::size_t at = 0;
    for (unsigned number = 1; at < bytes.size(); ++number) {
        std::size_t end = bytes.find('\n', at);
        end = end == std::string_view::npos ? bytes.size() : end + 1;
        std::string_view line = bytes.substr(at, end - at);
        std::string_view text = chomp(line);
        std::size_t first = text.find_first_not_of(" \t");
        bool setting = first != std::string_view::npos && text[first] != '#';
        if (setting && at + text.size() - 1 >= kConfigTxtNetbootBytes) {
            return "config.txt line " + std::to_string(number) + " " + shown(line) + " has its last byte at offset " +
                   std::to_string(at + text.size() - 1) +
                   ": over the network the firmware ignores a setting that reaches offset " +
                   std::to_string(kConfigTxtNetbootBytes) + " (firmware#1575)";
        }
        if (setting && text.size() > kConfigTxtLineChars) {
            return "config.txt line " + std::to_string(number) + " " + shown(line) + " is " +
                   std::to_string(text.size()) + " characters: the firmware ignores what lies past " +
                   std::to_string(kConfigTxtLineChars) + " (split it, e.g. dtoverlay= then dtparam= lines)";
        }
        at = end;
    }
    return std::nullopt;
}

std::optional<std::string> cmdline_txt(std::string_view bytes) {
    std::size_t end = bytes.find('\n');
    std::string_view first = chomp(bytes.substr(0, end));
    if (first.size() > kCmdlineChars) {
        return "cmdline.txt is " + std::to_string(first.size()) + " characters: the firmware passes at most " +
               std::to_string(kCmdlineChars) + " to the kernel";
    }
    if (end != std::string_view::npos && !blank(bytes.substr(end + 1))) {
        return "cmdline.txt line 2 " + shown(bytes.substr(end + 1)) +
               ": the kernel command line is the first line only, the rest is ignored";
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> firmware_would_cut(std::string_view path, std::string_view bytes) {
    if (named(path, "config.txt")) return config_txt(bytes);
    if (named(path, "cmdline.txt")) return cmdline_txt(bytes);
    return std::nullopt;
}

}  // namespace rackboot::proto
