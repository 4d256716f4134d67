// Internet-checksum sums of block-cache payload pieces, remembered per worker. A rack of Pis
// fetches the same blocks of the same files, so where the port cannot checksum UDP itself (memif,
// af_packet, ring) the software checksum of a DATA payload, which reads every byte, is taken once
// per resident block and reused. Direct-mapped: a collision just recomputes. Keys are the cache's
// fill ids, so a slot read again with other bytes never matches an old entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "proto/inet_checksum.h"

namespace rackboot::dataplane {

class PayloadSumMemo {
public:
    // `entries` is rounded up to a power of two (at least 1).
    explicit PayloadSumMemo(std::size_t entries) {
        std::size_t n = 1;
        while (n < entries) n <<= 1;
        table_.resize(n);
        mask_ = n - 1;
    }

    // The partial (even-aligned) sum of p[0, len), which lies in the cache chunk filled as `fill`
    // at `offset`; `hit` tells whether it came from the memo.
    std::uint16_t sum(std::uint64_t fill, std::uint32_t offset, const std::uint8_t* p, std::uint32_t len,
                      bool& hit) noexcept {
        Entry& e = table_[index(fill, offset)];
        hit = e.fill == fill && e.offset == offset && e.len == len && len <= 0xffff;
        if (!hit) {
            proto::InetChecksum c;
            c.add(proto::ConstBytes(p, len));
            e = Entry{fill, offset, static_cast<std::uint16_t>(len), c.partial()};
        }
        return e.sum;
    }

private:
    struct Entry {               // 16 bytes: four to a cache line
        std::uint64_t fill = 0;  // fills start at 1: 0 never matches
        std::uint32_t offset = 0;
        std::uint16_t len = 0;  // a piece is at most one block (blksize <= 65464)
        std::uint16_t sum = 0;
    };
    static_assert(sizeof(Entry) == 16);

    [[nodiscard]] std::size_t index(std::uint64_t fill, std::uint32_t offset) const noexcept {
        std::uint64_t h = (fill * 0x9E3779B97F4A7C15ULL) ^ (static_cast<std::uint64_t>(offset) * 0xC2B2AE3D27D4EB4FULL);
        return static_cast<std::size_t>(h ^ (h >> 29)) & mask_;
    }

    std::vector<Entry> table_;
    std::size_t mask_ = 0;
};

}  // namespace rackboot::dataplane
