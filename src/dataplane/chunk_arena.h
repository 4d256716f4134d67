// The block cache's memory, one for every worker: an arena of fixed-size chunks, each holding one
// chunk of one version of one file, read from disk once for all workers. Workers (BlockCache, one
// per worker) find chunks by key, read missing ones on their own io_uring, and share what is
// resident without a lock on the hit path:
//  - A chunk's state and version sit in one atomic word. The reader publishes Ready (or Failed)
//    with release; a hit acquires it.
//  - A worker holds a chunk by a reference of its own (one counter per worker and chunk, written
//    only by that worker). A hit takes the reference first and then checks the word; an eviction
//    moves the word to Evicting first and then sums the references; a fence between the two steps
//    on each side means at least one sees the other, so a held chunk is never reused.
//  - Finding a chunk that is not held yet, claiming one to read into and evicting (CLOCK) take a
//    short spin lock: once per chunk read from disk, never per packet. A worker keeps, per file,
//    the slot and version it last found for each chunk, so a hit needs no lookup.
//  - A worker that finds a chunk loading registers as a waiter; the reader wakes every waiter
//    (a counter each polls, and its eventfd) when the chunk lands.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "proto/result.h"

namespace rackboot::dataplane {

// Which bytes a chunk holds: a version of a file (device, inode, mtime, size), where in it the
// file starts (a disk image's file: its first extent + 1; a plain file: 0) and the chunk's index.
struct ChunkKey {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    std::uint64_t origin = 0;
    std::uint64_t index = 0;
    friend bool operator==(const ChunkKey&, const ChunkKey&) = default;
};

struct ChunkArenaConfig {
    std::size_t budget_bytes = 128u << 20;
    std::uint32_t chunk_size = 64u << 10;
    std::uint32_t workers = 1;  // at most kMaxWorkers
    // Back the arena with 2 MiB pages (MAP_HUGETLB), as a DPDK backend's memory is; where none
    // are free it falls back to ordinary pages and says so in huge_pages().
    bool huge_pages = false;
};

class ChunkArena {
public:
    static constexpr std::uint32_t kMaxWorkers = 64;
    enum class State : std::uint8_t { Empty, Loading, Ready, Failed, Changed, Private, Evicting };

    [[nodiscard]] static proto::Result<std::shared_ptr<ChunkArena>> create(const ChunkArenaConfig& cfg);
    ~ChunkArena();
    ChunkArena(const ChunkArena&) = delete;
    ChunkArena& operator=(const ChunkArena&) = delete;

    // What a worker found where it last saw a chunk (slot, version).
    enum class Probe : std::uint8_t {
        Ready,    // resident: the worker now holds it (release with unref)
        Loading,  // being read: the worker is woken when it lands
        Failed,   // its read failed: ask again (forget_failed, then find_or_claim)
        Changed,  // its image changed under the read
        Gone,     // evicted, reused or being evicted: look it up again
    };
    [[nodiscard]] Probe probe(std::uint32_t worker, std::int32_t slot, std::uint64_t version) noexcept;
    void ref(std::uint32_t worker, std::int32_t slot) noexcept { add_ref(worker, slot, 1); }
    void unref(std::uint32_t worker, std::int32_t slot) noexcept { add_ref(worker, slot, -1); }

    // The slot holding `key`, or a slot claimed for it (Loading, `load` set: the caller reads it
    // and then calls publish). slot -1: every slot is held or loading (the worker is woken when a
    // read lands).
    struct Found {
        std::int32_t slot = -1;
        std::uint64_t version = 0;
        bool load = false;
    };
    [[nodiscard]] Found find_or_claim(std::uint32_t worker, const ChunkKey& key) noexcept;
    // A slot for one worker's own bytes (a rendered file): found by nobody else, held by the
    // worker (one reference) until it unrefs it. -1: none free.
    [[nodiscard]] Found claim_private(std::uint32_t worker) noexcept;
    // The reader's verdict on a Loading slot (Ready, Failed or Changed); wakes its waiters.
    void publish(std::int32_t slot, std::uint64_t version, State state) noexcept;
    // A Failed or Changed slot leaves the index, so that the next request reads it again.
    void forget_failed(std::int32_t slot, std::uint64_t version) noexcept;

    // Wake-ups: each worker polls its counter; `fd` (an eventfd, or -1) is written as well, for a
    // worker that sleeps in epoll.
    void set_wake_fd(std::uint32_t worker, int fd) noexcept;
    [[nodiscard]] std::uint64_t wakeups(std::uint32_t worker) const noexcept {
        return wake_[worker].count.load(std::memory_order_acquire);
    }

