// A board's root disk: a sparse copy holds the image's bytes and only its data runs take space,
// it grows sparse to the size asked, a size below the image's is refused, and a try that crashed
// before its rename leaves nothing the next try trips on.
#include "control/roots/root_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

struct Scratch {
    fs::path dir;
    int dirfd = -1;
    Scratch() {
        char tmpl[] = "/var/tmp/rb-roots.XXXXXX";
        dir = mkdtemp(tmpl);
        dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    }
    ~Scratch() {
        ::close(dirfd);
        fs::remove_all(dir);
    }
    // A 64 MiB image with 3 MiB of data in three runs and holes between.
    [[nodiscard]] int image() const {
        std::string path = (dir / "image.img").string();
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
        EXPECT_EQ(::ftruncate(fd, 64 << 20), 0);
        std::string mib(1 << 20, '\0');
        for (int run = 0; run < 3; ++run) {
            for (std::size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>('a' + (i + run) % 26);
            EXPECT_EQ(::pwrite(fd, mib.data(), mib.size(), static_cast<off_t>(run) * (20 << 20)),
                      static_cast<ssize_t>(mib.size()));
        }
        ::fsync(fd);
        return fd;
    }
    [[nodiscard]] std::string read(const std::string& name, std::size_t limit) const {
        std::ifstream in(dir / name, std::ios::binary);
        std::string out(limit, '\0');
        in.read(out.data(), static_cast<std::streamsize>(limit));
        out.resize(static_cast<std::size_t>(in.gcount()));
        return out;
    }
};

TEST(RootDisk, ASparseCopyHoldsTheImageAndOnlyItsDataTakesSpace) {
    Scratch s;
    int img = s.image();
    auto made = make_disk(img, s.dirfd, "5a5a0001.img", 0);
    ASSERT_TRUE(made) << made.error().reason;
    EXPECT_EQ(made->size, 64u << 20);
    if (made->method == "sparse copy") {
        EXPECT_EQ(made->copied, 3u << 20);  // the data runs alone
    }
    EXPECT_EQ(s.read("5a5a0001.img", 128 << 20), s.read("image.img", 128 << 20));
    struct stat st {};
    ASSERT_EQ(::stat((s.dir / "5a5a0001.img").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 64 << 20);
    EXPECT_LT(static_cast<std::uint64_t>(st.st_blocks) * 512, 16u << 20) << "holes were written out";
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // a tenant's disk: the daemon's alone
    EXPECT_FALSE(fs::exists(s.dir / ".5a5a0001.img.partial"));
    ::close(img);
}

TEST(RootDisk, GrowsSparseAndRefusesASizeBelowTheImage) {
    Scratch s;
    int img = s.image();
    auto small = make_disk(img, s.dirfd, "a.img", 32 << 20);
    ASSERT_FALSE(small);
    EXPECT_EQ(small.error().kind, DiskError::bad_request);
    EXPECT_NE(small.error().reason.find("smaller than the image"), std::string::npos) << small.error().reason;
    EXPECT_FALSE(fs::exists(s.dir / "a.img"));
    auto grown = make_disk(img, s.dirfd, "a.img", 1ULL << 30);
    ASSERT_TRUE(grown) << grown.error().reason;
    EXPECT_EQ(grown->size, 1ULL << 30);
    EXPECT_EQ(fs::file_size(s.dir / "a.img"), 1ULL << 30);
    EXPECT_EQ(s.read("a.img", 64 << 20), s.read("image.img", 64 << 20));
    ::close(img);
}

// A crash after the copy and before it was recorded leaves a temporary file, or a disk nobody
// names: the next try replaces either. remove_disk is quiet about a disk already gone.
TEST(RootDisk, LeftoversOfACrashedTryAreReplaced) {
    Scratch s;
    int img = s.image();
    std::ofstream(s.dir / ".b.img.partial") << "half a copy";
    std::ofstream(s.dir / "b.img") << "an unrecorded disk";
    auto made = make_disk(img, s.dirfd, "b.img", 0);
    ASSERT_TRUE(made) << made.error().reason;
    EXPECT_EQ(fs::file_size(s.dir / "b.img"), 64u << 20);
    EXPECT_FALSE(fs::exists(s.dir / ".b.img.partial"));
    EXPECT_TRUE(remove_disk(s.dirfd, "b.img"));
    EXPECT_FALSE(fs::exists(s.dir / "b.img"));
    EXPECT_TRUE(remove_disk(s.dirfd, "b.img"));
    ::close(img);
}

}  // namespace
}  // namespace rackboot::control
