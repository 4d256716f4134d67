#include "control/live/board_directory.h"

#include <algorithm>
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

void BoardDirectory::forget_macs(std::uint32_t serial, const Entry& e) {
    for (std::uint64_t m : e.macs) configured_by_mac_.erase(m);
    for (std::uint64_t m : e.learnt) {
        auto it = learnt_by_mac_.find(m);
        if (it != learnt_by_mac_.end() && it->second == serial) learnt_by_mac_.erase(it);
    }
}

void BoardDirectory::put_board(const Board& b) {
    std::lock_guard lock(mutex_);
    Entry& e = boards_[b.serial];
    forget_macs(b.serial, e);
    e.image = b.image;
    e.netboot = b.netboot;
    e.learn = b.learn;
    e.pinned = b.ip ? b.ip->value() : 0;
    e.macs.clear();
    for (const Mac& m : b.macs) {
        e.macs.push_back(key_of(m));
        configured_by_mac_[key_of(m)] = b.serial;
    }
    // What the store recorded as learnt, merged with what was learnt here since (not yet stored).
    std::vector<std::uint64_t> learnt;
    for (const LearntMac& l : b.learnt_macs) learnt.push_back(key_of(l.mac));
    for (std::uint64_t m : e.learnt) {
        if (std::find(learnt.begin(), learnt.end(), m) == learnt.end()) learnt.push_back(m);
    }
    if (learnt.size() > kMaxLearntMacs) learnt.resize(kMaxLearntMacs);
    e.learnt = std::move(learnt);
    for (std::uint64_t m : e.learnt) learnt_by_mac_.emplace(m, b.serial);
    ++version_;
}

void BoardDirectory::remove_board(std::uint32_t serial) {
    std::lock_guard lock(mutex_);
    auto it = boards_.find(serial);
    if (it == boards_.end()) return;
    forget_macs(serial, it->second);
    boards_.erase(it);
    ++version_;
}

void BoardDirectory::set_images_root(std::shared_ptr<dataplane::DirHandle> root, std::string real) {
    images_root_ = std::move(root);
    images_root_real_ = std::move(real);
}

void BoardDirectory::allow_flag_tree(const std::string& resolved_dir) {
    flag_trees_.push_back(resolved_dir);
}

BoardDirectory::ImageDir BoardDirectory::open_image(const Image& image) const {
    ImageDir d;
    d.path = image.path;
    std::string error;
    if (std::find(flag_trees_.begin(), flag_trees_.end(), image.path) != flag_trees_.end()) {
        d.dir = dataplane::DirHandle::open(image.path, error);  // a --board directory given now
    } else if (!images_root_) {
        error = "'" + image.path + "' is no --board directory and no --images-root is configured";
    } else {
        const std::string& r = images_root_real_;
        if (!path_beneath(image.path, r)) {
            error = "'" + image.path + "' is not beneath --images-root '" + r +
                    "' (it was stored under another root, or by a --board flag no longer given)";
        } else {
            d.dir = dataplane::DirHandle::open_beneath(*images_root_, image.path.substr(r == "/" ? 1 : r.size() + 1),
                                                       error);
        }
    }
    if (!d.dir) d.reason = error;
    return d;
}

void BoardDirectory::put_image(const Image& image, std::string& warning) {
    ImageDir d = open_image(image);  // outside the lock: it touches the disk
    if (!d.dir) warning = "image '" + image.name + "' is unavailable: " + d.reason + " (its boards are served nothing)";
    std::lock_guard lock(mutex_);
    images_[image.name] = std::move(d);
    ++version_;
}

