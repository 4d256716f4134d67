#include "proto/mac.h"

#include "proto/hex_digit.h"

namespace rackboot::proto {

namespace {

std::string spelled(const Mac& m, char sep) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(17, sep);
    for (std::size_t i = 0; i < 6; ++i) {
        out[i * 3] = kHex[m.bytes[i] >> 4];
        out[i * 3 + 1] = kHex[m.bytes[i] & 15];
    }
    return out;
}

}  // namespace

std::optional<Mac> Mac::parse(std::string_view text) noexcept {
    if (text.size() != 17) return std::nullopt;
    char sep = text[2];
    if (sep != '-' && sep != ':') return std::nullopt;
    Mac m;
    for (std::size_t i = 0; i < 6; ++i) {
        int hi = hex_digit(text[i * 3]);
        int lo = hex_digit(text[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != sep)) return std::nullopt;
        m.bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return m;
}

std::string Mac::to_string() const {
    return spelled(*this, ':');
}

std::string Mac::dashed() const {
    return spelled(*this, '-');
}

}  // namespace rackboot::proto
