#include "dataplane/tree_handle.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace rackboot::dataplane {

namespace {

// Opens `relative` beneath `root` with `flags`, never through a symlink nor out of it.
proto::Result<int> openat_beneath(const TreeHandle& root, const std::string& relative, std::uint64_t flags,
                                  const std::string& shown) {
    if (relative.empty() || relative.front() == '/') {
        return proto::failure("'" + shown + "' is not a path beneath '" + root.path() + "'");
    }
    open_how how{};
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, root.fd(), relative.c_str(), &how, sizeof how);
    if (fd < 0) {
        int why = errno;
        if (why == ELOOP) {
            return proto::failure("'" + shown + "' has a symlink on the way: images are opened beneath '" +
                                  root.path() + "' without following any");
        }
        if (why == EXDEV) return proto::failure("'" + shown + "' leads outside '" + root.path() + "'");
        return proto::failure("cannot open '" + shown + "': " + std::strerror(why));
    }
    return static_cast<int>(fd);
}

}  // namespace

proto::Result<std::shared_ptr<TreeHandle>> TreeHandle::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return proto::failure("cannot open boot tree '" + path + "': " + std::strerror(errno));
    }
    // O_PATH opens what the daemon's user may not enter: check now, not on every RRQ later.
    if (faccessat(fd, ".", X_OK, AT_EACCESS) != 0) {
        int why = errno;
        struct stat st {};
        fstat(fd, &st);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        close(fd);
        return proto::failure("boot tree '" + path + "': the daemon's user (uid " + std::to_string(geteuid()) +
                              ") may not enter it (mode " + mode + ", owner uid " + std::to_string(st.st_uid) +
                              "): " + std::strerror(why));
    }
    return std::shared_ptr<TreeHandle>(new TreeHandle(fd, path));
}

proto::Result<std::shared_ptr<TreeHandle>> TreeHandle::open_beneath(const TreeHandle& root,
                                                                    const std::string& relative) {
    std::string shown = root.path() + "/" + relative;
    auto fd = openat_beneath(root, relative, O_PATH | O_DIRECTORY | O_CLOEXEC, shown);
    if (!fd) return tl::unexpected(fd.error());
    auto handle = std::shared_ptr<TreeHandle>(new TreeHandle(*fd, shown));
    if (faccessat(handle->fd(), ".", X_OK, AT_EACCESS) != 0) {
        return proto::failure("'" + shown + "': the daemon's user (uid " + std::to_string(geteuid()) +
                              ") may not enter it: " + std::strerror(errno));
    }
    return handle;
}

proto::Result<std::shared_ptr<TreeHandle>> TreeHandle::open_image_beneath(const TreeHandle& root,
                                                                          const std::string& relative,
                                                                          std::optional<unsigned> partition,
                                                                          const std::shared_ptr<TreeHandle>& held) {
    std::string shown = root.path() + "/" + relative;
    auto fd = openat_beneath(root, relative, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, shown);
    if (!fd) return tl::unexpected(fd.error());
    std::shared_ptr<TreeHandle> handle(new TreeHandle(*fd, shown));
    struct stat st {};
    if (fstat(handle->fd_, &st) != 0) return proto::failure("'" + shown + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        return proto::failure("'" + shown + "' is not a regular file (an img image is a disk image file)");
    handle->identity_ = ImageIdentity::of(st);
    handle->partition_ = partition;
    if (held && held->index_ && held->identity_ == handle->identity_ && held->partition_ == partition) return held;
    // The index reads through its own descriptor (closed with it); the handle keeps this one.
    int dup = fcntl(handle->fd_, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return proto::failure("'" + shown + "': " + std::strerror(errno));
    auto source = image::FileSource::adopt(dup, shown);
    if (!source) return tl::unexpected(source.error());
    auto index = image::FatIndex::build(*source, partition);
    if (!index) return tl::unexpected(index.error());
    // An image being written as it was read may index as anything: such an index is not kept.
    struct stat after {};
    if (fstat(handle->fd_, &after) != 0 || !(ImageIdentity::of(after) == handle->identity_)) {
        return proto::failure("'" + shown + "' " + kChangedWhileIndexed);
    }
    handle->index_ = std::make_unique<const image::FatIndex>(std::move(*index));
    return handle;
}

std::string TreeHandle::location() const {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd_);
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : path_;
}

bool TreeHandle::same_as(const TreeHandle& other) const {
    struct stat a {};
    struct stat b {};
    return fstat(fd_, &a) == 0 && fstat(other.fd_, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

TreeHandle::~TreeHandle() {
    close(fd_);
}

}  // namespace rackboot::dataplane
