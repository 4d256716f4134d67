// A boot tree as workers serve from it: an open directory, or an open disk image with the index
// of its boot partition (src/image). Opened and indexed on the control thread, shared by every
// boot map snapshot that serves from it, and closed with the last (snapshots are freed on the
// control thread only); workers only read it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "image/fat_index.h"
#include "proto/result.h"

namespace rackboot::dataplane {

// Which content of an image file an index was built from: a file replaced (renamed over) or
// rewritten changes one of these.
struct ImageIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    bool operator==(const ImageIdentity&) const = default;
    // What fstat says of a file now.
    [[nodiscard]] static ImageIdentity of(const struct stat& st) noexcept {
        return ImageIdentity{st.st_dev, st.st_ino,
                             static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                             static_cast<std::uint64_t>(st.st_size)};
    }
};

// How open_image_beneath's reason ends when the image changed while it was read (being written
// now: try again later).
inline constexpr const char* kChangedWhileIndexed = "changed while it was indexed (is it being written?)";

class TreeHandle {
public:
    // Opens the directory `path` and checks the daemon's user may enter it; the reason otherwise.
    [[nodiscard]] static proto::Result<std::shared_ptr<TreeHandle>> open(const std::string& path);
    // Opens the directory `relative` beneath `root` (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS:
    // no '..' out of it and no symlink anywhere on the way), so it never resolves outside `root`.
    [[nodiscard]] static proto::Result<std::shared_ptr<TreeHandle>> open_beneath(const TreeHandle& root,
                                                                                 const std::string& relative);
    // Opens the disk image `relative` beneath `root` as open_beneath does, and indexes its boot
    // partition (`partition`, else the first FAT one): the reason when it cannot be served. When
    // `held` is an index of the same content (device, inode, mtime, size), it is returned as it
    // is, and nothing is read.
    [[nodiscard]] static proto::Result<std::shared_ptr<TreeHandle>> open_image_beneath(
        const TreeHandle& root, const std::string& relative, std::optional<unsigned> partition,
        const std::shared_ptr<TreeHandle>& held = nullptr);

    // Where the open directory or image lies now (its /proc/self/fd link): it may have moved since.
    [[nodiscard]] std::string location() const;
    // The same directory or file (device and inode) as `other`.
    [[nodiscard]] bool same_as(const TreeHandle& other) const;
    ~TreeHandle();
    TreeHandle(const TreeHandle&) = delete;
    TreeHandle& operator=(const TreeHandle&) = delete;
    // The directory (O_PATH), or the image opened read-only.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    // An image's index; null for a directory.
    [[nodiscard]] const image::FatIndex* index() const noexcept { return index_.get(); }
    [[nodiscard]] const ImageIdentity& identity() const noexcept { return identity_; }
    [[nodiscard]] std::optional<unsigned> partition() const noexcept { return partition_; }

private:
    TreeHandle(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
    std::unique_ptr<const image::FatIndex> index_;
    ImageIdentity identity_;
    std::optional<unsigned> partition_;  // as asked for
};

}  // namespace rackboot::dataplane
