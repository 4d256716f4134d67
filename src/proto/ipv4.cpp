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
    char text[16];
    return std::string(text, format(text));
}

std::size_t Ipv4::format(char (&out)[16]) const noexcept {
    std::size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned octet = (value_ >> shift) & 0xffu;
        if (octet >= 100) out[n++] = static_cast<char>('0' + octet / 100);
        if (octet >= 10) out[n++] = static_cast<char>('0' + octet / 10 % 10);
        out[n++] = static_cast<char>('0' + octet % 10);
        if (shift > 0) out[n++] = '.';
    }
    out[n] = '\0';
    return n;
}

}  // namespace rackboot::proto
