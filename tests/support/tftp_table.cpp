#include "support/tftp_table.h"

#include <fstream>
#include <map>

#include "proto/tftp_codec.h"

namespace rackboot::test {

namespace {

// The boot tree: a Pi 3 ROM's, a Pi 4's (with its serial directory 1a2b3c4d) and a Pi 5's files.
const std::map<std::string, std::size_t, std::less<>>& tree_sizes() {
    static const std::map<std::string, std::size_t, std::less<>> sizes = {
        {"bootcode.bin", 1100},      {"start.elf", 700},        {"start4.elf", 2500},
        {"fixup4.dat", 300},         {"config.txt", 40},        {"cmdline.txt", 30},
        {"kernel8.img", 3000},       {"kernel_2712.img", 3000}, {"1a2b3c4d/start4.elf", 1500},
        {"1a2b3c4d/config.txt", 60},
    };
    return sizes;
}

using Opts = std::initializer_list<std::pair<std::string_view, std::string_view>>;

proto::TftpOptionList option_list(Opts opts) {
    proto::TftpOptionList list;
    for (const auto& [k, v] : opts) list.items[list.count++] = {k, v};
    return list;
}

}  // namespace

const Bytes& boot_file(std::string_view name) {
    static std::map<std::string, Bytes, std::less<>> files;
    auto it = files.find(name);
    if (it != files.end()) return it->second;
    auto size = tree_sizes().find(name);
    Bytes b(size == tree_sizes().end() ? 0 : size->second);
    std::uint32_t h = 2166136261u;
    for (char c : name) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>((i * 31 + h + (i >> 8)) & 0xff);
    return files.emplace(std::string(name), std::move(b)).first->second;
}

void write_boot_tree(const std::filesystem::path& dir) {
    for (const auto& [name, size] : tree_sizes()) {
        std::filesystem::create_directories((dir / name).parent_path());
        const Bytes& b = boot_file(name);
        std::ofstream(dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
}

Bytes rrq(std::string_view file, Opts opts, std::string_view mode) {
    Bytes b(600);
    b.resize(proto::build_tftp_request(b, proto::TftpOpcode::Rrq, file, mode, option_list(opts)));
    return b;
}

Bytes oack(Opts opts) {
    Bytes b(600);
    b.resize(proto::build_tftp_oack(b, option_list(opts)));
    return b;
}

Bytes ack(std::uint16_t block) {
    Bytes b(4);
    b.resize(proto::build_tftp_ack(b, block));
    return b;
}

Bytes data(std::string_view file, std::uint16_t block, std::uint16_t blksize) {
    const Bytes& f = boot_file(file);
    std::size_t from = std::size_t{blksize} * (block - 1u);
    std::size_t to = std::min(f.size(), from + blksize);
    Bytes b(4);
    b.resize(proto::build_tftp_data_header(b, block));
    if (from < to)
        b.insert(b.end(), f.begin() + static_cast<std::ptrdiff_t>(from), f.begin() + static_cast<std::ptrdiff_t>(to));
    return b;
}

Bytes error(std::uint16_t code, std::string_view message) {
    Bytes b(4 + message.size() + 1);
    b.resize(proto::build_tftp_error(b, static_cast<proto::TftpErrorCode>(code), message));
    return b;
}

std::string to_hex(const Bytes& b) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::uint8_t c : b) {
        s.push_back(kHex[c >> 4]);
        s.push_back(kHex[c & 15]);
    }
    return s;
}

}  // namespace rackboot::test
