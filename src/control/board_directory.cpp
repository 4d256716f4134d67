#include "control/board_directory.h"

#include <cstdio>

#include "proto/dhcp_leases.h"

namespace rackboot::control {

namespace {

std::uint64_t key_of(const Mac& mac) {
    return proto::mac_key(mac.data());
}

}  // namespace

bool BoardDirectory::load(InventoryStore& store, std::string& error) {
    std::vector<Image> images;
    if (Outcome o = store.list_images(images); !o.ok()) {
        error = "reading images: " + o.message;
        return false;
    }
    for (const Image& i : images) {
        std::string warning;
        put_image(i, warning);
        if (!warning.empty()) std::fprintf(stderr, "rackbootd: warning: %s\n", warning.c_str());
    }
    std::optional<std::uint32_t> after;
    for (;;) {
        std::vector<Board> page;
        if (Outcome o = store.list_boards(BoardFilter{}, after, 10000, page); !o.ok()) {
            error = "reading boards: " + o.message;
            return false;
        }
        for (const Board& b : page) put_board(b);
        if (page.size() < 10000) return true;
        after = page.back().serial;
    }
}

bool BoardDirectory::add_mac_tree(const dataplane::BoardTreeSpec& spec, std::string& error) {
    auto dir = dataplane::DirHandle::open(spec.dir, error);
    if (!dir) return false;
    std::lock_guard lock(mutex_);
    mac_trees_.emplace_back(proto::mac_key(spec.mac.data()), std::move(dir));
    ++version_;
    return true;
}

void BoardDirectory::put_board(const Board& b) {
    std::lock_guard lock(mutex_);
    Entry& e = boards_[b.serial];
    for (std::uint64_t m : e.macs) serial_by_mac_.erase(m);
    e.image = b.image;
    e.netboot = b.netboot;
    e.pinned = b.ip ? b.ip->value() : 0;
    e.macs.clear();
    for (const Mac& m : b.macs) {
        e.macs.push_back(key_of(m));
        serial_by_mac_[key_of(m)] = b.serial;
    }
    if (e.learnt_mac != 0) serial_by_mac_.emplace(e.learnt_mac, b.serial);
    ++version_;
}

void BoardDirectory::remove_board(std::uint32_t serial) {
    std::lock_guard lock(mutex_);
    auto it = boards_.find(serial);
    if (it == boards_.end()) return;
    for (std::uint64_t m : it->second.macs) serial_by_mac_.erase(m);
    if (it->second.learnt_mac != 0) serial_by_mac_.erase(it->second.learnt_mac);
    boards_.erase(it);
    ++version_;
}

void BoardDirectory::put_image(const Image& image, std::string& warning) {
    std::string error;
    auto dir = dataplane::DirHandle::open(image.path, error);
    if (!dir) warning = "image '" + image.name + "': " + error + " (its boards are served nothing)";
    std::lock_guard lock(mutex_);
    images_[image.name] = ImageDir{std::move(dir)};
    ++version_;
}

void BoardDirectory::remove_image(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (images_.erase(name) > 0) ++version_;
}

bool BoardDirectory::learn(std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip) {
    std::lock_guard lock(mutex_);
    bool changed = false;
    if (serial) {
        auto b = boards_.find(*serial);
        if (b != boards_.end() && b->second.learnt_mac != mac) {
            bool configured = false;
            for (std::uint64_t m : b->second.macs) configured = configured || m == mac;
            if (!configured && serial_by_mac_.find(mac) == serial_by_mac_.end()) {
                if (b->second.learnt_mac != 0) serial_by_mac_.erase(b->second.learnt_mac);
                b->second.learnt_mac = mac;
                serial_by_mac_[mac] = *serial;
                changed = true;
            }
        }
    }
    if (ip != 0) {
        auto owner = serial_by_mac_.find(mac);
        if (owner != serial_by_mac_.end()) {
            auto b = boards_.find(owner->second);
            if (b != boards_.end() && b->second.learnt_ip != ip) {
                b->second.learnt_ip = ip;
                changed = true;
            }
        }
    }
    if (changed) ++version_;
    return changed;
}

bool BoardDirectory::has_board(std::uint32_t serial) const {
    std::lock_guard lock(mutex_);
    return boards_.find(serial) != boards_.end();
}

std::uint64_t BoardDirectory::version() const {
    std::lock_guard lock(mutex_);
    return version_;
}

std::size_t BoardDirectory::board_count() const {
    std::lock_guard lock(mutex_);
    return boards_.size() + mac_trees_.size();
}

std::optional<std::uint32_t> BoardDirectory::serial_of_mac(std::uint64_t mac) const {
    std::lock_guard lock(mutex_);
    auto it = serial_by_mac_.find(mac);
    if (it == serial_by_mac_.end()) return std::nullopt;
    return it->second;
}

std::unique_ptr<const dataplane::BootMap> BoardDirectory::build(std::uint64_t generation) const {
    std::lock_guard lock(mutex_);
    dataplane::BootMapBuilder b(root_);
    b.reserve(boards_.size() + mac_trees_.size());
    const std::string* last_name = nullptr;
    const ImageDir* last_dir = nullptr;
    static const ImageDir kNoImage;
    for (const auto& [serial, e] : boards_) {
        // Boards sharing an image are usually neighbours: skip the lookup when it repeats.
        const ImageDir* dir = &kNoImage;
        if (!e.image.empty()) {
            if (last_name != nullptr && *last_name == e.image) {
                dir = last_dir;
            } else {
                auto it = images_.find(e.image);
                dir = it == images_.end() ? &kNoImage : &it->second;
                last_name = &e.image;
                last_dir = dir;
            }
        }
        // An image whose directory could not be opened serves nothing (as netboot off).
        bool servable = e.image.empty() || dir->dir != nullptr;
        std::uint64_t macs[9];
        std::size_t n = 0;
        for (std::uint64_t m : e.macs) {
            if (n < 8) macs[n++] = m;
        }
        if (e.learnt_mac != 0) macs[n++] = e.learnt_mac;
        b.add(serial, dir->dir, e.netboot && servable, e.pinned, std::span<const std::uint64_t>(macs, n),
              std::span<const std::uint32_t>(&e.learnt_ip, e.learnt_ip != 0 ? 1 : 0));
    }
    for (const auto& [mac, dir] : mac_trees_)
        b.add(std::nullopt, dir, true, 0, std::span<const std::uint64_t>(&mac, 1), {});
    return b.build(generation);
}

}  // namespace rackboot::control
