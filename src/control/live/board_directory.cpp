#include "control/live/board_directory.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "control/store/rendered_files.h"
#include "proto/dhcp_leases.h"

namespace rackboot::control {

namespace {

// The directory keeps its indexes by the serial's bits; the map by its key.
std::uint64_t map_key(std::uint32_t serial) {
    return dataplane::board_key(proto::Serial(serial));
}

std::uint64_t key_of(const Mac& mac) {
    return proto::Mac::from(mac.data()).key();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

proto::Result<> BoardDirectory::load(InventoryStore& store) {
    std::vector<Image> images;
    if (Outcome o = store.list_images(images); !o.ok()) return proto::failure("reading images: " + o.message);
    for (const Image& i : images) {
        std::string warning;
        put_image(i, warning);
        if (!warning.empty()) std::fprintf(stderr, "rackbootd: warning: %s\n", warning.c_str());
    }
    std::optional<proto::Serial> after;
    for (;;) {
        std::vector<Board> page;
        if (Outcome o = store.list_boards(BoardFilter{}, after, 10000, page); !o.ok()) {
            return proto::failure("reading boards: " + o.message);
        }
        for (const Board& b : page) put_board(b);
        if (page.size() < 10000) return {};
        after = page.back().serial;
    }
}

proto::Result<> BoardDirectory::add_mac_tree(const dataplane::BoardTreeSpec& spec) {
    auto dir = dataplane::TreeHandle::open(spec.dir);
    if (!dir) return tl::unexpected(dir.error());
    std::lock_guard lock(mutex_);
    mac_trees_.emplace_back(spec.mac.key(), std::move(*dir));
    dirty_all_ = true;
    ++version_;
    return {};
}

namespace {

template <class Map, class Key>
void erase_if_held(Map& map, const Key& key, std::uint32_t serial) {
    auto it = map.find(key);
    if (it != map.end() && it->second == serial) map.erase(it);
}

}  // namespace

void BoardDirectory::forget_macs(std::uint32_t serial, const Entry& e) {
    for (std::uint64_t m : e.macs) erase_if_held(configured_by_mac_, m, serial);
    for (std::uint64_t m : e.learnt) erase_if_held(learnt_by_mac_, m, serial);
    if (e.pinned != 0) erase_if_held(pinned_by_ip_, e.pinned, serial);
}

void BoardDirectory::touch(std::uint32_t serial, const Entry& e) {
    if (dirty_all_) return;
    dirty_boards_.insert(serial);
    dirty_macs_.insert(e.macs.begin(), e.macs.end());
    dirty_macs_.insert(e.learnt.begin(), e.learnt.end());
    if (e.pinned != 0) dirty_ips_.insert(e.pinned);
    if (e.learnt_ip != 0) dirty_ips_.insert(e.learnt_ip);
}

void BoardDirectory::put_board(const Board& b) {
    std::lock_guard lock(mutex_);
    const std::uint32_t serial = b.serial.value();
    Entry& e = boards_[serial];
    touch(serial, e);  // what it held before
    forget_macs(serial, e);
    e.image = b.image;
    e.name = b.name;
    e.labels = b.labels;
    e.files = b.files;
    e.root = b.root;
    e.netboot = b.netboot;
    e.learn = b.learn;
    e.pinned = b.ip ? b.ip->value() : 0;
    e.macs.clear();
    for (const Mac& m : b.macs) {
        e.macs.push_back(key_of(m));
        configured_by_mac_[key_of(m)] = serial;
    }
    // What the store recorded as learnt, merged with what was learnt here since (not yet stored).
    std::vector<std::uint64_t> learnt;
    for (const LearntMac& l : b.learnt_macs) learnt.push_back(key_of(l.mac));
    for (std::uint64_t m : e.learnt) {
        if (std::find(learnt.begin(), learnt.end(), m) == learnt.end()) learnt.push_back(m);
    }
    if (learnt.size() > kMaxLearntMacs) learnt.resize(kMaxLearntMacs);
    e.learnt = std::move(learnt);
    for (std::uint64_t m : e.learnt) learnt_by_mac_.emplace(m, serial);
    if (e.pinned != 0) pinned_by_ip_[e.pinned] = serial;
    touch(serial, e);  // and what it holds now
    ++version_;
}

void BoardDirectory::remove_board(proto::Serial board) {
    std::uint32_t serial = board.value();
    std::lock_guard lock(mutex_);
    auto it = boards_.find(serial);
    if (it == boards_.end()) return;
    touch(serial, it->second);
    forget_macs(serial, it->second);
    if (it->second.learnt_ip != 0) erase_if_held(learnt_by_ip_, it->second.learnt_ip, serial);
    boards_.erase(it);
    ++version_;
}

void BoardDirectory::set_images_root(std::shared_ptr<dataplane::TreeHandle> root, std::string real) {
    images_root_ = std::move(root);
    images_root_real_ = std::move(real);
}

void BoardDirectory::allow_flag_tree(const std::string& resolved_dir) {
    flag_trees_.push_back(resolved_dir);
}

proto::Result<std::shared_ptr<dataplane::TreeHandle>> BoardDirectory::open_tree(
    const Image& image, const std::shared_ptr<dataplane::TreeHandle>& held) const {
    if (image.kind == ImageKind::dir &&
        std::find(flag_trees_.begin(), flag_trees_.end(), image.path) != flag_trees_.end()) {
        return dataplane::TreeHandle::open(image.path);  // a --board directory given now
    }
    if (!images_root_) {
        return proto::failure("'" + image.path + "' is no --board directory and no --images-root is configured");
    }
    const std::string& r = images_root_real_;
    if (!path_beneath(image.path, r)) {
        return proto::failure("'" + image.path + "' is not beneath --images-root '" + r +
                              "' (it was stored under another root, or by a --board flag no longer given)");
    }
    std::string relative = image.path.substr(r == "/" ? 1 : r.size() + 1);
    if (image.kind == ImageKind::img) {
        return dataplane::TreeHandle::open_image_beneath(*images_root_, relative, image.partition, held);
    }
    return dataplane::TreeHandle::open_beneath(*images_root_, relative);
}

BoardDirectory::ImageDir BoardDirectory::open_image(const Image& image,
                                                    const std::shared_ptr<dataplane::TreeHandle>& held) const {
    ImageDir d;
    d.path = image.path;
    d.kind = image.kind;
    d.files = image.files;
    d.partition = image.partition;
    auto dir = open_tree(image, held);
    if (dir) {
        d.dir = std::move(*dir);
    } else {
        d.reason = dir.error().reason;
    }
    return d;
}

proto::Result<> BoardDirectory::prepare_image(const Image& image) {
    std::shared_ptr<dataplane::TreeHandle> held;
    {
        std::lock_guard lock(mutex_);
        if (auto it = images_.find(image.name); it != images_.end() && it->second.path == image.path) {
            held = it->second.dir;
        }
    }
    ImageDir d = open_image(image, held);  // outside the lock: an index reads the image
    if (!d.dir) return proto::failure(d.reason);
    std::lock_guard lock(mutex_);
    prepared_ = std::move(d.dir);
    return {};
}

void BoardDirectory::put_image(const Image& image, std::string& warning) {
    std::shared_ptr<dataplane::TreeHandle> held;
    std::uint64_t content_generation = 1;
    std::int64_t changed = now_ms();
    {
        std::lock_guard lock(mutex_);
        // What prepare_image indexed a moment ago is reused when the content is still the same,
        // and so is the index held for the same image (its files changed, not its content).
        held = std::exchange(prepared_, nullptr);
        auto it = images_.find(image.name);
        if (it != images_.end() && it->second.path == image.path && it->second.kind == image.kind &&
            it->second.partition == image.partition && it->second.dir) {
            held = it->second.dir;
            content_generation = it->second.content_generation;
            changed = it->second.changed_ms;
        }
    }
    ImageDir d = open_image(image, held);  // outside the lock: it touches the disk
    if (!d.dir) warning = "image '" + image.name + "' is unavailable: " + d.reason + " (its boards are served nothing)";
    bool same = d.dir && d.dir == held;
    d.content_generation = same ? content_generation : 1;
    d.changed_ms = same ? changed : now_ms();
    std::lock_guard lock(mutex_);
    images_[image.name] = std::move(d);
    dirty_all_ = true;  // every board on it
    ++version_;
}

bool BoardDirectory::recheck_images(std::vector<std::string>& warnings) {
    std::vector<std::pair<Image, std::shared_ptr<dataplane::TreeHandle>>> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, d] : images_) {
            Image i{name, d.kind, d.path, 0};
            i.partition = d.partition;
            i.files = d.files;
            all.emplace_back(std::move(i), d.dir);
        }
    }
    bool changed = false;
    for (const auto& [image, held_dir] : all) {
        ImageDir fresh = open_image(image, held_dir);
        std::lock_guard lock(mutex_);
        auto it = images_.find(image.name);
        if (it == images_.end() || it->second.path != image.path || it->second.dir != held_dir)
            continue;  // changed meanwhile
        ImageDir& held = it->second;
        // An image caught mid-write is indexed again at the next recheck; until then the index held
        // serves (its transfers fail "file changed" rather than read the new bytes).
        if (!fresh.dir && held.dir && fresh.reason.find(dataplane::kChangedWhileIndexed) != std::string::npos) continue;
        // An img is the same while its index is (rewritten in place, it keeps its inode).
        bool same = fresh.dir ? held.dir && (fresh.dir == held.dir ||
                                             (image.kind == ImageKind::dir && held.dir->same_as(*fresh.dir)))
                              : !held.dir && held.reason == fresh.reason;
        if (same) continue;
        if (!fresh.dir) {
            warnings.push_back("image '" + image.name + "' is unavailable: " + fresh.reason +
                               " (its boards are served nothing)");
        } else if (image.kind == ImageKind::img) {
            warnings.push_back("image '" + image.name + "' changed: generation " +
                               std::to_string(held.content_generation + 1) + " is served from now on");
        } else {
            warnings.push_back("image '" + image.name + "' opens again as '" + fresh.dir->location() + "'");
        }
        fresh.content_generation = held.content_generation + 1;
        fresh.changed_ms = now_ms();
        held = std::move(fresh);
        changed = true;
        dirty_all_ = true;
        ++version_;
    }
    return changed;
}

