#include "control/roots/board_roots.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "control/roots/root_disk.h"

namespace rackboot::control {

namespace {

// Marks a board busy for the length of a call: a second make or remove at once is refused.
class BusyBoard {
public:
    BusyBoard(std::mutex& m, std::set<std::uint32_t>& busy, std::uint32_t serial)
        : m_(m), busy_(busy), serial_(serial) {
        std::lock_guard lock(m_);
        held_ = busy_.insert(serial_).second;
    }
    BusyBoard(const BusyBoard&) = delete;
    BusyBoard& operator=(const BusyBoard&) = delete;
    ~BusyBoard() {
        if (!held_) return;
        std::lock_guard lock(m_);
        busy_.erase(serial_);
    }
    [[nodiscard]] bool held() const noexcept { return held_; }

private:
    std::mutex& m_;
    std::set<std::uint32_t>& busy_;
    std::uint32_t serial_;
    bool held_ = false;
};

Outcome busy(proto::Serial serial) {
    return Outcome::fail(ApiError::conflict, "board " + serial.to_string() + "'s root is being changed: try again");
}

}  // namespace

BoardRoots::BoardRoots(InventoryWrites& writes, std::string dir,
                       std::function<proto::Result<int>(const std::string&)> open_image, std::function<void()> changed,
                       std::function<proto::Result<>(RootKind)> ready)
    : writes_(writes),
      dir_(std::move(dir)),
      open_image_(std::move(open_image)),
      changed_(std::move(changed)),
      ready_(std::move(ready)) {
}

BoardRoots::~BoardRoots() {
    if (dirfd_ >= 0) ::close(dirfd_);
}

proto::Result<> BoardRoots::open() {
    dirfd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd_ < 0) return proto::failure("--roots " + dir_ + ": " + std::strerror(errno));
    if (::faccessat(dirfd_, ".", W_OK, AT_EACCESS) != 0) {
        return proto::failure("--roots " + dir_ + ": not writable: " + std::strerror(errno));
    }
    return {};
}

Outcome BoardRoots::make_nbd(proto::Serial serial, const Board& b, const RootRequest& req, BoardRoot& root) {
    if (!req.path.empty()) {
        return Outcome::fail(ApiError::invalid_field, "an NBD root's disk is made here: it takes no path", "path");
    }
    if (b.image.empty()) {
        return Outcome::fail(ApiError::conflict,
                             "board " + serial.to_string() + " has no image: an NBD root is made from its img image");
    }
    auto fd = open_image_(b.image);
    if (!fd) return Outcome::fail(ApiError::conflict, fd.error().reason);
    std::string name = disk_name(serial);
    auto made = make_disk(*fd, dirfd_, name, req.size);
    ::close(*fd);
    if (!made) {
        switch (made.error().kind) {
            case DiskError::no_space:
                return Outcome::fail(ApiError::insufficient_storage,
                                     "making " + dir_ + "/" + name + ": " + made.error().reason);
            case DiskError::bad_request: return Outcome::fail(ApiError::invalid_field, made.error().reason, "size");
            case DiskError::failed: break;
        }
        return Outcome::fail(ApiError::conflict, "making " + dir_ + "/" + name + ": " + made.error().reason);
    }
    root.path = dir_ + "/" + name;
    root.image = b.image;
    root.size = made->size;
    root.method = made->method;
    return {};
}

