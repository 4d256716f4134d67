// A board's root disk (issue 21): its own file, made from an img image, in the roots directory.
// Reflinked (FICLONE) where the file system shares extents, else a sparse copy: SEEK_DATA and
// SEEK_HOLE walk the image and only its data runs are copied, so a 4 GB image with 1.5 GB of
// data costs 1.5 GB, and a reflink nothing until the Pi writes. Written under a temporary name,
// fsynced, renamed into place and the directory fsynced: once make_disk returns, the disk
// survives a crash; before, nothing of it is left but a temporary file the next try replaces.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "proto/result.h"

namespace rackboot::control {

struct MadeDisk {
    std::uint64_t size = 0;    // bytes, as the Pi sees the disk
    std::uint64_t copied = 0;  // bytes written (0 for a reflink)
    std::string method;        // "reflink" or "sparse copy"
};

// Why a disk could not be made, for the API's status: no room on the file system, a size smaller
// than the image, or anything else (an image changed under the copy, an I/O error).
enum class DiskError : std::uint8_t { failed, no_space, bad_request };

struct DiskFailure {
    DiskError kind = DiskError::failed;
    std::string reason;
};

// Makes `name` in the directory `roots_dirfd` from the open image `image_fd`, grown (sparse) to
// `size` bytes when that is larger than the image (0: the image's size; smaller: refused). A
// disk left at `name` by a try that crashed before it was recorded is replaced. The image must
// not change while it is copied (its size and mtime are checked after): refused if it did.
[[nodiscard]] tl::expected<MadeDisk, DiskFailure> make_disk(int image_fd, int roots_dirfd, const std::string& name,
                                                            std::uint64_t size);

// Removes `name` from `roots_dirfd` and makes that durable. A disk already gone is no error.
[[nodiscard]] proto::Result<> remove_disk(int roots_dirfd, const std::string& name);

}  // namespace rackboot::control
