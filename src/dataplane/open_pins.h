// Which boot maps a worker's in-flight file opens still need. An open names its directory by
// descriptor and the kernel resolves it when the open runs (io_uring, maybe later), so the map
// that owns that descriptor must outlive the open, not just the loop iteration that submitted it:
// the worker reports a quiescent state only when no open from an older map is in flight.
// Opens are counted in buckets by map generation, oldest first, in a fixed ring: no allocation.
#pragma once

#include <array>
#include <cstdint>

namespace rackboot::dataplane {

class OpenPins {
public:
    static constexpr std::uint32_t kBuckets = 64;
    static constexpr std::uint32_t kNoPin = UINT32_MAX;

    // An open submitted under map `generation`: returns its pin (8 bits), or kNoPin when 64
    // generations already have opens in flight (the caller refuses the request as busy).
    [[nodiscard]] std::uint32_t pin(std::uint64_t generation) noexcept {
        if (count_ > 0 && ring_[(head_ + count_ - 1) % kBuckets].generation == generation) {
            Bucket& b = ring_[(head_ + count_ - 1) % kBuckets];
            ++b.opens;
            return b.id;
        }
        if (count_ == kBuckets) return kNoPin;
        Bucket& b = ring_[(head_ + count_) % kBuckets];
        b.generation = generation;
        b.opens = 1;
        b.id = static_cast<std::uint8_t>(next_id_++);
        ++count_;
        return b.id;
    }
    // The open with that pin completed.
    void unpin(std::uint32_t id) noexcept {
        // Live buckets have consecutive ids starting at the head's, so the offset finds it.
        if (count_ == 0) return;
        auto offset = static_cast<std::uint8_t>(id - ring_[head_].id);
        if (offset >= count_) return;
        Bucket& b = ring_[(head_ + offset) % kBuckets];
        if (b.opens > 0) --b.opens;
        while (count_ > 0 && ring_[head_].opens == 0) {
            head_ = (head_ + 1) % kBuckets;
            --count_;
        }
    }
    // True when no open from a map older than `generation` is in flight.
    [[nodiscard]] bool clear_before(std::uint64_t generation) const noexcept {
        return count_ == 0 || ring_[head_].generation >= generation;
    }
    [[nodiscard]] std::uint32_t in_flight() const noexcept {
        std::uint32_t n = 0;
        for (std::uint32_t i = 0; i < count_; ++i) n += ring_[(head_ + i) % kBuckets].opens;
        return n;
    }

private:
    struct Bucket {
        std::uint64_t generation = 0;
        std::uint32_t opens = 0;
        std::uint8_t id = 0;
    };
    std::array<Bucket, kBuckets> ring_{};
    std::uint32_t head_ = 0;
    std::uint32_t count_ = 0;
    std::uint32_t next_id_ = 0;
};

}  // namespace rackboot::dataplane
