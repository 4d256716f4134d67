// Disk images made for a test with the tools a host would use (sfdisk, sgdisk, mkfs.vfat, mtools),
// in a directory removed afterwards, and raw edits to them (a dirty bit, a looped chain).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "image/byte_source.h"

namespace rackboot::test {

class ImageScratch {
public:
    ImageScratch();
    ~ImageScratch();
    ImageScratch(const ImageScratch&) = delete;
    ImageScratch& operator=(const ImageScratch&) = delete;

    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] std::string path(const std::string& name) const { return dir_ + "/" + name; }

    // Runs a bash command in dir(); false (with its output on stderr) if it failed.
    bool sh(const std::string& command) const;
    // A file of n pseudo-random bytes (seeded, so a failure repeats).
    std::string random_file(const std::string& name, std::size_t n, std::uint32_t seed) const;
    // What mtools reads for ::path in the FAT volume at byte offset of image.
    std::vector<std::uint8_t> mtype(const std::string& image, std::uint64_t offset, const std::string& path) const;
    void poke(const std::string& image, std::uint64_t offset, const std::vector<std::uint8_t>& bytes) const;
    [[nodiscard]] std::vector<std::uint8_t> peek(const std::string& image, std::uint64_t offset, std::size_t n) const;

private:
    std::string dir_;
};

// The image at path, or the test fails (by exception) with the reason.
inline image::FileSource open_image(const std::string& path) {
    auto image = image::FileSource::open(path);
    if (!image) throw std::runtime_error(image.error().reason);
    return std::move(*image);
}

}  // namespace rackboot::test
