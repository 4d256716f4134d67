// Single-producer single-consumer ring of trivially copyable records (worker → control thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <type_traits>

namespace rackboot::dataplane {

template <typename T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    explicit SpscRing(std::size_t capacity_pow2) : mask_(capacity_pow2 - 1), items_(new T[capacity_pow2]) {}

    // Producer side. False when full.
    bool push(const T& item) noexcept {
        std::size_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) > mask_) return false;
        items_[head & mask_] = item;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    // Consumer side. False when empty.
    bool pop(T& out) noexcept {
        std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) return false;
        out = items_[tail & mask_];
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

private:
    const std::size_t mask_;
    std::unique_ptr<T[]> items_;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace rackboot::dataplane