std::optional<BoardDirectory::ImageStatus> BoardDirectory::image_status(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = images_.find(name);
    if (it == images_.end()) return std::nullopt;
    const ImageDir& d = it->second;
    ImageStatus s;
    s.available = d.dir != nullptr;
    s.reason = d.reason;
    if (d.dir) s.resolves_to = d.dir->location();
    s.content_generation = d.content_generation;
    s.changed_ms = d.changed_ms;
    if (d.dir && d.dir->index() != nullptr) {
        const image::FatIndex& index = *d.dir->index();
        ImageStatus::Indexed in;
        in.partition = index.partition().number;
        in.table = index.table() == image::TableKind::gpt ? "gpt" : "mbr";
        in.fat = index.type() == image::FatType::fat12   ? "fat12"
                 : index.type() == image::FatType::fat16 ? "fat16"
                                                         : "fat32";
        in.files = index.files().size();
        in.unreadable_names = index.unreadable_names();
        in.size = d.dir->identity().size;
        in.mtime_ns = d.dir->identity().mtime_ns;
        s.indexed = in;
    }
    return s;
}

void BoardDirectory::remove_image(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (images_.erase(name) > 0) {
        dirty_all_ = true;
        ++version_;
    }
}

std::optional<std::uint32_t> BoardDirectory::owner_of(std::uint64_t mac) const {
    if (auto c = configured_by_mac_.find(mac); c != configured_by_mac_.end()) {
        if (boards_.count(c->second) != 0) return c->second;
        return std::nullopt;
    }
    auto l = learnt_by_mac_.find(mac);
    if (l == learnt_by_mac_.end()) return std::nullopt;
    auto b = boards_.find(l->second);
    if (b == boards_.end() || !b->second.macs.empty()) return std::nullopt;
    const std::vector<std::uint64_t>& learnt = b->second.learnt;
    if (std::find(learnt.begin(), learnt.end(), mac) == learnt.end()) return std::nullopt;
    return l->second;
}

