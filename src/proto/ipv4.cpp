#include "proto/ipv4.h"

#include <charconv>

namespace rackboot::proto {

std::optional<Ipv4> Ipv4::parse(std::string_view text) noexcept {
    std::uint32_t v = 0;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        if (p == end || *p < '0' || *p > '9' || (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9')) {
            return std::nullopt;  // no sign, no empty part, no leading zero (inet_pton's rules)
        }
        unsigned part = 0;
        auto [next, ec] = std::from_chars(p, end, part);
        if (ec != std::errc() || part > 255) return std::nullopt;
        v = (v << 8) | part;
        p = next;
    }
    if (p != end) return std::nullopt;
    return Ipv4(v);
}

std::string Ipv4::to_string() const {
    return std::to_string(value_ >> 24) + '.' + std::to_string((value_ >> 16) & 0xff) + '.' +
           std::to_string((value_ >> 8) & 0xff) + '.' + std::to_string(value_ & 0xff);
}

}  // namespace rackboot::proto