    [[nodiscard]] std::uint8_t* data(std::int32_t slot) const noexcept {
        return base_ + static_cast<std::size_t>(slot) * chunk_size_;
    }
    [[nodiscard]] std::int32_t slot_of(const void* p) const noexcept {
        auto* b = static_cast<const std::uint8_t*>(p);
        if (b < base_ || b >= base_ + bytes_) return -1;
        return static_cast<std::int32_t>(static_cast<std::size_t>(b - base_) / chunk_size_);
    }
    // The version a held slot's bytes are: unique per read into any slot (keys memos of bytes).
    [[nodiscard]] std::uint64_t version_of(std::int32_t slot) const noexcept {
        return slots_[static_cast<std::size_t>(slot)].word.load(std::memory_order_acquire) >> kStateBits;
    }
    [[nodiscard]] State state_of(std::int32_t slot) const noexcept {
        return static_cast<State>(slots_[static_cast<std::size_t>(slot)].word.load(std::memory_order_acquire) &
                                  kStateMask);
    }
    [[nodiscard]] std::uint32_t refs(std::int32_t slot) const noexcept;
    [[nodiscard]] std::uint32_t chunk_size() const noexcept { return chunk_size_; }
    [[nodiscard]] std::size_t slot_count() const noexcept { return nslots_; }
    [[nodiscard]] std::uint32_t workers() const noexcept { return workers_; }
    [[nodiscard]] std::uint8_t* base() const noexcept { return base_; }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool huge_pages() const noexcept { return huge_; }

private:
    static constexpr unsigned kStateBits = 3;
    static constexpr std::uint64_t kStateMask = (1u << kStateBits) - 1;
    static constexpr std::uint64_t word(std::uint64_t version, State s) noexcept {
        return (version << kStateBits) | static_cast<std::uint64_t>(s);
    }
    struct Slot {
        std::atomic<std::uint64_t> word{0};
        std::atomic<std::uint64_t> waiters{0};    // workers to wake when it lands, a bit each
        std::atomic<std::uint8_t> referenced{0};  // CLOCK's second chance
        // Under the lock only:
        bool indexed = false;
        ChunkKey key{};
    };
    struct alignas(64) Wake {
        std::atomic<std::uint64_t> count{0};
        std::atomic<int> fd{-1};
    };

    ChunkArena() = default;
    void add_ref(std::uint32_t worker, std::int32_t slot, int delta) noexcept {
        std::atomic<std::uint32_t>& r =
            refs_[static_cast<std::size_t>(worker) * nslots_ + static_cast<std::size_t>(slot)];
        r.store(r.load(std::memory_order_relaxed) + static_cast<std::uint32_t>(delta), std::memory_order_release);
    }
    void wake(std::uint64_t mask) noexcept;
    void lock() noexcept;
    void unlock() noexcept { lock_.store(false, std::memory_order_release); }
    // Under the lock: a slot nobody holds, moved to Evicting and out of the index; -1: none.
    [[nodiscard]] std::int32_t take_victim() noexcept;
    // Under the lock: a victim made `state` (Loading, or Private held by `worker`) at a new
    // version; slot -1 when none is free (the worker is then woken by the next landing).
    [[nodiscard]] Found claim_locked(std::uint32_t worker, State state) noexcept;
    // The index: open addressing with linear probing over slot numbers, under the lock.
    [[nodiscard]] std::size_t bucket_of(const ChunkKey& key) const noexcept;
    [[nodiscard]] std::int32_t lookup(const ChunkKey& key) const noexcept;
    void insert(std::int32_t slot) noexcept;
    void erase(std::int32_t slot) noexcept;

    std::uint8_t* base_ = nullptr;
    std::size_t bytes_ = 0;
    std::size_t mapped_ = 0;
    bool huge_ = false;
    std::uint32_t chunk_size_ = 0;
    std::uint32_t workers_ = 1;
    std::unique_ptr<Slot[]> slots_;
    std::size_t nslots_ = 0;
    std::unique_ptr<std::atomic<std::uint32_t>[]> refs_;  // [worker * slots + slot]
    std::unique_ptr<Wake[]> wake_;
    std::atomic<std::uint64_t> starved_{0};  // workers that found no slot free: woken by the next landing
    std::atomic<bool> lock_{false};
    // Under the lock:
    std::vector<std::int32_t> index_;  // -1: empty
    std::size_t index_mask_ = 0;
    std::uint32_t hand_ = 0;
    std::uint64_t next_version_ = 0;
};

}  // namespace rackboot::dataplane