// An NFS root: the host's directory for the board, beneath the roots directory (symlinks
// resolved), named so that the server's configuration can quote it, no other board's, and an
// export id no other root has.
Outcome BoardRoots::take_nfs(const RootRequest& req, BoardRoot& root) {
    if (req.size != 0) return Outcome::fail(ApiError::invalid_field, "an NFS root has no size", "size");
    if (req.path.empty() || req.path.front() != '/') {
        return Outcome::fail(ApiError::invalid_field, "an NFS root is the board's directory: an absolute path", "path");
    }
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(req.path.c_str(), nullptr), &std::free);
    if (!real) return Outcome::fail(ApiError::invalid_field, req.path + ": " + std::strerror(errno), "path");
    std::string resolved = real.get();
    if (!path_beneath(resolved, dir_)) {
        return Outcome::fail(ApiError::invalid_field, req.path + " (" + resolved + ") is not beneath --roots " + dir_,
                             "path");
    }
    if (resolved[dir_.size() + 1] == '.') {  // .nbd, .nfs and disks being made are rackbootd's
        return Outcome::fail(ApiError::invalid_field, resolved + " is rackbootd's own", "path");
    }
    struct stat st {};
    if (::stat(resolved.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Outcome::fail(ApiError::invalid_field, req.path + " is not a directory", "path");
    }
    bool plain = std::all_of(resolved.begin(), resolved.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '.' || c == '-' || c == '_';
    });
    if (!plain) {
        return Outcome::fail(ApiError::invalid_field, "an NFS root's path is letters, digits and / . - _", "path");
    }
    std::set<std::uint16_t> taken;
    std::vector<Board> page;
    std::optional<proto::Serial> after;
    do {
        page.clear();
        if (Outcome o = writes_.store().list_boards({}, after, 1000, page); !o.ok()) return o;
        for (const Board& x : page) {
            if (!x.root || x.root->kind != RootKind::nfs) continue;
            taken.insert(x.root->export_id);
            // One tenant's tree never holds another's: an export would reach both.
            if (x.root->path == resolved || path_beneath(resolved, x.root->path) ||
                path_beneath(x.root->path, resolved)) {
                return Outcome::fail(
                    ApiError::conflict,
                    resolved + " is, holds or lies in board " + x.serial.to_string() + "'s root " + x.root->path,
                    "path");
            }
        }
        if (!page.empty()) after = page.back().serial;
    } while (page.size() == 1000);
    std::uint32_t id = 1;
    while (taken.count(static_cast<std::uint16_t>(id)) != 0) ++id;
    if (id > 65535) return Outcome::fail(ApiError::conflict, "every NFS export id (1-65535) is taken");
    root.path = resolved;
    root.method = "export";
    root.export_id = static_cast<std::uint16_t>(id);
    return {};
}

Outcome BoardRoots::create(proto::Serial serial, const RootRequest& req, Board& out, const Actor& who) {
    BusyBoard guard(mutex_, busy_, serial.value());
    if (!guard.held()) return busy(serial);
    Board b;
    if (Outcome o = writes_.store().get_board(serial, b); !o.ok()) return o;
    if (b.root)
        return Outcome::fail(ApiError::conflict, "board " + serial.to_string() + " has a root: " + b.root->path);
    if (ready_) {
        if (auto ok = ready_(req.kind); !ok) return Outcome::fail(ApiError::conflict, ok.error().reason);
    }
    BoardRoot root;
    root.kind = req.kind;
    root.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // NFS roots are checked against each other (paths, export ids) and recorded one at a time.
    std::unique_lock nfs_turn(nfs_mutex_, std::defer_lock);
    if (req.kind == RootKind::nfs) nfs_turn.lock();
    Outcome made = req.kind == RootKind::nfs ? take_nfs(req, root) : make_nbd(serial, b, req, root);
    if (!made.ok()) return made;
    if (Outcome o = writes_.set_root(serial, root, out, who); !o.ok()) {
        if (req.kind == RootKind::nbd) (void)remove_disk(dirfd_, disk_name(serial));  // made here, never recorded
        return o;
    }
    if (changed_) changed_();
    return {};
}

Outcome BoardRoots::remove(proto::Serial serial, BoardRoot& out, const Actor& who) {
    BusyBoard guard(mutex_, busy_, serial.value());
    if (!guard.held()) return busy(serial);
    // Forgotten first: a crash between the two leaves a disk nobody names, never a name with no disk.
    if (Outcome o = writes_.clear_root(serial, out, who); !o.ok()) return o;
    if (changed_) changed_();
    if (out.kind == RootKind::nfs) return {};  // the host's directory: never removed here
    if (auto ok = remove_disk(dirfd_, disk_name(serial)); !ok) {
        return Outcome::fail(ApiError::internal, "the root is forgotten but its disk stays: " + ok.error().reason);
    }
    return {};
}

}  // namespace rackboot::control
