// Where an image's bytes come from while it is indexed: a file read with pread (FileSource), never
// mapped, so an image rewritten under us is an error to report, never a SIGBUS.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "proto/result.h"

namespace rackboot::image {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;
    // Exactly out.size() bytes from offset, or why not (past the end is a failure too).
    [[nodiscard]] virtual proto::Result<> read_at(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
};

// A regular file opened read-only; the descriptor is the source's.
class FileSource final : public ByteSource {
public:
    [[nodiscard]] static proto::Result<FileSource> open(const std::string& path);
    // Takes an open descriptor (closed here if it is refused); `path` names it in errors.
    [[nodiscard]] static proto::Result<FileSource> adopt(int fd, const std::string& path);
    FileSource(FileSource&& other) noexcept;
    FileSource& operator=(FileSource&&) = delete;
    FileSource(const FileSource&) = delete;
    ~FileSource() override;

    [[nodiscard]] std::uint64_t size() const noexcept override { return size_; }
    [[nodiscard]] proto::Result<> read_at(std::uint64_t offset, std::span<std::uint8_t> out) const override;
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    FileSource(int fd, std::uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::string path_;
};

}  // namespace rackboot::image
