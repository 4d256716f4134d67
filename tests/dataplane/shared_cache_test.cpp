// One block cache for every worker (chunk_arena.h): workers' views over one arena read a chunk
// once between them, wake each other when a read lands, never evict what another holds, and under
// threads racing over an arena far smaller than the file never see a byte that is not the file's.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/block_cache.h"
#include "dataplane/chunk_arena.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

namespace fs = std::filesystem;
constexpr std::uint32_t kChunk = 64u << 10;

class SharedCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("rb-shared-" + std::to_string(getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        content_.resize(std::size_t{200} * kChunk);  // 200 chunks: three times the arena
        for (std::size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<char>((i * 2654435761u) >> 11);
        std::ofstream(dir_ / "file.bin", std::ios::binary)
            .write(content_.data(), static_cast<std::streamsize>(content_.size()));
    }
    void TearDown() override { fs::remove_all(dir_); }

    void make(std::uint32_t workers) {
        arena_ = test::unwrap(ChunkArena::create(ChunkArenaConfig{64u * kChunk, kChunk, workers, false}));
        ASSERT_TRUE(arena_);
        for (std::uint32_t w = 0; w < workers; ++w) {
            BlockCacheConfig cfg;
            cfg.arena = arena_;
            cfg.worker = w;
            views_.push_back(test::unwrap(BlockCache::create(cfg)));
            ASSERT_TRUE(views_.back());
        }
    }

    // Each worker opens the file itself (its own descriptor), as a worker's open does.
    std::int32_t adopt(BlockCache& c) {
        int fd = open((dir_ / "file.bin").c_str(), O_RDONLY | O_CLOEXEC);
        EXPECT_GE(fd, 0);
        struct stat st {};
        EXPECT_EQ(fstat(fd, &st), 0);
        return c.adopt(fd, st);
    }

    static void reap(BlockCache& c, std::uint32_t& landed) {
        c.flush();
        pollfd p{c.event_fd(), POLLIN, 0};
        if (poll(&p, 1, 10) > 0) {
            std::uint64_t n = 0;
            (void)!read(c.event_fd(), &n, sizeof n);
        }
        landed += c.poll([](std::uint64_t, int) {});
    }

    // Ensures until ready (held) or refused; what ensure said last.
    static BlockCache::Avail wait(BlockCache& c, std::int32_t f, std::uint64_t off, std::uint64_t len) {
        BlockCache::Avail a = BlockCache::Avail::Pending;
        std::uint32_t landed = 0;
        for (int i = 0; i < 2000 && a == BlockCache::Avail::Pending; ++i) {
            a = c.ensure(f, off, len);
            if (a == BlockCache::Avail::Pending) reap(c, landed);
        }
        return a;
    }

    static std::string bytes(BlockCache& c, std::int32_t f, std::uint64_t off, std::uint32_t len) {
        iovec iov[2];
        int n = c.map(f, off, len, iov);
        std::string out;
        for (int i = 0; i < n; ++i) out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
        return out;
    }

    std::string expected(std::uint64_t off, std::uint32_t len) const { return {content_.data() + off, len}; }

    fs::path dir_;
    std::vector<char> content_;
    std::shared_ptr<ChunkArena> arena_;
    std::vector<std::unique_ptr<BlockCache>> views_;
};

// Worker 1 asks for a chunk worker 0 is reading: it waits for that read (no read of its own), is
// woken when it lands (its counter and its eventfd), and then serves the same bytes.
TEST_F(SharedCacheTest, AChunkIsReadOnceForEveryWorker) {
    make(2);
    BlockCache& a = *views_[0];
    BlockCache& b = *views_[1];
    std::int32_t fa = adopt(a);
    std::int32_t fb = adopt(b);
    EXPECT_EQ(a.ensure(fa, 70'000, 1468), BlockCache::Avail::Pending);
    EXPECT_EQ(b.ensure(fb, 70'000, 1468), BlockCache::Avail::Pending);
    EXPECT_EQ(a.reads_issued(), 1u);
    EXPECT_EQ(b.reads_issued(), 0u) << "worker 1 read a chunk worker 0 was reading";
    EXPECT_EQ(wait(a, fa, 70'000, 1468), BlockCache::Avail::Ready);
    a.settle();
    pollfd p{b.event_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 1000), 1) << "worker 1 was not woken through its eventfd";
    EXPECT_GT(b.poll([](std::uint64_t, int) {}), 0u) << "worker 1's poll did not report the landing";
    EXPECT_EQ(b.ensure(fb, 70'000, 1468), BlockCache::Avail::Ready);
    EXPECT_EQ(bytes(b, fb, 70'000, 1468), expected(70'000, 1468));
    b.settle();
    EXPECT_EQ(b.reads_issued(), 0u);
    // And a chunk worker 1 reads first, worker 0 then finds resident.
    EXPECT_EQ(wait(b, fb, 5 * kChunk, 100), BlockCache::Avail::Ready);
    b.settle();
    EXPECT_EQ(a.ensure(fa, 5 * kChunk, 100), BlockCache::Avail::Ready);
    EXPECT_EQ(bytes(a, fa, 5 * kChunk, 100), expected(5 * kChunk, 100));
    a.settle();
    EXPECT_EQ(a.reads_issued() + b.reads_issued(), 2u);
    a.release(fa);
    b.release(fb);
}

// What one worker holds (a send in progress, or a zero-copy packet's pin) survives another
// worker walking a file three times the arena's size; once let go, it may be evicted.
TEST_F(SharedCacheTest, AChunkHeldByOneWorkerIsNeverEvictedByAnother) {
    make(2);
    BlockCache& a = *views_[0];
    BlockCache& b = *views_[1];
    std::int32_t fa = adopt(a);
    std::int32_t fb = adopt(b);
    ASSERT_EQ(wait(b, fb, 3 * kChunk, 1468), BlockCache::Avail::Ready);
    iovec held[2];
    ASSERT_EQ(b.map(fb, 3 * kChunk, 1468, held), 1);
    std::int32_t slot = b.chunk_of(held[0].iov_base);
    b.pin(slot);  // a packet points into it
    b.settle();
    for (std::uint64_t off = 0; off < content_.size(); off += kChunk) {
        ASSERT_EQ(wait(a, fa, off, 1468), BlockCache::Avail::Ready) << off;
        ASSERT_EQ(bytes(a, fa, off, 1468), expected(off, 1468)) << off;
        a.settle();
    }
    EXPECT_EQ(std::string(static_cast<char*>(held[0].iov_base), 1468), expected(3 * kChunk, 1468));
    EXPECT_EQ(arena_->refs(slot), 1u);
    b.unpin(slot);
    EXPECT_EQ(arena_->refs(slot), 0u);
    std::uint64_t version = arena_->version_of(slot);
    for (std::uint64_t off = 0; off < content_.size(); off += kChunk) {
        ASSERT_EQ(wait(a, fa, off, 1468), BlockCache::Avail::Ready);
        a.settle();
    }
    EXPECT_NE(arena_->version_of(slot), version) << "a chunk let go was never reused";
    a.release(fa);
    b.release(fb);
}

// Four workers on four threads walk the file at random over an arena of 64 chunks (the file is
// 200): chunks are read, shared, evicted and reused under them all the time. Every byte any of
// them maps while holding it is the file's.
TEST_F(SharedCacheTest, RacingWorkersOnlyEverSeeTheFilesBytes) {
    constexpr std::uint32_t kWorkers = 4;
    make(kWorkers);
    std::atomic<int> bad{0};
    std::atomic<std::uint64_t> served{0};
    std::vector<std::thread> threads;
    for (std::uint32_t w = 0; w < kWorkers; ++w) {
        threads.emplace_back([&, w] {
            BlockCache& c = *views_[w];
            std::int32_t f = adopt(c);
            std::mt19937_64 rng(w + 1);
            for (int i = 0; i < 3000 && bad.load() == 0; ++i) {
                // Sometimes a window crossing chunks, mostly one block.
                std::uint64_t len = (i % 7 == 0) ? 3 * kChunk / 2 : 1468;
                std::uint64_t off = rng() % (content_.size() - len);
                if (wait(c, f, off, len) != BlockCache::Avail::Ready) {
                    bad.fetch_add(1);
                    break;
                }
                for (std::uint64_t at = off; at < off + len; at += 1468) {
                    auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(1468, off + len - at));
                    iovec iov[2];
                    int segs = c.map(f, at, n, iov);
                    std::uint64_t pos = at;
                    for (int s = 0; s < segs; ++s) {
                        if (std::memcmp(iov[s].iov_base, content_.data() + pos, iov[s].iov_len) != 0) bad.fetch_add(1);
                        pos += iov[s].iov_len;
                    }
                }
                c.settle();
                served.fetch_add(1);
            }
            c.release(f);
        });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(served.load(), 4u * 3000u);
    std::uint64_t reads = 0;
    for (auto& v : views_) reads += v->reads_issued();
    EXPECT_GT(reads, 200u) << "the arena never evicted";
    for (std::size_t slot = 0; slot < arena_->slot_count(); ++slot) {
        EXPECT_EQ(arena_->refs(static_cast<std::int32_t>(slot)), 0u);
    }
}

// The arena's own bookkeeping: keys found again after others were evicted around them (the
// index's deletions keep every probe chain whole), a private slot never found and never evicted.
TEST(ChunkArena, FindsEveryKeyItHoldsThroughEvictions) {
    auto arena = test::unwrap(ChunkArena::create(ChunkArenaConfig{64u * kChunk, kChunk, 1, false}));
    ASSERT_TRUE(arena);
    ChunkArena::Found priv = arena->claim_private(0);
    ASSERT_GE(priv.slot, 0);
    std::vector<ChunkArena::Found> live(1000);
    for (std::uint64_t k = 0; k < 1000; ++k) {
        ChunkKey key{1, 2, 3, 4, 5, k};
        ChunkArena::Found f = arena->find_or_claim(0, key);
        ASSERT_GE(f.slot, 0) << k;
        ASSERT_TRUE(f.load) << k;
        ASSERT_NE(f.slot, priv.slot);
        arena->publish(f.slot, f.version, ChunkArena::State::Ready);
        live[k] = f;
        // The last 63 keys are all resident and each found where it was put.
        for (std::uint64_t j = k >= 62 ? k - 62 : 0; j <= k; ++j) {
            ChunkArena::Found again = arena->find_or_claim(0, ChunkKey{1, 2, 3, 4, 5, j});
            ASSERT_FALSE(again.load) << "key " << j << " lost after key " << k;
            ASSERT_EQ(again.slot, live[j].slot);
            ASSERT_EQ(again.version, live[j].version);
        }
    }
    EXPECT_EQ(arena->state_of(priv.slot), ChunkArena::State::Private);
    EXPECT_EQ(arena->version_of(priv.slot), priv.version);
    EXPECT_EQ(arena->probe(0, live[999].slot, live[999].version), ChunkArena::Probe::Ready);
    arena->unref(0, live[999].slot);
    EXPECT_EQ(arena->probe(0, live[0].slot, live[0].version), ChunkArena::Probe::Gone);
    // A failed read leaves the index: the key is read again.
    ChunkArena::Found f = arena->find_or_claim(0, ChunkKey{9, 9, 9, 9, 9, 9});
    arena->publish(f.slot, f.version, ChunkArena::State::Failed);
    EXPECT_EQ(arena->probe(0, f.slot, f.version), ChunkArena::Probe::Failed);
    arena->forget_failed(f.slot, f.version);
    EXPECT_TRUE(arena->find_or_claim(0, ChunkKey{9, 9, 9, 9, 9, 9}).load);
    arena->unref(0, priv.slot);
}

TEST(ChunkArena, RefusesWhatItCannotBe) {
    EXPECT_FALSE(ChunkArena::create(ChunkArenaConfig{1u << 20, kChunk, 0, false}));
    EXPECT_FALSE(ChunkArena::create(ChunkArenaConfig{1u << 20, kChunk, ChunkArena::kMaxWorkers + 1, false}));
    EXPECT_FALSE(ChunkArena::create(ChunkArenaConfig{1u << 20, 1000, 1, false}));
}

// Registered buffers: the ring reads into the arena with READ_FIXED, and the bytes are the file's.
TEST_F(SharedCacheTest, RegisteredBuffersReadTheSameBytes) {
    arena_ = test::unwrap(ChunkArena::create(ChunkArenaConfig{64u * kChunk, kChunk, 1, false}));
    BlockCacheConfig cfg;
    cfg.arena = arena_;
    cfg.register_buffers = true;
    auto c = test::unwrap(BlockCache::create(cfg));
    ASSERT_TRUE(c);
    if (!c->buffers_registered()) GTEST_SKIP() << "the kernel refused to register 4 MiB (RLIMIT_MEMLOCK)";
    std::int32_t f = adopt(*c);
    for (std::uint64_t off = 0; off < content_.size(); off += 3 * kChunk + 17) {
        ASSERT_EQ(wait(*c, f, off, 1468), BlockCache::Avail::Ready);
        ASSERT_EQ(bytes(*c, f, off, 1468), expected(off, 1468));
        c->settle();
    }
    c->release(f);
}

}  // namespace
}  // namespace rackboot::dataplane
