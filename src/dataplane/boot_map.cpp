#include "dataplane/boot_map.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace rackboot::dataplane {

const MappedBoard* BootMap::by_serial(proto::Serial serial) const noexcept {
    return boards_.find(board_key(serial));
}

const MappedBoard* BootMap::by_mac(proto::Mac mac) const noexcept {
    return board_at(by_mac_.find(mac.key()));
}

const MappedBoard* BootMap::by_ip(proto::Ipv4 ip) const noexcept {
    if (ip.unset()) return nullptr;
    return board_at(by_ip_.find(ip.value()));
}

ClientIdentity BootMap::identify(proto::Mac mac, std::optional<proto::Serial> serial) const noexcept {
    ClientIdentity id;
    const MappedBoard* m = by_mac(mac);
    bool configured = m != nullptr && m->lists_macs;  // learnt MACs index only boards that list none
    const MappedBoard* s = serial ? by_serial(*serial) : nullptr;
    if (!serial || (s != nullptr && s == m)) {
        id.board = m;
        id.by_mac = configured;
        return id;
    }
    if (s != nullptr && s->lists_macs) {
        id.conflict = s;  // the serial's board lists other MACs
        return id;
    }
    if (configured && m->has_serial) {
        id.conflict = m;  // this MAC is another board's, and it claims a serial that is not
        return id;
    }
    // The serial names a board that lists no MACs (or none has it): that board, else the MAC's tree.
    id.board = s != nullptr ? s : m;
    id.by_mac = s == nullptr && configured;
    return id;
}

std::optional<proto::Reservation> BootMap::reserved_for(proto::Mac mac,
                                                        std::optional<proto::Serial> serial) const noexcept {
    ClientIdentity id = identify(mac, serial);
    if (id.board == nullptr || id.board->ip.unset()) return std::nullopt;
    return proto::Reservation{id.board->ip, id.by_mac};
}

bool BootMap::reserved(proto::Ipv4 ip) const noexcept {
    const MappedBoard* b = by_ip(ip);
    return b != nullptr && b->ip == ip;
}

BootMap::Resolved BootMap::resolve(std::string_view checked_path, proto::Ipv4 client) const noexcept {
    proto::BootPrefix p = proto::split_boot_prefix(checked_path);
    const MappedBoard* b = nullptr;
    std::string_view rest = checked_path;
    if (p.kind == proto::BootPrefix::Kind::Serial) {
        b = by_serial(p.serial);
        rest = p.rest;
    } else if (p.kind == proto::BootPrefix::Kind::Mac) {
        b = by_mac(p.mac);
        rest = p.rest;
    }
    if (p.kind == proto::BootPrefix::Kind::None) {
        // Unprefixed: the board whose address asks, if it has an image (or netboot off).
        b = by_ip(client);
        if (b != nullptr && b->netboot && b->dirfd < 0) b = nullptr;
    }
    if (b == nullptr) return {root_->fd(), checked_path, nullptr};
    if (!b->netboot) return {-1, rest, b};
    const BoardFiles* files = nullptr;
    if (b->has_serial) {
        const std::shared_ptr<const BoardFiles>* f = files_.find(board_key(proto::Serial(b->serial_number)));
        if (f != nullptr) files = f->get();
    }
    if (b->dirfd < 0) return {root_->fd(), checked_path, b, nullptr, files, rest};  // no image: the default tree
    if (!b->image) return {b->dirfd, rest, b, nullptr, files, rest};
    auto it = std::lower_bound(images_.begin(), images_.end(), b->dirfd,
                               [](const auto& entry, int fd) { return entry.first < fd; });
    if (it == images_.end() || it->first != b->dirfd) return {-1, rest, b};  // cannot happen: served nothing
    return {b->dirfd, rest, b, it->second, files, rest};
}

void BootMap::index_images() {
    images_.clear();
    for (const auto& d : dirs_) {
        if (d->index() != nullptr) images_.emplace_back(d->fd(), d.get());
    }
    std::sort(images_.begin(), images_.end());
}

std::size_t BootMap::memory_bytes() const noexcept {
    return sizeof(*this) + boards_.memory_bytes() + by_mac_.memory_bytes() + by_ip_.memory_bytes() +
           files_.memory_bytes() + dirs_.capacity() * sizeof(dirs_[0]) + images_.capacity() * sizeof(images_[0]);
}