bool BoardDirectory::learn(proto::Mac claimed, std::optional<proto::Serial> claim, proto::Ipv4 given) {
    std::uint64_t mac = claimed.key();
    std::optional<std::uint32_t> serial;
    if (claim) serial = claim->value();
    std::uint32_t ip = given.value();
    std::lock_guard lock(mutex_);
    bool changed = false;
    std::optional<std::uint32_t> owner;
    if (serial) {
        auto b = boards_.find(*serial);
        auto other = configured_by_mac_.find(mac);
        bool mac_elsewhere = other != configured_by_mac_.end() && other->second != *serial;
        if (b != boards_.end() && !mac_elsewhere) {
            Entry& e = b->second;
            bool configured = std::find(e.macs.begin(), e.macs.end(), mac) != e.macs.end();
            if (configured) {
                owner = *serial;
            } else if (e.macs.empty()) {
                if (e.learn && (e.learnt.empty() || e.learnt.front() != mac)) {
                    touch(*serial, e);  // the MACs it had (one may drop off the end)
                    e.learnt.erase(std::remove(e.learnt.begin(), e.learnt.end(), mac), e.learnt.end());
                    e.learnt.insert(e.learnt.begin(), mac);
                    if (e.learnt.size() > kMaxLearntMacs) e.learnt.resize(kMaxLearntMacs);
                    learnt_by_mac_[mac] = *serial;
                    if (!dirty_all_) dirty_macs_.insert(mac);
                    changed = true;
                }
                if (std::find(e.learnt.begin(), e.learnt.end(), mac) != e.learnt.end()) owner = *serial;
            }
            // A claim against the board's configured MACs teaches nothing (the dataplane refuses it).
        }
    } else {
        owner = owner_of(mac);
    }
    if (ip != 0 && owner) {
        Entry& e = boards_[*owner];
        if (e.learnt_ip != ip) {
            if (!dirty_all_) {
                dirty_ips_.insert(ip);
                if (e.learnt_ip != 0) dirty_ips_.insert(e.learnt_ip);
                // Its own files render {address}: mapped again only when it has any.
                if (!e.files.empty() || !image_dir(e.image)->files.empty()) dirty_boards_.insert(*owner);
            }
            if (e.learnt_ip != 0) erase_if_held(learnt_by_ip_, e.learnt_ip, *owner);
            e.learnt_ip = ip;
            learnt_by_ip_[ip] = *owner;
            changed = true;
        }
    }
    if (changed) ++version_;
    return changed;
}

