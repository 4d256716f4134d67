// The block cache against real files: asynchronous opens confined to a tree, chunked reads,
// sharing between opens of the same file, eviction under a small budget.
#include "dataplane/block_cache.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

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

    std::string read_via_map(std::int32_t file, std::uint64_t off, std::uint32_t len) {
        iovec iov[2];
        int n = cache_->map(file, off, len, iov);
        std::string out;
        for (int i = 0; i < n; ++i) out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
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
    std::uint64_t reads = cache_->reads_issued();
    std::int32_t b = adopt(open_file("inside"));  // symlink inside the tree: allowed
    EXPECT_EQ(a, b);
    EXPECT_EQ(cache_->ensure(b, 0, 100'000), BlockCache::Avail::Ready);
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

}  // namespace
}  // namespace rackboot::dataplane