bool BoardDirectory::recheck_images(std::vector<std::string>& warnings) {
    std::vector<Image> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, d] : images_) all.push_back(Image{name, "dir", d.path, 0});
    }
    bool changed = false;
    for (const Image& image : all) {
        ImageDir fresh = open_image(image);
        std::lock_guard lock(mutex_);
        auto it = images_.find(image.name);
        if (it == images_.end() || it->second.path != image.path) continue;  // changed meanwhile
        ImageDir& held = it->second;
        bool same = fresh.dir ? held.dir && held.dir->same_as(*fresh.dir) : !held.dir && held.reason == fresh.reason;
        if (same) continue;
        if (!fresh.dir) {
            warnings.push_back("image '" + image.name + "' is unavailable: " + fresh.reason +
                               " (its boards are served nothing)");
        } else {
            warnings.push_back("image '" + image.name + "' opens again as '" + fresh.dir->location() + "'");
        }
        held = std::move(fresh);
        changed = true;
        ++version_;
    }
    return changed;
}

std::optional<BoardDirectory::ImageStatus> BoardDirectory::image_status(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = images_.find(name);
    if (it == images_.end()) return std::nullopt;
    ImageStatus s;
    s.available = it->second.dir != nullptr;
    s.reason = it->second.reason;
    if (it->second.dir) s.resolves_to = it->second.dir->location();
    return s;
}

void BoardDirectory::remove_image(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (images_.erase(name) > 0) ++version_;
}

BoardDirectory::Entry* BoardDirectory::owner_of(std::uint64_t mac) {
    auto c = configured_by_mac_.find(mac);
    if (c != configured_by_mac_.end()) {
        auto b = boards_.find(c->second);
        return b == boards_.end() ? nullptr : &b->second;
    }
    auto l = learnt_by_mac_.find(mac);
    if (l == learnt_by_mac_.end()) return nullptr;
    auto b = boards_.find(l->second);
    return b == boards_.end() || !b->second.macs.empty() ? nullptr : &b->second;
}

bool BoardDirectory::learn(std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip) {
    std::lock_guard lock(mutex_);
    bool changed = false;
    Entry* owner = nullptr;
    if (serial) {
        auto b = boards_.find(*serial);
        auto other = configured_by_mac_.find(mac);
        bool mac_elsewhere = other != configured_by_mac_.end() && other->second != *serial;
        if (b != boards_.end() && !mac_elsewhere) {
            Entry& e = b->second;
            bool configured = std::find(e.macs.begin(), e.macs.end(), mac) != e.macs.end();
            if (configured) {
                owner = &e;
            } else if (e.macs.empty()) {
                if (e.learn && (e.learnt.empty() || e.learnt.front() != mac)) {
                    e.learnt.erase(std::remove(e.learnt.begin(), e.learnt.end(), mac), e.learnt.end());
                    e.learnt.insert(e.learnt.begin(), mac);
                    if (e.learnt.size() > kMaxLearntMacs) e.learnt.resize(kMaxLearntMacs);
                    learnt_by_mac_[mac] = *serial;
                    changed = true;
                }
                if (std::find(e.learnt.begin(), e.learnt.end(), mac) != e.learnt.end()) owner = &e;
            }
            // A claim against the board's configured MACs teaches nothing (the dataplane refuses it).
        }
    } else {
        owner = owner_of(mac);
    }
    if (ip != 0 && owner != nullptr && owner->learnt_ip != ip) {
        owner->learnt_ip = ip;
        changed = true;
    }
    if (changed) ++version_;
    return changed;
}

std::vector<std::uint64_t> BoardDirectory::configured_macs(std::uint32_t serial) const {
    std::lock_guard lock(mutex_);
    auto it = boards_.find(serial);
    return it == boards_.end() ? std::vector<std::uint64_t>{} : it->second.macs;
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
    auto c = configured_by_mac_.find(mac);
    if (c != configured_by_mac_.end()) return c->second;
    auto l = learnt_by_mac_.find(mac);
    if (l == learnt_by_mac_.end()) return std::nullopt;
    return l->second;
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
        b.add(serial, dir->dir, e.netboot && servable, e.pinned, e.macs,
              std::span<const std::uint32_t>(&e.learnt_ip, e.learnt_ip != 0 ? 1 : 0), e.learnt);
    }
    for (const auto& [mac, dir] : mac_trees_)
        b.add(std::nullopt, dir, true, 0, std::span<const std::uint64_t>(&mac, 1), {});
    return b.build(generation);
}

}  // namespace rackboot::control
