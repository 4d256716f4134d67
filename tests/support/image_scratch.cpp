#include "support/image_scratch.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace rackboot::test {

ImageScratch::ImageScratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rackboot-image.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
}

ImageScratch::~ImageScratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

bool ImageScratch::sh(const std::string& command) const {
    std::ofstream(path(".cmd.sh")) << "set -e\ncd '" << dir_
                                   << "'\nexport MTOOLS_SKIP_CHECK=1 PATH=\"$PATH:/usr/sbin:/sbin\"\n"
                                   << command << "\n";
    std::string run =
        "bash '" + path(".cmd.sh") + "' > '" + path(".out") + "' 2>&1 || { cat '" + path(".out") + "' >&2; exit 1; }";
    return std::system(run.c_str()) == 0;
}

std::string ImageScratch::random_file(const std::string& name, std::size_t n, std::uint32_t seed) const {
    std::mt19937 rng(seed);
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    std::ofstream(path(name), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
}

std::vector<std::uint8_t> ImageScratch::mtype(const std::string& image, std::uint64_t offset,
                                              const std::string& file) const {
    if (!sh("mtype -i '" + image + "@@" + std::to_string(offset) + "' '::/" + file + "' > .mtype")) return {};
    std::ifstream in(path(".mtype"), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void ImageScratch::poke(const std::string& image, std::uint64_t offset, const std::vector<std::uint8_t>& bytes) const {
    std::fstream f(image, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> ImageScratch::peek(const std::string& image, std::uint64_t offset, std::size_t n) const {
    std::vector<std::uint8_t> out(n);
    std::ifstream f(image, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    return out;
}

}  // namespace rackboot::test
