// The Internet checksum (RFC 1071): a ones' complement sum, accumulated over pieces of any
// length, so a UDP pseudo-header, header and scattered payload need no contiguous copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "proto/byte_cursor.h"

namespace rackboot::proto {

class InetChecksum {
public:
    void add(ConstBytes b) noexcept {
        std::size_t i = 0;
        if (odd_ && !b.empty()) {  // the previous piece ended mid-word
            sum_ += b[0];
            odd_ = false;
            i = 1;
        }
        for (; i + 1 < b.size(); i += 2) sum_ += static_cast<std::uint32_t>((b[i] << 8) | b[i + 1]);
        if (i < b.size()) {
            sum_ += static_cast<std::uint32_t>(b[i] << 8);
            odd_ = true;
        }
    }
    // Whole 16/32-bit words; only between pieces of even length.
    void add16(std::uint16_t v) noexcept { sum_ += v; }
    void add32(std::uint32_t v) noexcept {
        sum_ += v >> 16;
        sum_ += v & 0xffff;
    }
    // The checksum to put on the wire (host order).
    [[nodiscard]] std::uint16_t finish() const noexcept {
        std::uint64_t s = sum_;
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        return static_cast<std::uint16_t>(~s & 0xffff);
    }

private:
    std::uint64_t sum_ = 0;
    bool odd_ = false;
};

}  // namespace rackboot::proto
