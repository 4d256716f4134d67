#include "control/roots/root_disk.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "proto/result.h"

namespace rackboot::control {

namespace {

class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

tl::unexpected<DiskFailure> fail(const std::string& what, int err) {
    return tl::unexpected(DiskFailure{err == ENOSPC || err == EDQUOT ? DiskError::no_space : DiskError::failed,
                                      what + ": " + std::strerror(err)});
}

// Copies [off, off + len) with copy_file_range (in the kernel; a reflink on file systems that
// share extents), else through a buffer (another file system on an older kernel).
bool copy_run(int from, int to, off_t off, std::uint64_t len, std::vector<char>& buf, int& err) {
    off_t in = off;
    off_t out = off;
    while (len > 0) {
        ssize_t n = ::copy_file_range(from, &in, to, &out, len, 0);
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)) {
            if (buf.empty()) buf.resize(1 << 20);
            ssize_t r = ::pread(from, buf.data(), std::min<std::uint64_t>(len, buf.size()), in);
            if (r < 0) {
                err = errno;
                return false;
            }
            if (r == 0) break;  // the image shrank: the identity check after says so
            for (ssize_t done = 0; done < r;) {
                ssize_t w = ::pwrite(to, buf.data() + done, static_cast<std::size_t>(r - done), out + done);
                if (w < 0) {
                    err = errno;
                    return false;
                }
                done += w;
            }
            in += r;
            out += r;
            len -= static_cast<std::uint64_t>(r);
            continue;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            return false;
        }
        if (n == 0) break;
        len -= static_cast<std::uint64_t>(n);
    }
    return true;
}

// The image's data runs copied into `to` (already `size` long, all hole): the bytes copied.
tl::expected<std::uint64_t, DiskFailure> sparse_copy(int from, int to, std::uint64_t size) {
    std::vector<char> buf;
    std::uint64_t copied = 0;
    off_t pos = 0;
    while (static_cast<std::uint64_t>(pos) < size) {
        off_t data = ::lseek(from, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) break;  // only a hole is left
            return fail("finding the image's data", errno);
        }
        off_t hole = ::lseek(from, data, SEEK_HOLE);
        if (hole < 0) return fail("finding the image's holes", errno);
        int err = 0;
        if (!copy_run(from, to, data, static_cast<std::uint64_t>(hole - data), buf, err)) {
            return fail("copying the image", err);
        }
        copied += static_cast<std::uint64_t>(hole - data);
        pos = hole;
    }
    return copied;
}

bool same_file_state(const struct stat& a, const struct stat& b) {
    return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

}  // namespace

tl::expected<MadeDisk, DiskFailure> make_disk(int image_fd, int roots_dirfd, const std::string& name,
                                              std::uint64_t size) {
    struct stat before {};
    if (::fstat(image_fd, &before) != 0) return fail("the image", errno);
    if (!S_ISREG(before.st_mode))
        return tl::unexpected(DiskFailure{DiskError::failed, "the image is not a regular file"});
    auto image_size = static_cast<std::uint64_t>(before.st_size);
    if (size != 0 && size < image_size) {
        return tl::unexpected(DiskFailure{
            DiskError::bad_request,
            "size " + std::to_string(size) + " is smaller than the image (" + std::to_string(image_size) + " bytes)"});
    }
    MadeDisk made;
    made.size = size != 0 ? size : image_size;
    std::string partial = "." + name + ".partial";
    if (::unlinkat(roots_dirfd, partial.c_str(), 0) != 0 && errno != ENOENT) return fail("removing " + partial, errno);
    Fd disk(::openat(roots_dirfd, partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (disk.get() < 0) return fail("creating " + partial, errno);
    auto undo = [&](tl::unexpected<DiskFailure> why) {
        (void)::unlinkat(roots_dirfd, partial.c_str(), 0);
        return why;
    };
    if (::ioctl(disk.get(), FICLONE, image_fd) == 0) {
        made.method = "reflink";
    } else {
        made.method = "sparse copy";
        if (::ftruncate(disk.get(), static_cast<off_t>(image_size)) != 0) return undo(fail("sizing the disk", errno));
        auto copied = sparse_copy(image_fd, disk.get(), image_size);
        if (!copied) return undo(tl::unexpected(copied.error()));
        made.copied = *copied;
    }
    struct stat after {};
    if (::fstat(image_fd, &after) != 0) return undo(fail("the image", errno));
    if (!same_file_state(before, after)) {
        return undo(tl::unexpected(DiskFailure{DiskError::failed, "the image changed while it was copied: try again"}));
    }
    if (made.size > image_size && ::ftruncate(disk.get(), static_cast<off_t>(made.size)) != 0) {
        return undo(fail("growing the disk", errno));
    }
    if (::fsync(disk.get()) != 0) return undo(fail("writing the disk", errno));
    if (::renameat(roots_dirfd, partial.c_str(), roots_dirfd, name.c_str()) != 0) {
        return undo(fail("renaming the disk into place", errno));
    }
    if (::fsync(roots_dirfd) != 0) return fail("writing the roots directory", errno);
    return made;
}

proto::Result<> remove_disk(int roots_dirfd, const std::string& name) {
    if (::unlinkat(roots_dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
        return proto::failure("removing " + name + ": " + std::strerror(errno));
    }
    if (::fsync(roots_dirfd) != 0)
        return proto::failure(std::string("writing the roots directory: ") + std::strerror(errno));
    return {};
}

}  // namespace rackboot::control
