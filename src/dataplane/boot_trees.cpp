#include "dataplane/boot_trees.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rackboot::dataplane {

namespace {

int open_dir(const std::string& path, std::string& error) {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open boot tree '" + path + "': " + std::strerror(errno);
        return -1;
    }
    // O_PATH opens what the daemon's user may not enter: check now, not on every RRQ later.
    if (faccessat(fd, ".", X_OK, AT_EACCESS) != 0) {
        int why = errno;
        struct stat st {};
        fstat(fd, &st);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        error = "boot tree '" + path + "': the daemon's user (uid " + std::to_string(geteuid()) +
                ") may not enter it (mode " + mode + ", owner uid " + std::to_string(st.st_uid) +
                "): " + std::strerror(why);
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::unique_ptr<BootTrees> BootTrees::open(const std::string& root, const std::vector<BoardTreeSpec>& boards,
                                           std::string& error) {
    std::unique_ptr<BootTrees> t(new BootTrees());
    t->root_path_ = root;
    t->root_fd_ = open_dir(root, error);
    if (t->root_fd_ < 0) return nullptr;
    t->fds_.push_back(t->root_fd_);
    for (const BoardTreeSpec& b : boards) {
        int fd = open_dir(b.dir, error);
        if (fd < 0) return nullptr;
        t->fds_.push_back(fd);
        if (b.kind == proto::BootPrefix::Kind::Mac) {
            t->by_mac_[b.mac] = fd;
        } else {
            t->by_serial_[b.serial] = fd;
        }
    }
    return t;
}

BootTrees::~BootTrees() {
    for (int fd : fds_) close(fd);
}

BootTrees::Resolved BootTrees::resolve(std::string_view checked_path) const noexcept {
    proto::BootPrefix p = proto::split_boot_prefix(checked_path);
    if (p.kind == proto::BootPrefix::Kind::Serial) {
        auto it = by_serial_.find(p.serial);
        if (it != by_serial_.end()) return {it->second, p.rest};
    } else if (p.kind == proto::BootPrefix::Kind::Mac) {
        auto it = by_mac_.find(p.mac);
        if (it != by_mac_.end()) return {it->second, p.rest};
    }
    return {root_fd_, checked_path};
}

}  // namespace rackboot::dataplane
