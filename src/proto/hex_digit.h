// One hex digit's value, for the parsers of the value types (mac.cpp, serial.cpp).
#pragma once

namespace rackboot::proto {

// 0-15 for 0-9, a-f, A-F; -1 for anything else.
[[nodiscard]] constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace rackboot::proto
