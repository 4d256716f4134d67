// The Internet checksum (RFC 1071): a ones' complement sum, accumulated over pieces of any
// length, so a UDP pseudo-header, header and scattered payload need no contiguous copy.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

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
        std::size_t n = b.size() - i;
        if (n == 0) return;
        sum_ += sum_be_words(b.data() + i, n);
        odd_ = (n & 1) != 0;
    }
    // Adds a sum taken earlier with partial() over `len` bytes that started at an even offset
    // (a memo of a payload's sum): at an odd position its bytes are swapped, as RFC 1071 allows.
    void add_sum(std::uint16_t partial_sum, std::size_t len) noexcept {
        sum_ += odd_ ? static_cast<std::uint16_t>((partial_sum >> 8) | (partial_sum << 8)) : partial_sum;
        odd_ = odd_ != ((len & 1) != 0);
    }
    // The folded sum so far, not complemented (for add_sum; only from an even start).
    [[nodiscard]] std::uint16_t partial() const noexcept {
        std::uint64_t s = sum_;
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        return static_cast<std::uint16_t>(s);
    }
    // Whole 16/32-bit words; only between pieces of even length.
    void add16(std::uint16_t v) noexcept { sum_ += v; }
    void add32(std::uint32_t v) noexcept {
        sum_ += v >> 16;
        sum_ += v & 0xffff;
    }
    // The checksum to put on the wire (host order).
    [[nodiscard]] std::uint16_t finish() const noexcept { return static_cast<std::uint16_t>(~partial() & 0xffff); }

private:
    // The ones' complement sum of big-endian 16-bit words over p[0, n) (a last odd byte is the
    // high half of a word), 8 bytes per step with an end-around carry: the payload of every DATA
    // packet the DPDK backend sends goes through here. Sums in native order and swaps once at the
    // end, which RFC 1071 (2.B) shows is the same sum.
    static std::uint32_t sum_be_words(const std::uint8_t* p, std::size_t n) noexcept {
        std::uint64_t s = 0;
        auto add = [&s](std::uint64_t v) {
            s += v;
            s += static_cast<std::uint64_t>(s < v);
        };
        for (; n >= 32; p += 32, n -= 32) {
            std::uint64_t w[4];
            std::memcpy(w, p, 32);
            add(w[0]);
            add(w[1]);
            add(w[2]);
            add(w[3]);
        }
        for (; n >= 8; p += 8, n -= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            add(w);
        }
        if (n > 0) {
            std::uint64_t w = 0;
            std::memcpy(&w, p, n);  // the bytes keep their positions: words stay aligned
            add(w);
        }
        std::uint64_t f = (s & 0xffffffff) + (s >> 32);
        f = (f & 0xffff) + ((f >> 16) & 0xffff) + (f >> 32);
        f = (f & 0xffff) + (f >> 16);
        f = (f & 0xffff) + (f >> 16);
        auto folded = static_cast<std::uint16_t>(f);
        if constexpr (std::endian::native == std::endian::little) {
            folded = static_cast<std::uint16_t>((folded >> 8) | (folded << 8));
        }
        return folded;
    }

    std::uint64_t sum_ = 0;
    bool odd_ = false;
};

}  // namespace rackboot::proto
