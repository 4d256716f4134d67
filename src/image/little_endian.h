// Little-endian fields of on-disk structures (MBR, GPT, FAT), read from a sector already in memory.
// Callers read from fixed-size buffers they sized; the bound is still checked, and a field that
// does not fit reads as 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rackboot::image {

template <class T>
[[nodiscard]] inline T le(std::span<const std::uint8_t> b, std::size_t at) noexcept {
    if (at > b.size() || b.size() - at < sizeof(T)) return 0;
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (T{b[at + i]} << (8 * i)));
    return v;
}

[[nodiscard]] inline std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at) noexcept {
    return le<std::uint16_t>(b, at);
}
[[nodiscard]] inline std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) noexcept {
    return le<std::uint32_t>(b, at);
}
[[nodiscard]] inline std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t at) noexcept {
    return le<std::uint64_t>(b, at);
}

}  // namespace rackboot::image
