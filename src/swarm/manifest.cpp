#include "swarm/manifest.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <openssl/evp.h>

namespace rackboot::swarm {

StreamDigest::~StreamDigest() {
    if (sha_ != nullptr) EVP_MD_CTX_free(sha_);
}

StreamDigest::StreamDigest(StreamDigest&& other) noexcept : mode_(other.mode_), sha_(other.sha_), d_(other.d_) {
    other.sha_ = nullptr;
}

StreamDigest& StreamDigest::operator=(StreamDigest&& other) noexcept {
    if (this != &other) {
        if (sha_ != nullptr) EVP_MD_CTX_free(sha_);
        mode_ = other.mode_;
        sha_ = other.sha_;
        d_ = other.d_;
        other.sha_ = nullptr;
    }
    return *this;
}

void StreamDigest::reset(VerifyMode mode) {
    mode_ = mode;
    d_ = FileDigest{};
    d_.crc32 = static_cast<std::uint32_t>(::crc32(0L, Z_NULL, 0));
    if (mode_ == VerifyMode::sha256) {
        if (sha_ == nullptr) sha_ = EVP_MD_CTX_new();
        EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
    }
}

void StreamDigest::update(proto::ConstBytes bytes) {
    d_.size += bytes.size();
    if (mode_ == VerifyMode::sha256) {
        EVP_DigestUpdate(sha_, bytes.data(), bytes.size());
    } else {
        d_.crc32 = static_cast<std::uint32_t>(::crc32_z(d_.crc32, bytes.data(), bytes.size()));
    }
}

FileDigest StreamDigest::finish() {
    if (mode_ == VerifyMode::sha256) {
        unsigned len = 0;
        EVP_DigestFinal_ex(sha_, d_.sha256.data(), &len);
    }
    return d_;
}

proto::Result<> Manifest::load_tree(const std::string& tree) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path root = fs::canonical(tree, ec);
    if (ec || !fs::is_directory(root)) {
        return proto::failure("--tree " + tree + ": not a readable directory");
    }
    std::vector<char> buf(1 << 20);
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::ifstream in(it->path(), std::ios::binary);
        if (!in) {
            return proto::failure("--tree: cannot read " + it->path().string());
        }
        StreamDigest sha;
        StreamDigest crc;
        sha.reset(VerifyMode::sha256);
        crc.reset(VerifyMode::crc32);
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            std::streamsize n = in.gcount();
            if (n <= 0) break;
            proto::ConstBytes piece(reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<std::size_t>(n));
            sha.update(piece);
            crc.update(piece);
        }
        FileDigest d = sha.finish();
        d.crc32 = crc.finish().crc32;
        std::vector<FileDigest>& per_tree = files_[fs::relative(it->path(), root).generic_string()];
        FileDigest absent;
        absent.size = UINT64_MAX;
        per_tree.resize(trees_ + 1, absent);
        per_tree[trees_] = d;
    }
    if (ec) {
        return proto::failure("--tree " + tree + ": " + ec.message());
    }
    ++trees_;
    return {};
}

int Manifest::check(std::string_view path, std::string_view serial_dir, const FileDigest& got, VerifyMode mode) {
    auto matches = [&](const FileDigest& want) {
        if (want.size != got.size) return false;
        if (trees_ > 0 && mode == VerifyMode::sha256) return want.sha256 == got.sha256;
        return want.crc32 == got.crc32;
    };
    if (trees_ == 0) {
        auto [it, fresh] = files_.try_emplace(std::string(path), std::vector<FileDigest>{got});
        return fresh || matches(it->second[0]) ? 0 : -1;  // the first read is the reference
    }
    auto exact = files_.find(std::string(path));
    auto bare = files_.end();
    if (!serial_dir.empty() && path.starts_with(serial_dir))
        bare = files_.find(std::string(path.substr(serial_dir.size())));
    for (std::size_t t = 0; t < trees_; ++t) {
        const FileDigest* want = nullptr;
        if (exact != files_.end() && t < exact->second.size() && exact->second[t].size != UINT64_MAX) {
            want = &exact->second[t];
        } else if (bare != files_.end() && t < bare->second.size() && bare->second[t].size != UINT64_MAX) {
            want = &bare->second[t];
        }
        if (want != nullptr && matches(*want)) return static_cast<int>(t);
    }
    return -1;
}

}  // namespace rackboot::swarm
