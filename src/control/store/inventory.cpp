#include "control/store/inventory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/file_template.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

namespace {

// Names and label keys: 1..63 of [A-Za-z0-9._-], starting with a letter or digit (DNS-label-like,
// so they can go in URLs, filters and logs unquoted).
bool safe_name(std::string_view s, std::size_t max = 63) {
    if (s.empty() || s.size() > max) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

// Label values: printable ASCII without quotes, backslashes or '=' (filters use key=value).
bool safe_value(std::string_view s) {
    if (s.size() > 253) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e || c == '"' || c == '\\' || c == '=' || c == ',') return false;
    }
    return true;
}

}  // namespace

Outcome validate_files(const std::map<std::string, std::string>& files) {
    if (files.size() > kMaxOwnFiles) {
        return Outcome::fail(ApiError::invalid_field, "at most " + std::to_string(kMaxOwnFiles) + " files", "files");
    }
    for (const auto& [path, text] : files) {
        proto::PathVerdict v = proto::check_tftp_path(path);
        std::vector<char> normal(path.size() + 1);
        if (v != proto::PathVerdict::ok || proto::normalize_tftp_path(path, normal.data()) != path) {
            return Outcome::fail(
                ApiError::invalid_field,
                "files: '" + path +
                    "' is not a path a Pi asks for (relative, no '..', '.', '//' or control characters)",
                "files");
        }
        auto t = proto::FileTemplate::compile(text);
        if (!t) return Outcome::fail(ApiError::invalid_field, "files: " + path + ": " + t.error().reason, "files");
    }
    return {};
}

Outcome validate_board(const Board& b) {
    if (!b.name.empty() && !safe_name(b.name)) {
        return Outcome::fail(ApiError::invalid_field, "a name is 1-63 of letters, digits, '.', '_', '-'", "name");
    }
    if (b.labels.size() > 32) return Outcome::fail(ApiError::invalid_field, "at most 32 labels", "labels");
    for (const auto& [k, v] : b.labels) {
        if (!safe_name(k) || !safe_value(v)) {
            return Outcome::fail(ApiError::invalid_field,
                                 "label keys are names; values printable, without quotes, '=' or ','", "labels");
        }
    }
    if (b.macs.size() > 8) return Outcome::fail(ApiError::invalid_field, "at most 8 MAC addresses", "macs");
    for (const Mac& m : b.macs) {
        if ((m[0] & 1) != 0 || m == Mac{}) {
            return Outcome::fail(ApiError::invalid_field, "a board's MAC is a unicast, non-zero address", "macs");
        }
    }
    if (!b.image.empty() && !safe_name(b.image)) {
        return Outcome::fail(ApiError::invalid_field, "not an image name", "image");
    }
    if (b.model.size() > 32 || !safe_value(b.model)) {
        return Outcome::fail(ApiError::invalid_field, "a model is short printable text", "model");
    }
    return validate_files(b.files);
}

std::string_view to_string(BoardState s) noexcept {
    return s == BoardState::discovered ? "discovered" : "configured";
}

std::optional<BoardState> parse_board_state(std::string_view text) noexcept {
    if (text == "configured") return BoardState::configured;
    if (text == "discovered") return BoardState::discovered;
    return std::nullopt;
}

std::string_view to_string(ImageKind k) noexcept {
    return k == ImageKind::img ? "img" : "dir";
}

std::string_view to_string(RootKind k) noexcept {
    return k == RootKind::nfs ? "nfs" : "nbd";
}

std::optional<RootKind> parse_root_kind(std::string_view text) noexcept {
    if (text == "nbd") return RootKind::nbd;
    if (text == "nfs") return RootKind::nfs;
    return std::nullopt;
}

std::string root_reference(const BoardRoot& root) {
    return root.kind == RootKind::nfs ? root.path : std::string(kNbdRootExport);
}

std::optional<ImageKind> parse_image_kind(std::string_view text) noexcept {
    if (text == "dir") return ImageKind::dir;
    if (text == "img") return ImageKind::img;
    return std::nullopt;
}

bool path_beneath(std::string_view path, std::string_view root) {
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
           (root == "/" || path[root.size()] == '/');
}

Outcome validate_image(Image& image, const std::string& images_root) {
    if (!safe_name(image.name)) {
        return Outcome::fail(ApiError::invalid_field, "an image name is 1-63 of letters, digits, '.', '_', '-'",
                             "name");
    }
    if (Outcome o = validate_files(image.files); !o.ok()) return o;
    if (image.partition && image.kind != ImageKind::img) {
        return Outcome::fail(ApiError::invalid_field, "only an img image has a partition", "partition");
    }
    if (image.partition && (*image.partition < 1 || *image.partition > 128)) {
        return Outcome::fail(ApiError::invalid_field, "partition is a number from 1 to 128", "partition");
    }
    if (images_root.empty()) {
        return Outcome::fail(ApiError::invalid_field, "no --images-root is configured: images cannot be added", "path");
    }
    char root[PATH_MAX];
    char real[PATH_MAX];
    if (realpath(images_root.c_str(), root) == nullptr) {
        return Outcome::fail(ApiError::internal, "--images-root '" + images_root + "': " + std::strerror(errno));
    }
    if (image.path.empty() || image.path.front() != '/') {
        return Outcome::fail(ApiError::invalid_field, "path must be absolute", "path");
    }
    if (realpath(image.path.c_str(), real) == nullptr) {
        return Outcome::fail(ApiError::invalid_field, "path '" + image.path + "': " + std::strerror(errno), "path");
    }
    std::string r = root;
    std::string p = real;
    if (!path_beneath(p, r)) {
        return Outcome::fail(ApiError::invalid_field,
                             "path '" + image.path + "' does not lie beneath --images-root '" + r + "'", "path");
    }
    struct stat st {};
    if (image.kind == ImageKind::img) {
        if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
            return Outcome::fail(ApiError::invalid_field,
                                 "path '" + image.path + "' is not a regular file (an img image is a disk image file)",
                                 "path");
        }
        if (access(real, R_OK) != 0) {
            return Outcome::fail(ApiError::invalid_field,
                                 "path '" + image.path + "' is not readable by the daemon: " + std::strerror(errno),
                                 "path");
        }
        image.path = p;
        return {};
    }
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Outcome::fail(ApiError::invalid_field, "path '" + image.path + "' is not a directory", "path");
    }
    if (access(real, R_OK | X_OK) != 0) {
        return Outcome::fail(ApiError::invalid_field,
                             "path '" + image.path + "' is not readable by the daemon: " + std::strerror(errno),
                             "path");
    }
    bool boot_file = false;
    for (const char* f : {"start4.elf", "start.elf", "bootcode.bin", "config.txt", "kernel8.img", "kernel_2712.img"}) {
        boot_file = boot_file || access((p + "/" + f).c_str(), R_OK) == 0;
    }
    if (!boot_file) {
        return Outcome::fail(ApiError::invalid_field,
                             "path '" + image.path +
                                 "' holds no boot file (start4.elf, start.elf, bootcode.bin, config.txt, kernel8.img)",
                             "path");
    }
    image.path = p;
    return {};
}

}  // namespace rackboot::control
