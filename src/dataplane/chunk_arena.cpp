#include "dataplane/chunk_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

namespace rackboot::dataplane {

namespace {

constexpr std::size_t kHugePage = 2u << 20;

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

}  // namespace

proto::Result<std::shared_ptr<ChunkArena>> ChunkArena::create(const ChunkArenaConfig& cfg) {
    if (cfg.workers == 0 || cfg.workers > kMaxWorkers) {
        return proto::failure("block cache: 1 to " + std::to_string(kMaxWorkers) + " workers share it, not " +
                              std::to_string(cfg.workers));
    }
    if (cfg.chunk_size == 0 || cfg.chunk_size % 4096 != 0) {
        return proto::failure("block cache: its chunk size must be a multiple of 4096 bytes");
    }
    std::shared_ptr<ChunkArena> a(new ChunkArena());
    a->chunk_size_ = cfg.chunk_size;
    a->workers_ = cfg.workers;
    a->nslots_ = std::max<std::size_t>(cfg.budget_bytes / cfg.chunk_size, 64);
    a->bytes_ = a->nslots_ * cfg.chunk_size;
    void* mem = MAP_FAILED;
    if (cfg.huge_pages) {
        a->mapped_ = (a->bytes_ + kHugePage - 1) / kHugePage * kHugePage;
        mem = mmap(nullptr, a->mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        a->huge_ = mem != MAP_FAILED;
    }
    if (mem == MAP_FAILED) {
        a->mapped_ = a->bytes_;
        mem = mmap(nullptr, a->mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    if (mem == MAP_FAILED) {
        return proto::failure("block cache: cannot map " + std::to_string(a->bytes_) +
                              " bytes: " + std::strerror(errno));
    }
    a->base_ = static_cast<std::uint8_t*>(mem);
    a->slots_ = std::make_unique<Slot[]>(a->nslots_);
    a->refs_ = std::make_unique<std::atomic<std::uint32_t>[]>(a->nslots_ * cfg.workers);
    a->wake_ = std::make_unique<Wake[]>(cfg.workers);
    std::size_t buckets = std::bit_ceil(a->nslots_ * 2);
    a->index_.assign(buckets, -1);
    a->index_mask_ = buckets - 1;
    return a;
}

ChunkArena::~ChunkArena() {
    if (base_ != nullptr) munmap(base_, mapped_);
}

void ChunkArena::lock() noexcept {
    while (lock_.exchange(true, std::memory_order_acquire)) {
        while (lock_.load(std::memory_order_relaxed)) cpu_relax();
    }
}

std::uint32_t ChunkArena::refs(std::int32_t slot) const noexcept {
    std::uint32_t sum = 0;
    for (std::uint32_t w = 0; w < workers_; ++w) {
        sum += refs_[static_cast<std::size_t>(w) * nslots_ + static_cast<std::size_t>(slot)].load(
            std::memory_order_relaxed);
    }
    return sum;
}

ChunkArena::Probe ChunkArena::probe(std::uint32_t worker, std::int32_t slot, std::uint64_t version) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    add_ref(worker, slot, 1);
    // Against take_victim: our reference is visible before we read the word, or the evictor's
    // Evicting is visible to us (the fences order the two sides).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::uint64_t w = s.word.load(std::memory_order_acquire);
    if (w == word(version, State::Ready)) {
        if (s.referenced.load(std::memory_order_relaxed) == 0) s.referenced.store(1, std::memory_order_relaxed);
        return Probe::Ready;
    }
    add_ref(worker, slot, -1);
    if (w == word(version, State::Loading)) {
        s.waiters.fetch_or(1ULL << worker, std::memory_order_seq_cst);
        // It may have landed before the waiter bit was seen: then look again now.
        if (s.word.load(std::memory_order_seq_cst) != w) return Probe::Gone;
        return Probe::Loading;
    }
    if (w == word(version, State::Failed)) return Probe::Failed;
    if (w == word(version, State::Changed)) return Probe::Changed;
    return Probe::Gone;
}

std::int32_t ChunkArena::take_victim() noexcept {
    auto n = static_cast<std::uint32_t>(nslots_);
    for (std::uint32_t step = 0; step < 2 * n; ++step) {
        std::uint32_t i = hand_;
        hand_ = hand_ + 1 == n ? 0 : hand_ + 1;
        Slot& s = slots_[i];
        std::uint64_t w = s.word.load(std::memory_order_acquire);
        auto st = static_cast<State>(w & kStateMask);
        if (st == State::Loading || st == State::Evicting) continue;
        if (st == State::Ready && s.referenced.load(std::memory_order_relaxed) != 0) {
            s.referenced.store(0, std::memory_order_relaxed);
            continue;
        }
        if (!s.word.compare_exchange_strong(w, word(w >> kStateBits, State::Evicting), std::memory_order_acq_rel)) {
            continue;
        }
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (refs(static_cast<std::int32_t>(i)) != 0) {
            s.word.store(w, std::memory_order_release);  // held: it stays as it was
            continue;
        }
        if (s.indexed) erase(static_cast<std::int32_t>(i));
        return static_cast<std::int32_t>(i);
    }
    return -1;
}

ChunkArena::Found ChunkArena::claim_locked(std::uint32_t worker, State state) noexcept {
    Found f;
    std::int32_t slot = take_victim();
    if (slot < 0) {
        starved_.fetch_or(1ULL << worker, std::memory_order_seq_cst);
        return f;
    }
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    s.waiters.store(0, std::memory_order_relaxed);
    s.referenced.store(state == State::Loading ? 1 : 0, std::memory_order_relaxed);
    if (state == State::Private) add_ref(worker, slot, 1);
    f.slot = slot;
    f.version = ++next_version_;
    f.load = state == State::Loading;
    s.word.store(word(f.version, state), std::memory_order_release);
    return f;
}

ChunkArena::Found ChunkArena::find_or_claim(std::uint32_t worker, const ChunkKey& key) noexcept {
    lock();
    Found f;
    if (std::int32_t at = lookup(key); at >= 0) {
        f.slot = at;
        f.version = slots_[static_cast<std::size_t>(at)].word.load(std::memory_order_acquire) >> kStateBits;
    } else if (f = claim_locked(worker, State::Loading); f.slot >= 0) {
        slots_[static_cast<std::size_t>(f.slot)].key = key;  // read under the lock only
        insert(f.slot);
    }
    unlock();
    return f;
}

ChunkArena::Found ChunkArena::claim_private(std::uint32_t worker) noexcept {
    lock();
    Found f = claim_locked(worker, State::Private);
    unlock();
    return f;
}

void ChunkArena::publish(std::int32_t slot, std::uint64_t version, State state) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    s.word.store(word(version, state), std::memory_order_seq_cst);
    // Every waiter registered before this exchange is woken; one registering after it sees the
    // new word (probe looks again) and does not wait.
    std::uint64_t mask = s.waiters.exchange(0, std::memory_order_seq_cst);
    mask |= starved_.exchange(0, std::memory_order_seq_cst);
    if (mask != 0) wake(mask);
}

void ChunkArena::wake(std::uint64_t mask) noexcept {
    for (std::uint32_t w = 0; w < workers_; ++w) {
        if ((mask & (1ULL << w)) == 0) continue;
        wake_[w].count.fetch_add(1, std::memory_order_release);
        int fd = wake_[w].fd.load(std::memory_order_acquire);
        if (fd >= 0) {
            std::uint64_t one = 1;
            (void)!write(fd, &one, sizeof one);  // an eventfd: never blocks (EFD_NONBLOCK)
        }
    }
}

void ChunkArena::forget_failed(std::int32_t slot, std::uint64_t version) noexcept {
    lock();
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    std::uint64_t w = s.word.load(std::memory_order_acquire);
    if ((w == word(version, State::Failed) || w == word(version, State::Changed)) && s.indexed) erase(slot);
    unlock();
}

void ChunkArena::set_wake_fd(std::uint32_t worker, int fd) noexcept {
    if (worker < workers_) wake_[worker].fd.store(fd, std::memory_order_release);
}

std::size_t ChunkArena::bucket_of(const ChunkKey& k) const noexcept {
    // splitmix64 over the key's words.
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::uint64_t v : {k.dev, k.ino, static_cast<std::uint64_t>(k.mtime_ns), k.size, k.origin, k.index}) {
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
    }
    return static_cast<std::size_t>(h) & index_mask_;
}

std::int32_t ChunkArena::lookup(const ChunkKey& key) const noexcept {
    for (std::size_t b = bucket_of(key);; b = (b + 1) & index_mask_) {
        std::int32_t slot = index_[b];
        if (slot < 0) return -1;
        if (slots_[static_cast<std::size_t>(slot)].key == key) return slot;
    }
}

void ChunkArena::insert(std::int32_t slot) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    std::size_t b = bucket_of(s.key);
    while (index_[b] >= 0) b = (b + 1) & index_mask_;  // never full: twice as many buckets as slots
    index_[b] = slot;
    s.indexed = true;
}

void ChunkArena::erase(std::int32_t slot) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    std::size_t b = bucket_of(s.key);
    while (index_[b] != slot) b = (b + 1) & index_mask_;
    s.indexed = false;
    // Backward shift: later entries of the run move up into the hole when their home bucket
    // allows, so lookups never stop at a hole before their key.
    std::size_t hole = b;
    for (std::size_t j = (hole + 1) & index_mask_; index_[j] >= 0; j = (j + 1) & index_mask_) {
        std::size_t home = bucket_of(slots_[static_cast<std::size_t>(index_[j])].key);
        // Movable when its home is not within (hole, j] cyclically.
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            index_[hole] = index_[j];
            hole = j;
        }
    }
    index_[hole] = -1;
}

}  // namespace rackboot::dataplane
