#include "image/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace rackboot::image {

proto::Result<FileSource> FileSource::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return proto::failure(path + ": " + std::strerror(errno));
    return adopt(fd, path);
}

proto::Result<FileSource> FileSource::adopt(int fd, const std::string& path) {
    struct stat st {};
    if (fstat(fd, &st) < 0) {
        int err = errno;
        ::close(fd);
        return proto::failure(path + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return proto::failure(path + ": not a regular file");
    }
    return FileSource(fd, static_cast<std::uint64_t>(st.st_size), path);
}

FileSource::FileSource(FileSource&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), path_(std::move(other.path_)) {
}

FileSource::~FileSource() {
    if (fd_ >= 0) ::close(fd_);
}

proto::Result<> FileSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
    if (offset > size_ || out.size() > size_ - offset) {
        return proto::failure(path_ + ": " + std::to_string(out.size()) + " bytes at offset " + std::to_string(offset) +
                              " lie past its end (" + std::to_string(size_) + " bytes)");
    }
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return proto::failure(path_ + ": read at " + std::to_string(offset + done) + ": " + std::strerror(errno));
        if (n == 0)
            return proto::failure(path_ + ": shrank while it was read (at " + std::to_string(offset + done) + ")");
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace rackboot::image