std::vector<proto::Mac> BoardDirectory::configured_macs(proto::Serial serial) const {
    std::lock_guard lock(mutex_);
    std::vector<proto::Mac> macs;
    if (auto it = boards_.find(serial.value()); it != boards_.end()) {
        for (std::uint64_t m : it->second.macs) macs.push_back(proto::Mac::from_key(m));
    }
    return macs;
}

bool BoardDirectory::has_board(proto::Serial serial) const {
    std::lock_guard lock(mutex_);
    return boards_.find(serial.value()) != boards_.end();
}

std::uint64_t BoardDirectory::version() const {
    std::lock_guard lock(mutex_);
    return version_;
}

std::size_t BoardDirectory::board_count() const {
    std::lock_guard lock(mutex_);
    return boards_.size() + mac_trees_.size();
}

std::optional<proto::Serial> BoardDirectory::serial_of_mac(proto::Mac mac) const {
    std::lock_guard lock(mutex_);
    auto c = configured_by_mac_.find(mac.key());
    if (c != configured_by_mac_.end()) return proto::Serial(c->second);
    auto l = learnt_by_mac_.find(mac.key());
    if (l == learnt_by_mac_.end()) return std::nullopt;
    return proto::Serial(l->second);
}

namespace {

// A map's shards hold about 64 entries each (sharded_table.h); edited to four times that, it is
// built again.
constexpr std::size_t kEditedPastSize = std::size_t{4} * std::size_t{64};

}  // namespace

std::optional<std::uint64_t> BoardDirectory::mac_owner(std::uint64_t mac) const {
    // A board's configured MAC, then a MAC-prefixed --board tree's, then a board it was learnt onto.
    if (auto c = configured_by_mac_.find(mac); c != configured_by_mac_.end() && boards_.count(c->second) != 0) {
        return map_key(c->second);
    }
    for (const auto& [m, dir] : mac_trees_) {
        if (m == mac) return dataplane::mac_board_key(mac);
    }
    if (auto serial = owner_of(mac)) return map_key(*serial);
    return std::nullopt;
}

