#include "proto/tftp_path.h"

namespace rackboot::proto {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

PathVerdict check_tftp_path(std::string_view path) noexcept {
    if (path.empty()) return PathVerdict::empty;
    if (path.size() > kMaxPathLength) return PathVerdict::too_long;
    if (path.front() == '/') return PathVerdict::absolute;
    if (path.back() == '/') return PathVerdict::empty;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view comp = path.substr(start, end - start);
        if (comp.size() > kMaxComponentLength) return PathVerdict::too_long;
        if (comp == "..") return PathVerdict::parent_reference;
        for (char c : comp) {
            auto u = static_cast<unsigned char>(c);
            if (c == '\\') return PathVerdict::backslash;
            if (u < 0x20 || u == 0x7f) return PathVerdict::control_char;
        }
        start = end + 1;
    }
    return PathVerdict::ok;
}

std::string_view normalize_tftp_path(std::string_view path, char* out) noexcept {
    std::size_t n = 0;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view comp = path.substr(start, end - start);
        if (!comp.empty() && comp != ".") {
            if (n != 0) out[n++] = '/';
            for (char c : comp) out[n++] = c;
        }
        start = end + 1;
    }
    return {out, n};
}

bool parse_serial(std::string_view text, std::uint32_t& out) noexcept {
    if (text.size() != 8) return false;
    std::uint32_t v = 0;
    for (char c : text) {
        int h = hex_value(c);
        if (h < 0) return false;
        v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    out = v;
    return true;
}

bool parse_mac(std::string_view text, std::array<std::uint8_t, 6>& out) noexcept {
    if (text.size() != 17) return false;
    char sep = text[2];
    if (sep != '-' && sep != ':') return false;
    for (std::size_t i = 0; i < 6; ++i) {
        int hi = hex_value(text[i * 3]);
        int lo = hex_value(text[i * 3 + 1]);
        if (hi < 0 || lo < 0) return false;
        if (i < 5 && text[i * 3 + 2] != sep) return false;
        out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return true;
}

BootPrefix split_boot_prefix(std::string_view path) noexcept {
    BootPrefix out;
    out.rest = path;
    std::size_t slash = path.find('/');
    if (slash == std::string_view::npos) return out;
    std::string_view head = path.substr(0, slash);
    if (parse_serial(head, out.serial)) {
        out.kind = BootPrefix::Kind::Serial;
        out.rest = path.substr(slash + 1);
    } else if (head.size() == 17 && head[2] == '-' && parse_mac(head, out.mac)) {
        out.kind = BootPrefix::Kind::Mac;
        out.rest = path.substr(slash + 1);
    }
    return out;
}

std::uint64_t fnv1a64(std::string_view text) noexcept {
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace rackboot::proto