std::pair<std::size_t, std::size_t> BootMap::shards_shared_with(const BootMap& other) const noexcept {
    return {boards_.shared_with(other.boards_) + by_mac_.shared_with(other.by_mac_) + by_ip_.shared_with(other.by_ip_),
            boards_.shards() + by_mac_.shards() + by_ip_.shards()};
}

void BootMapBuilder::reserve(std::size_t boards) {
    boards_.reserve(boards);
    macs_.reserve(boards);
}

void BootMapBuilder::add(std::optional<proto::Serial> serial, const std::shared_ptr<TreeHandle>& dir, bool netboot,
                         std::uint32_t pinned, std::span<const std::uint64_t> macs, std::span<const std::uint32_t> ips,
                         std::span<const std::uint64_t> learnt) {
    MappedBoard b;
    b.dirfd = dir ? dir->fd() : -1;
    b.image = dir && dir->index() != nullptr;
    b.serial_number = serial ? serial->value() : 0;
    b.has_serial = serial.has_value();
    b.ip = proto::Ipv4(pinned);
    b.netboot = netboot;
    b.lists_macs = !macs.empty();
    // A board without a serial is kept by its first MAC (a MAC-prefixed --board flag has one).
    std::uint64_t key = serial ? board_key(*serial) : mac_board_key(macs.empty() ? 0 : macs.front());
    boards_.emplace_back(key, b);
    for (std::uint64_t m : macs) macs_.emplace_back(m, key);
    if (macs.empty()) {
        for (std::uint64_t m : learnt) learnt_.emplace_back(m, key);
    }
    if (pinned != 0) ips_.emplace_back(pinned, key);
    for (std::uint32_t ip : ips) {
        if (ip != 0 && ip != pinned) ips_.emplace_back(ip, key);
    }
    if (dir && (dirs_.empty() || dirs_.back() != dir)) dirs_.push_back(dir);
}

std::unique_ptr<const BootMap> BootMapBuilder::build(std::uint64_t generation) {
    std::unique_ptr<BootMap> m(new BootMap());
    m->generation_ = generation;
    m->root_ = root_;
    // First come keeps a serial, a MAC or an address (the store already refuses a MAC on two
    // boards; a learnt address can lag behind a move).
    std::vector<ShardedTable<MappedBoard>::Slot> boards;
    std::unordered_map<std::uint64_t, std::size_t> board_at;  // key -> its place in `boards`
    boards.reserve(boards_.size());
    board_at.reserve(boards_.size());
    for (const auto& [key, b] : boards_) {
        if (board_at.emplace(key, boards.size()).second) boards.push_back({key, b});
    }
    std::vector<ShardedTable<std::uint64_t>::Slot> macs;
    std::unordered_set<std::uint64_t> mac_taken;
    mac_taken.reserve(macs_.size() + learnt_.size());
    // Learnt MACs after every configured one: a configured MAC is never outranked by a learnt one.
    for (const auto* list : {&macs_, &learnt_}) {
        for (const auto& [mac, key] : *list) {
            if (mac_taken.insert(mac).second) macs.push_back({mac, key});
        }
    }
    std::vector<ShardedTable<std::uint64_t>::Slot> ips;
    std::unordered_map<std::uint32_t, std::size_t> ip_at;
    ip_at.reserve(ips_.size());
    for (const auto& [ip, key] : ips_) {
        auto [it, fresh] = ip_at.emplace(ip, ips.size());
        if (fresh) {
            ips.push_back({ip, key});
            continue;
        }
        // A pinned address outranks one learnt by another board.
        const MappedBoard& mine = boards[board_at[key]].value;
        const MappedBoard& held = boards[board_at[ips[it->second].value]].value;
        if (mine.ip.value() == ip && held.ip.value() != ip) ips[it->second].value = key;
    }
    m->count_ = boards.size();
    m->boards_ = ShardedTable<MappedBoard>(shards_for(boards.size()));
    m->boards_.fill(boards);
    m->by_mac_ = ShardedTable<std::uint64_t>(shards_for(macs.size()));
    m->by_mac_.fill(macs);
    m->by_ip_ = ShardedTable<std::uint64_t>(shards_for(ips.size()));
    m->by_ip_.fill(ips);
    std::sort(dirs_.begin(), dirs_.end());
    dirs_.erase(std::unique(dirs_.begin(), dirs_.end()), dirs_.end());
    m->dirs_ = std::move(dirs_);
    m->index_images();
    boards_ = {};
    macs_ = {};
    learnt_ = {};
    ips_ = {};
    dirs_ = {};
    return m;
}

