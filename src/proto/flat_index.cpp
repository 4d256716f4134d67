#include "proto/flat_index.h"

namespace rackboot::proto {

FlatIndex::FlatIndex(std::uint32_t max_entries) {
    std::uint32_t cap = 16;
    while (cap < max_entries * 2) cap <<= 1;
    cells_.resize(cap);
    mask_ = cap - 1;
}

std::uint32_t FlatIndex::home(std::uint64_t key) const noexcept {
    return static_cast<std::uint32_t>(mix64(key)) & mask_;
}

std::uint32_t FlatIndex::find(std::uint64_t key) const noexcept {
    for (std::uint32_t i = home(key);; i = (i + 1) & mask_) {
        const Cell& c = cells_[i];
        if (c.value == kNone) return kNone;
        if (c.key == key) return c.value;
    }
}

bool FlatIndex::put(std::uint64_t key, std::uint32_t value) noexcept {
    for (std::uint32_t i = home(key);; i = (i + 1) & mask_) {
        Cell& c = cells_[i];
        if (c.value == kNone) {
            if (size_ + 1 > mask_) return false;
            c.key = key;
            c.value = value;
            ++size_;
            return true;
        }
        if (c.key == key) {
            c.value = value;
            return true;
        }
    }
}

void FlatIndex::erase_if(std::uint64_t key, std::uint32_t value) noexcept {
    std::uint32_t i = home(key);
    for (;; i = (i + 1) & mask_) {
        if (cells_[i].value == kNone) return;
        if (cells_[i].key == key) break;
    }
    if (cells_[i].value != value) return;
    // Backward-shift: pull later cells of the same probe run into the hole.
    std::uint32_t hole = i;
    for (std::uint32_t j = (hole + 1) & mask_; cells_[j].value != kNone; j = (j + 1) & mask_) {
        std::uint32_t h = home(cells_[j].key);
        // Move j into the hole if its home is not in (hole, j] cyclically.
        bool between = (hole < j) ? (h > hole && h <= j) : (h > hole || h <= j);
        if (!between) {
            cells_[hole] = cells_[j];
            hole = j;
        }
    }
    cells_[hole] = Cell{};
    --size_;
}

}  // namespace rackboot::proto
