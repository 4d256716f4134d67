#include "dataplane/boot_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rackboot::dataplane {

std::shared_ptr<DirHandle> DirHandle::open(const std::string& path, std::string& error) {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open boot tree '" + path + "': " + std::strerror(errno);
        return nullptr;
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
        return nullptr;
    }
    return std::shared_ptr<DirHandle>(new DirHandle(fd, path));
}

DirHandle::~DirHandle() {
    close(fd_);
}

const MappedBoard* BootMap::by_serial(std::uint32_t serial) const noexcept {
    std::uint32_t i = by_serial_.find(serial);
    return i == proto::FlatIndex::kNone ? nullptr : &boards_[i];
}

const MappedBoard* BootMap::by_mac(std::uint64_t mac) const noexcept {
    std::uint32_t i = by_mac_.find(mac);
    return i == proto::FlatIndex::kNone ? nullptr : &boards_[i];
}

const MappedBoard* BootMap::by_ip(std::uint32_t ip) const noexcept {
    if (ip == 0) return nullptr;
    std::uint32_t i = by_ip_.find(ip);
    return i == proto::FlatIndex::kNone ? nullptr : &boards_[i];
}

const MappedBoard* BootMap::client(std::uint64_t mac, std::optional<std::uint32_t> serial) const noexcept {
    const MappedBoard* b = by_mac(mac);
    if (b == nullptr && serial) b = by_serial(*serial);
    return b;
}

std::optional<std::uint32_t> BootMap::reserved_for(std::uint64_t mac,
                                                   std::optional<std::uint32_t> serial) const noexcept {
    const MappedBoard* b = client(mac, serial);
    if (b == nullptr || b->ip == 0) return std::nullopt;
    return b->ip;
}

bool BootMap::reserved(std::uint32_t ip) const noexcept {
    const MappedBoard* b = by_ip(ip);
    return b != nullptr && b->ip == ip;
}

BootMap::Resolved BootMap::resolve(std::string_view checked_path, std::uint32_t client) const noexcept {
    proto::BootPrefix p = proto::split_boot_prefix(checked_path);
    const MappedBoard* b = nullptr;
    std::string_view rest = checked_path;
    if (p.kind == proto::BootPrefix::Kind::Serial) {
        b = by_serial(p.serial);
        rest = p.rest;
    } else if (p.kind == proto::BootPrefix::Kind::Mac) {
        b = by_mac(proto::mac_key(p.mac.data()));
        rest = p.rest;
    }
    if (p.kind == proto::BootPrefix::Kind::None) {
        // Unprefixed: the board whose address asks, if it has an image (or netboot off).
        b = by_ip(client);
        if (b != nullptr && b->netboot && b->dirfd < 0) b = nullptr;
    }
    if (b == nullptr) return {root_->fd(), checked_path, nullptr};
    if (!b->netboot) return {-1, rest, b};
    if (b->dirfd < 0) return {root_->fd(), checked_path, b};  // known, but no image: the default tree
    return {b->dirfd, rest, b};
}

std::size_t BootMap::memory_bytes() const noexcept {
    return sizeof(*this) + boards_.capacity() * sizeof(MappedBoard) + by_serial_.memory_bytes() +
           by_mac_.memory_bytes() + by_ip_.memory_bytes() + dirs_.capacity() * sizeof(dirs_[0]);
}

void BootMapBuilder::reserve(std::size_t boards) {
    boards_.reserve(boards);
    macs_.reserve(boards);
}

void BootMapBuilder::add(std::optional<std::uint32_t> serial, const std::shared_ptr<DirHandle>& dir, bool netboot,
                         std::uint32_t pinned, std::span<const std::uint64_t> macs,
                         std::span<const std::uint32_t> ips) {
    auto idx = static_cast<std::uint32_t>(boards_.size());
    MappedBoard b;
    b.dirfd = dir ? dir->fd() : -1;
    b.serial = serial.value_or(0);
    b.has_serial = serial.has_value();
    b.ip = pinned;
    b.netboot = netboot;
    boards_.push_back(b);
    for (std::uint64_t m : macs) macs_.emplace_back(m, idx);
    if (pinned != 0) ips_.emplace_back(pinned, idx);
    for (std::uint32_t ip : ips) {
        if (ip != 0 && ip != pinned) ips_.emplace_back(ip, idx);
    }
    if (dir && (dirs_.empty() || dirs_.back() != dir)) dirs_.push_back(dir);
}

std::unique_ptr<const BootMap> BootMapBuilder::build(std::uint64_t generation) {
    std::unique_ptr<BootMap> m(new BootMap(static_cast<std::uint32_t>(boards_.size()),
                                           static_cast<std::uint32_t>(macs_.size()),
                                           static_cast<std::uint32_t>(ips_.size())));
    m->generation_ = generation;
    m->root_ = root_;
    for (std::uint32_t i = 0; i < boards_.size(); ++i) {
        if (boards_[i].has_serial && m->by_serial_.find(boards_[i].serial) == proto::FlatIndex::kNone) {
            m->by_serial_.put(boards_[i].serial, i);
        }
    }
    // First come keeps a MAC or an address (the store already refuses a MAC on two boards; a
    // learnt address can lag behind a move).
    for (const auto& [mac, i] : macs_) {
        if (m->by_mac_.find(mac) == proto::FlatIndex::kNone) m->by_mac_.put(mac, i);
    }
    for (const auto& [ip, i] : ips_) {
        std::uint32_t held = m->by_ip_.find(ip);
        // A pinned address outranks one learnt by another board.
        if (held == proto::FlatIndex::kNone || (boards_[i].ip == ip && boards_[held].ip != ip)) m->by_ip_.put(ip, i);
    }
    m->boards_ = std::move(boards_);
    std::sort(dirs_.begin(), dirs_.end());
    dirs_.erase(std::unique(dirs_.begin(), dirs_.end()), dirs_.end());
    m->dirs_ = std::move(dirs_);
    boards_ = {};
    macs_ = {};
    ips_ = {};
    dirs_ = {};
    return m;
}

std::unique_ptr<const BootMap> static_boot_map(const std::string& root, const std::vector<BoardTreeSpec>& boards,
                                               std::string& error) {
    auto root_dir = DirHandle::open(root, error);
    if (!root_dir) return nullptr;
    BootMapBuilder b(root_dir);
    for (const BoardTreeSpec& spec : boards) {
        auto dir = DirHandle::open(spec.dir, error);
        if (!dir) return nullptr;
        if (spec.kind == proto::BootPrefix::Kind::Mac) {
            std::uint64_t mac = proto::mac_key(spec.mac.data());
            b.add(std::nullopt, dir, true, 0, std::span<const std::uint64_t>(&mac, 1), {});
        } else {
            b.add(spec.serial, dir, true, 0, {}, {});
        }
    }
    return b.build(1);
}

}  // namespace rackboot::dataplane