std::optional<std::uint64_t> BoardDirectory::ip_owner(std::uint32_t ip) const {
    // A pinned address outranks one learnt by another board; a learnt one is the board's it was
    // last given to (an older holder's can lag behind a move).
    if (auto p = pinned_by_ip_.find(ip); p != pinned_by_ip_.end()) {
        auto b = boards_.find(p->second);
        if (b != boards_.end() && b->second.pinned == ip) return map_key(p->second);
    }
    if (auto l = learnt_by_ip_.find(ip); l != learnt_by_ip_.end()) {
        auto b = boards_.find(l->second);
        if (b != boards_.end() && b->second.learnt_ip == ip) return map_key(l->second);
    }
    return std::nullopt;
}

const BoardDirectory::ImageDir* BoardDirectory::image_dir(const std::string& name) const {
    static const ImageDir kNoImage;
    if (name.empty()) return &kNoImage;
    auto it = images_.find(name);
    return it == images_.end() ? &kNoImage : &it->second;
}

void BoardDirectory::put_mapped(dataplane::BootMapEditor& ed, std::uint32_t serial, const Entry& e,
                                const ImageDir* dir) const {
    // An image whose directory could not be opened serves nothing (as netboot off).
    bool servable = e.image.empty() || dir->dir != nullptr;
    dataplane::MappedBoard m;
    m.dirfd = dir->dir ? dir->dir->fd() : -1;
    m.serial_number = serial;
    m.has_serial = true;
    m.ip = proto::Ipv4(e.pinned);
    m.netboot = e.netboot && servable;
    m.lists_macs = !e.macs.empty();
    ed.put_board(map_key(serial), m, dir->dir);
    ed.put_files(map_key(serial), board_files(serial, e, dir));
}

std::vector<RootExport> BoardDirectory::root_exports() const {
    std::lock_guard lock(mutex_);
    std::vector<RootExport> out;
    for (const auto& [serial, e] : boards_) {
        if (!e.root) continue;
        RootExport x{proto::Serial(serial), *e.root, {}};
        if (e.pinned != 0) x.addresses.emplace_back(e.pinned);
        if (e.learnt_ip != 0 && e.learnt_ip != e.pinned) x.addresses.emplace_back(e.learnt_ip);
        out.push_back(std::move(x));
    }
    return out;
}

proto::Result<int> BoardDirectory::open_image_file(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = images_.find(name);
    if (it == images_.end()) return proto::failure("no image '" + name + "'");
    const ImageDir& d = it->second;
    if (d.kind != ImageKind::img) {
        return proto::failure("image '" + name + "' is a directory: a root is made from a disk image (kind img)");
    }
    if (!d.dir) return proto::failure("image '" + name + "' is unavailable: " + d.reason);
    // Opened again through the held descriptor (the same inode, its own file offset: the copy's
    // SEEK_DATA walk moves it), never by its path, which may name another file by now.
    std::string self = "/proc/self/fd/" + std::to_string(d.dir->fd());
    int fd = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return proto::failure("image '" + name + "': " + std::strerror(errno));
    return fd;
}

std::shared_ptr<const dataplane::BoardFiles> BoardDirectory::board_files(std::uint32_t serial, const Entry& e,
                                                                         const ImageDir* dir) const {
    if (e.files.empty() && dir->files.empty()) return nullptr;
    Board b;
    b.serial = proto::Serial(serial);
    b.name = e.name;
    b.labels = e.labels;
    b.files = e.files;
    b.root = e.root;
    for (std::uint64_t m : e.macs) b.macs.push_back(proto::Mac::from_key(m));
    for (std::uint64_t m : e.learnt) b.learnt_macs.push_back(LearntMac{proto::Mac::from_key(m), 0, 0, {}});
    Image image;
    image.files = dir->files;
    std::optional<proto::Ipv4> address;
    if (e.pinned != 0) {
        address = proto::Ipv4(e.pinned);
    } else if (e.learnt_ip != 0) {
        address = proto::Ipv4(e.learnt_ip);
    }
    std::vector<dataplane::BoardFiles::File> files;
    for (const auto& [path, text] : effective_files(b, &image)) {
        auto t = proto::FileTemplate::compile(text);
        if (!t) continue;  // the store refuses one that does not compile: a hand-edited database
        files.push_back(dataplane::BoardFiles::File{path, image::fold_path(path), std::move(*t)});
    }
    return std::make_shared<const dataplane::BoardFiles>(std::move(files), template_values(b, address));
}

