// The block cache against real files: asynchronous opens confined to a tree, chunked reads,
// sharing between opens of the same file, eviction under a small budget.
#include "dataplane/block_cache.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

namespace fs = std::filesystem;

class BlockCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("rb-cache-" + std::to_string(getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_ / "tree/sub");
        content_.resize(300'000);
        for (std::size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<char>((i * 7919) >> 3);
        std::ofstream(dir_ / "tree/sub/file.bin", std::ios::binary)
            .write(content_.data(), static_cast<std::streamsize>(content_.size()));
        std::ofstream(dir_ / "secret.txt") << "outside";
        fs::create_symlink(dir_ / "secret.txt", dir_ / "tree/escape");
        fs::create_symlink("sub/file.bin", dir_ / "tree/inside");
        tree_fd_ = open((dir_ / "tree").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(tree_fd_, 0);
        BlockCacheConfig cfg;
        cfg.budget_bytes = 64u << 16;  // the minimum: 64 chunks
        cache_ = test::unwrap(BlockCache::create(cfg));
        ASSERT_TRUE(cache_);
    }
    void TearDown() override {
        for (std::size_t slot = 0; cache_ && slot < cache_->chunk_count(); ++slot) {
            EXPECT_EQ(cache_->arena().refs(static_cast<std::int32_t>(slot)), 0u) << "slot " << slot << " still held";
        }
        cache_.reset();
        close(tree_fd_);
        fs::remove_all(dir_);
    }

    // Waits up to 10 ms for the ring's eventfd, then drains it.
    void wait_event() {
        pollfd p{cache_->event_fd(), POLLIN, 0};
        if (poll(&p, 1, 10) > 0) {
            std::uint64_t n = 0;
            ASSERT_EQ(read(cache_->event_fd(), &n, sizeof n), static_cast<ssize_t>(sizeof n));
        }
    }

    // Opens through the ring and waits for the completion.
    int open_file(const char* path) {
        EXPECT_TRUE(cache_->submit_open(tree_fd_, path, 77));
        int result = 0;
        bool done = false;
        for (int i = 0; i < 200 && !done; ++i) {
            wait_event();
            cache_->poll([&](std::uint64_t tag, int res) {
                EXPECT_EQ(tag, 77u);
                result = res;
                done = true;
            });
        }
        EXPECT_TRUE(done);
        return result;
    }

    std::int32_t adopt(int fd) {
        struct stat st {};
        EXPECT_EQ(fstat(fd, &st), 0);
        return cache_->adopt(fd, st);
    }

    void wait_ready(std::int32_t file, std::uint64_t off, std::uint64_t len) {
        for (int i = 0; i < 500; ++i) {
            auto a = cache_->ensure(file, off, len);
            ASSERT_NE(a, BlockCache::Avail::Failed);
            if (a == BlockCache::Avail::Ready) return;
            cache_->flush();
            wait_event();
            cache_->poll([](std::uint64_t, int) {});
        }
        FAIL() << "never became ready";
    }

    // The bytes ensure() made resident and held, which it then lets go (as a send does).
    std::string read_via_map(std::int32_t file, std::uint64_t off, std::uint32_t len) {
        iovec iov[2];
        int n = cache_->map(file, off, len, iov);
        std::string out;
        for (int i = 0; i < n; ++i) out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
        cache_->settle();
        return out;
    }

    fs::path dir_;
    int tree_fd_ = -1;
    std::vector<char> content_;
    std::unique_ptr<BlockCache> cache_;
};

TEST_F(BlockCacheTest, ReadsBytesAcrossChunkBoundaries) {
    int fd = open_file("sub/file.bin");
    ASSERT_GE(fd, 0);
    std::int32_t f = adopt(fd);
    ASSERT_NE(f, BlockCache::kNoFile);
    EXPECT_EQ(cache_->size_of(f), content_.size());
    EXPECT_EQ(cache_->ensure(f, 65'000, 1468), BlockCache::Avail::Pending);
    wait_ready(f, 65'000, 1468);
    EXPECT_EQ(read_via_map(f, 65'000, 1468), std::string(content_.data() + 65'000, 1468));
    wait_ready(f, 299'000, 1000);
    EXPECT_EQ(read_via_map(f, 299'000, 1000), std::string(content_.data() + 299'000, 1000));
    cache_->release(f);
}

TEST_F(BlockCacheTest, SameFileOpenedTwiceSharesChunks) {
    std::int32_t a = adopt(open_file("sub/file.bin"));
    wait_ready(a, 0, 100'000);
    cache_->settle();
    std::uint64_t reads = cache_->reads_issued();
    std::int32_t b = adopt(open_file("inside"));  // symlink inside the tree: allowed
    EXPECT_EQ(a, b);
    EXPECT_EQ(cache_->ensure(b, 0, 100'000), BlockCache::Avail::Ready);
    cache_->settle();
    EXPECT_EQ(cache_->reads_issued(), reads);
    cache_->release(a);
    cache_->release(b);
}

TEST_F(BlockCacheTest, NothingOutsideTheTreeOpens) {
    EXPECT_EQ(open_file("escape"), -EXDEV);  // symlink leaving the tree
    EXPECT_EQ(open_file("../secret.txt"), -EXDEV);
    EXPECT_EQ(open_file("nope"), -ENOENT);
}

TEST_F(BlockCacheTest, EvictsUnderASmallBudgetAndRereads) {
    std::int32_t f = adopt(open_file("sub/file.bin"));
    // Walk the file several times with a budget of 64 chunks: it always fits (5 chunks).
    for (int pass = 0; pass < 3; ++pass) {
        for (std::uint64_t off = 0; off < content_.size(); off += 1468) {
            auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(1468, content_.size() - off));
            wait_ready(f, off, len);
            ASSERT_EQ(read_via_map(f, off, len), std::string(content_.data() + off, len));
        }
    }
    EXPECT_EQ(cache_->reads_issued(), 5u);  // read once, served from memory after
    cache_->release(f);

    // A file of 80 chunks does not fit in 64: walking it twice must read again, correctly.
    std::vector<char> big(80u << 16);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i ^ (i >> 16));
    std::ofstream(dir_ / "tree/big.bin", std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
    std::int32_t g = adopt(open_file("big.bin"));
    std::uint64_t before = cache_->reads_issued();
    for (int pass = 0; pass < 2; ++pass) {
        for (std::uint64_t off = 0; off < big.size(); off += 32768) {
            wait_ready(g, off, 1468);
            ASSERT_EQ(read_via_map(g, off, 1468), std::string(big.data() + off, 1468));
        }
    }
    EXPECT_GE(cache_->reads_issued() - before, 80u + 16u);
    cache_->release(g);
}

// A rendered file lives in one pinned chunk: reading a file four times the cache does not evict
// it, and its last release gives the chunk back.
TEST_F(BlockCacheTest, AMemoryFileStaysUntilItsLastRelease) {
    std::uint8_t* bytes = nullptr;
    std::int32_t m = cache_->adopt_memory(11, bytes);
    ASSERT_NE(m, BlockCache::kNoFile);
    ASSERT_NE(bytes, nullptr);
    std::memcpy(bytes, "console=tty", 11);
    EXPECT_EQ(cache_->size_of(m), 11u);
    EXPECT_EQ(cache_->ensure(m, 0, 11), BlockCache::Avail::Ready);
    std::vector<char> big(256u << 16);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i ^ (i >> 16));
    std::ofstream(dir_ / "tree/big.bin", std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
    std::int32_t g = adopt(open_file("big.bin"));
    for (std::uint64_t off = 0; off < big.size(); off += 65536) {
        wait_ready(g, off, 1468);
        cache_->settle();
    }
    cache_->release(g);
    EXPECT_EQ(cache_->ensure(m, 0, 11), BlockCache::Avail::Ready);
    EXPECT_EQ(read_via_map(m, 0, 11), "console=tty");
    std::int32_t chunk = cache_->chunk_of(bytes);
    EXPECT_EQ(cache_->arena().refs(chunk), 1u);  // the file's own hold
    cache_->release(m);
    EXPECT_EQ(cache_->arena().refs(chunk), 0u);
    // Too big for a chunk: refused. Empty: a file of nothing.
    EXPECT_EQ(cache_->adopt_memory((64u << 10) + 1, bytes), BlockCache::kNoFile);
    std::int32_t empty = cache_->adopt_memory(0, bytes);
    ASSERT_NE(empty, BlockCache::kNoFile);
    EXPECT_EQ(cache_->size_of(empty), 0u);
    EXPECT_EQ(cache_->ensure(empty, 0, 0), BlockCache::Avail::Ready);
    cache_->release(empty);
}

// A disk image's file: its bytes are runs of the image, out of order and of odd sizes (as a
// fragmented FAT file's clusters), some smaller than a block and some crossing chunks.
class ImageExtentsTest : public BlockCacheTest {
protected:
    void SetUp() override {
        BlockCacheTest::SetUp();
        image_.resize(1u << 20);
        for (std::size_t i = 0; i < image_.size(); ++i) image_[i] = static_cast<char>((i * 2654435761u) >> 13);
        std::ofstream(dir_ / "disk.img", std::ios::binary)
            .write(image_.data(), static_cast<std::streamsize>(image_.size()));
        image_fd_ = open((dir_ / "disk.img").c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(image_fd_, 0);
        struct stat st {};
        ASSERT_EQ(fstat(image_fd_, &st), 0);
        id_ = ImageIdentity{st.st_dev, st.st_ino, st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec,
                            static_cast<std::uint64_t>(st.st_size)};
        // 512 bytes, then runs that cross the 64 KiB chunk size both ways.
        extents_ = {{900'000, 512}, {4096, 70'000}, {600'000, 512}, {200'000, 131'072}, {80'000, 1000}};
        for (const image::Extent& e : extents_) expected_.append(image_.data() + e.offset, e.length);
        expected_.resize(expected_.size() - 300);  // the last cluster is not all the file's
    }
    void TearDown() override {
        close(image_fd_);
        BlockCacheTest::TearDown();
    }
    // Ensures until ready or refused; what ensure said last.
    BlockCache::Avail settle(std::int32_t file, std::uint64_t off, std::uint64_t len) {
        BlockCache::Avail a = BlockCache::Avail::Pending;
        for (int i = 0; i < 500 && a == BlockCache::Avail::Pending; ++i) {
            a = cache_->ensure(file, off, len);
            cache_->flush();
            wait_event();
            cache_->poll([](std::uint64_t, int) {});
        }
        return a;
    }

    std::vector<char> image_;
    int image_fd_ = -1;
    ImageIdentity id_;
    std::vector<image::Extent> extents_;
    std::string expected_;
};

TEST_F(ImageExtentsTest, ReadsTheRunsInFileOrder) {
    std::int32_t f = cache_->adopt_extents(image_fd_, id_, expected_.size(), extents_);
    ASSERT_NE(f, BlockCache::kNoFile);
    EXPECT_EQ(cache_->size_of(f), expected_.size());
    for (std::uint32_t blk : {512u, 1468u, 8192u}) {
        std::string got;
        for (std::uint64_t off = 0; off < expected_.size(); off += blk) {
            auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(blk, expected_.size() - off));
            wait_ready(f, off, len);
            got += read_via_map(f, off, len);
        }
        ASSERT_EQ(got, expected_) << "blksize " << blk;
    }
    EXPECT_EQ(cache_->reads_issued(), 4u);  // 203,796 bytes: four chunks, each read once
    // The same file of the same image content is shared; another file (first run) is not.
    std::uint64_t reads = cache_->reads_issued();
    EXPECT_EQ(cache_->adopt_extents(image_fd_, id_, expected_.size(), extents_), f);
    EXPECT_EQ(cache_->ensure(f, 0, expected_.size()), BlockCache::Avail::Ready);
    cache_->settle();
    EXPECT_EQ(cache_->reads_issued(), reads);
    std::vector<image::Extent> other{{0, 4096}};
    std::int32_t g = cache_->adopt_extents(image_fd_, id_, 4096, other);
    EXPECT_NE(g, f);
    wait_ready(g, 0, 4096);
    EXPECT_EQ(read_via_map(g, 0, 4096), std::string(image_.data(), 4096));
    cache_->release(f);
    cache_->release(f);
    cache_->release(g);
}

TEST_F(ImageExtentsTest, ExtentsShorterThanTheFileAreRefused) {
    EXPECT_EQ(cache_->adopt_extents(image_fd_, id_, expected_.size() + 301, extents_), BlockCache::kNoFile);
}

TEST_F(ImageExtentsTest, AnImageRewrittenUnderItIsNeverReadMixed) {
    std::int32_t f = cache_->adopt_extents(image_fd_, id_, expected_.size(), extents_);
    wait_ready(f, 0, 1000);  // the first chunk, of the content indexed
    cache_->settle();
    // The image is rewritten in place: its mtime moves, its bytes change.
    int w = open((dir_ / "disk.img").c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(w, 0);
    std::string other(200'000, 'X');
    ASSERT_EQ(pwrite(w, other.data(), other.size(), 200'000), static_cast<ssize_t>(other.size()));
    timespec times[2] = {{0, UTIME_OMIT}, {id_.mtime_ns / 1'000'000'000 + 5, 0}};
    ASSERT_EQ(futimens(w, times), 0);
    close(w);
    // What was read before still serves (one version, whole); what is read now is refused.
    EXPECT_EQ(cache_->ensure(f, 0, 1000), BlockCache::Avail::Ready);
    EXPECT_EQ(read_via_map(f, 0, 1000), expected_.substr(0, 1000));
    EXPECT_EQ(settle(f, 150'000, 1468), BlockCache::Avail::Changed);
    // And stays refused: the entry never reads the new content.
    EXPECT_EQ(settle(f, 150'000, 1468), BlockCache::Avail::Changed);
    cache_->release(f);
    // The new content, indexed again (its own identity), reads.
    struct stat st {};
    ASSERT_EQ(fstat(image_fd_, &st), 0);
    ImageIdentity now{st.st_dev, st.st_ino, st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec,
                      static_cast<std::uint64_t>(st.st_size)};
    std::int32_t g = cache_->adopt_extents(image_fd_, now, expected_.size(), extents_);
    ASSERT_NE(g, f);
    EXPECT_EQ(settle(g, 150'000, 1468), BlockCache::Avail::Ready);
    cache_->settle();
    cache_->release(g);
}

}  // namespace
}  // namespace rackboot::dataplane
