// Fixed-capacity open-addressing map from 64-bit keys to 32-bit values (linear probing,
// backward-shift deletion). Sized once; never allocates afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rackboot::proto {

class FlatIndex {
public:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    // Capacity is rounded up to a power of two at least twice `max_entries`.
    explicit FlatIndex(std::uint32_t max_entries);

    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept;
    // Inserts or overwrites. False only when full (cannot happen within max_entries).
    bool put(std::uint64_t key, std::uint32_t value) noexcept;
    // Removes the key if it maps to `value` (so a newer owner of the key is left alone).
    void erase_if(std::uint64_t key, std::uint32_t value) noexcept;
    [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return cells_.capacity() * sizeof(Cell); }

private:
    struct Cell {
        std::uint64_t key = 0;
        std::uint32_t value = kNone;  // kNone marks an empty cell
    };
    [[nodiscard]] std::uint32_t home(std::uint64_t key) const noexcept;

    std::vector<Cell> cells_;
    std::uint32_t mask_ = 0;
    std::uint32_t size_ = 0;
};

// Mixes a key so that near keys spread (splitmix64 finaliser).
[[nodiscard]] inline std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

}  // namespace rackboot::proto
