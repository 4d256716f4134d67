#include "proto/serial.h"

#include "proto/hex_digit.h"

namespace rackboot::proto {

namespace {

// The low 32 bits of a run of hex digits; nullopt when one is not a digit.
std::optional<std::uint32_t> low_bits(std::string_view text) noexcept {
    std::uint32_t v = 0;
    for (char c : text) {
        int h = hex_digit(c);
        if (h < 0) return std::nullopt;
        v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    return v;
}

}  // namespace

std::optional<Serial> Serial::parse(std::string_view text) noexcept {
    if (text.size() != 8) return std::nullopt;
    std::optional<std::uint32_t> v = low_bits(text);
    return v ? std::optional<Serial>(Serial(*v)) : std::nullopt;
}

std::optional<Serial> Serial::parse_full(std::string_view text, std::string* full) {
    if (text.size() != 8 && text.size() != 16) return std::nullopt;
    std::optional<std::uint32_t> v = low_bits(text);
    if (!v) return std::nullopt;
    if (full != nullptr) {
        full->assign(text);
        for (char& c : *full) c = c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return Serial(*v);
}

std::string Serial::to_string() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(8, '0');
    for (std::size_t i = 0; i < 8; ++i) out[i] = kHex[(value_ >> (28 - 4 * i)) & 15];
    return out;
}

}  // namespace rackboot::proto