std::unique_ptr<const dataplane::BootMap> BoardDirectory::build(const dataplane::BootMap* prev,
                                                                std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    std::size_t boards = boards_.size() + mac_trees_.size();
    // An edit needs the map the changes are counted from; a map edited to four times the boards
    // it was sized for is built again (its shards would grow past a few kilobytes each).
    bool whole = prev == nullptr || dirty_all_ || prev->revision() != built_version_ ||
                 boards > kEditedPastSize * prev->board_shards();
    std::unique_ptr<dataplane::BootMapEditor> ed;
    if (whole) {
        ed =
            std::make_unique<dataplane::BootMapEditor>(root_, boards, configured_by_mac_.size() + learnt_by_mac_.size(),
                                                       pinned_by_ip_.size() + learnt_by_ip_.size());
        // Boards sharing an image are usually neighbours: the lookup is skipped when it repeats.
        const std::string* last_name = nullptr;
        const ImageDir* last_dir = nullptr;
        for (const auto& [serial, e] : boards_) {
            if (last_name == nullptr || *last_name != e.image) {
                last_name = &e.image;
                last_dir = image_dir(e.image);
            }
            put_mapped(*ed, serial, e, last_dir);
        }
        std::unordered_set<std::uint64_t> trees;
        for (const auto& [mac, dir] : mac_trees_) {
            dataplane::MappedBoard m;
            m.dirfd = dir->fd();
            m.lists_macs = true;
            if (trees.insert(mac).second) ed->put_board(dataplane::mac_board_key(mac), m, dir);  // the first flag's
        }
        // A configured MAC's owner is its board (mac_owner's first rule, without asking again).
        for (const auto& [mac, serial] : configured_by_mac_) {
            if (boards_.count(serial) != 0) ed->put_mac(mac, map_key(serial));
        }
        for (const auto& [mac, serial] : learnt_by_mac_) {
            if (auto owner = mac_owner(mac)) ed->put_mac(mac, *owner);
        }
        for (const auto& [mac, dir] : mac_trees_) {
            if (auto owner = mac_owner(mac)) ed->put_mac(mac, *owner);
        }
        for (const auto& [ip, serial] : pinned_by_ip_) {
            if (auto owner = ip_owner(ip)) ed->put_ip(ip, *owner);
        }
        for (const auto& [ip, serial] : learnt_by_ip_) {
            if (pinned_by_ip_.count(ip) != 0) continue;  // put above when its pin holds
            if (auto owner = ip_owner(ip)) ed->put_ip(ip, *owner);
        }
    } else {
        ed = std::make_unique<dataplane::BootMapEditor>(*prev);
        for (std::uint32_t serial : dirty_boards_) {
            if (auto it = boards_.find(serial); it != boards_.end()) {
                put_mapped(*ed, serial, it->second, image_dir(it->second.image));
            } else {
                ed->erase_board(map_key(serial));
                ed->erase_files(map_key(serial));
            }
        }
        for (std::uint64_t mac : dirty_macs_) {
            if (auto owner = mac_owner(mac)) {
                ed->put_mac(mac, *owner);
            } else {
                ed->erase_mac(mac);
            }
        }
        for (std::uint32_t ip : dirty_ips_) {
            if (auto owner = ip_owner(ip)) {
                ed->put_ip(ip, *owner);
            } else {
                ed->erase_ip(ip);
            }
        }
    }
    dirty_all_ = false;
    dirty_boards_.clear();
    dirty_macs_.clear();
    dirty_ips_.clear();
    built_version_ = version_;
    return ed->build(generation, version_);
}

}  // namespace rackboot::control