BootMapEditor::BootMapEditor(const BootMap& base) : next_(new BootMap()) {
    next_->root_ = base.root_;
    next_->boards_ = base.boards_;
    next_->by_mac_ = base.by_mac_;
    next_->by_ip_ = base.by_ip_;
    next_->files_ = base.files_;
    // Every tree a board of the base used, and the edited boards' own: a tree no board uses any
    // more is let go at the next whole build.
    next_->dirs_ = base.dirs_;
}

BootMapEditor::BootMapEditor(std::shared_ptr<TreeHandle> root, std::size_t boards, std::size_t macs, std::size_t ips)
    : next_(new BootMap()), fresh_(true) {
    next_->root_ = std::move(root);
    next_->boards_ = ShardedTable<MappedBoard>(shards_for(boards));
    next_->by_mac_ = ShardedTable<std::uint64_t>(shards_for(macs));
    next_->by_ip_ = ShardedTable<std::uint64_t>(shards_for(ips));
    next_->files_ = ShardedTable<std::shared_ptr<const BoardFiles>>(shards_for(boards));
    fresh_boards_.reserve(boards);
    fresh_macs_.reserve(macs);
    fresh_ips_.reserve(ips);
}

void BootMapEditor::put_board(std::uint64_t key, const MappedBoard& board, const std::shared_ptr<TreeHandle>& dir) {
    MappedBoard b = board;
    b.dirfd = dir ? dir->fd() : -1;
    b.image = dir && dir->index() != nullptr;
    if (fresh_) {
        fresh_boards_.push_back({key, b});
    } else {
        boards_.put(key, b);
    }
    auto& dirs = next_->dirs_;
    // Boards sharing a tree are usually put one after another: the last one is checked first.
    if (dir && (dirs.empty() || dirs.back() != dir) && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
        dirs.push_back(dir);
    }
}

void BootMapEditor::put_mac(std::uint64_t mac, std::uint64_t key) {
    if (fresh_) {
        fresh_macs_.push_back({mac, key});
    } else {
        macs_.put(mac, key);
    }
}

void BootMapEditor::put_ip(std::uint32_t ip, std::uint64_t key) {
    if (fresh_) {
        fresh_ips_.push_back({ip, key});
    } else {
        ips_.put(ip, key);
    }
}

void BootMapEditor::put_files(std::uint64_t key, std::shared_ptr<const BoardFiles> files) {
    if (!files) {
        if (!fresh_) files_.erase(key);
        return;
    }
    if (fresh_) {
        fresh_files_.push_back({key, std::move(files)});
    } else {
        files_.put(key, files);
    }
}

std::unique_ptr<const BootMap> BootMapEditor::build(std::uint64_t generation, std::uint64_t revision) {
    std::unique_ptr<BootMap> m = std::move(next_);
    m->generation_ = generation;
    m->revision_ = revision;
    if (fresh_) {
        m->boards_.fill(fresh_boards_);
        m->by_mac_.fill(fresh_macs_);
        m->by_ip_.fill(fresh_ips_);
        m->files_.fill(fresh_files_);
    }
    boards_.apply(m->boards_);
    macs_.apply(m->by_mac_);
    ips_.apply(m->by_ip_);
    files_.apply(m->files_);
    m->count_ = m->boards_.size();
    m->index_images();
    return m;
}

proto::Result<std::unique_ptr<const BootMap>> static_boot_map(const std::string& root,
                                                              const std::vector<BoardTreeSpec>& boards) {
    auto root_dir = TreeHandle::open(root);
    if (!root_dir) return tl::unexpected(root_dir.error());
    BootMapBuilder b(*root_dir);
    for (const BoardTreeSpec& spec : boards) {
        auto opened = TreeHandle::open(spec.dir);
        if (!opened) return tl::unexpected(opened.error());
        const std::shared_ptr<TreeHandle>& dir = *opened;
        if (spec.kind == proto::BootPrefix::Kind::Mac) {
            std::uint64_t mac = spec.mac.key();
            b.add(std::nullopt, dir, true, 0, std::span<const std::uint64_t>(&mac, 1), {});
        } else {
            b.add(spec.serial, dir, true, 0, {}, {});
        }
    }
    return b.build(1);
}

}  // namespace rackboot::dataplane
