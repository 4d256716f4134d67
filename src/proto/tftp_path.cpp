#include "proto/tftp_path.h"

namespace rackboot::proto {

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

BootPrefix split_boot_prefix(std::string_view path) noexcept {
    BootPrefix out;
    out.rest = path;
    std::size_t slash = path.find('/');
    if (slash == std::string_view::npos) return out;
    std::string_view head = path.substr(0, slash);
    if (std::optional<Serial> serial = Serial::parse(head)) {
        out.serial = *serial;
        out.kind = BootPrefix::Kind::Serial;
        out.rest = path.substr(slash + 1);
    } else if (std::optional<Mac> mac = head.size() == 17 && head[2] == '-' ? Mac::parse(head) : std::nullopt) {
        out.mac = *mac;
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
