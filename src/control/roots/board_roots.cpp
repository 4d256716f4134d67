#include "control/roots/board_roots.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

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
                       std::function<proto::Result<int>(const std::string&)> open_image, std::function<void()> changed)
    : writes_(writes), dir_(std::move(dir)), open_image_(std::move(open_image)), changed_(std::move(changed)) {
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

Outcome BoardRoots::create(proto::Serial serial, const RootRequest& req, Board& out, const Actor& who) {
    BusyBoard guard(mutex_, busy_, serial.value());
    if (!guard.held()) return busy(serial);
    Board b;
    if (Outcome o = writes_.store().get_board(serial, b); !o.ok()) return o;
    if (b.root)
        return Outcome::fail(ApiError::conflict, "board " + serial.to_string() + " has a root: " + b.root->path);
    if (b.image.empty()) {
        return Outcome::fail(ApiError::conflict,
                             "board " + serial.to_string() + " has no image: a root is made from its img image");
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
    BoardRoot root;
    root.kind = RootKind::nbd;
    root.path = dir_ + "/" + name;
    root.image = b.image;
    root.size = made->size;
    root.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    root.method = made->method;
    if (Outcome o = writes_.set_root(serial, root, out, who); !o.ok()) {
        (void)remove_disk(dirfd_, name);  // made by this call and never recorded
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
    if (auto ok = remove_disk(dirfd_, disk_name(serial)); !ok) {
        return Outcome::fail(ApiError::internal, "the root is forgotten but its disk stays: " + ok.error().reason);
    }
    return {};
}

}  // namespace rackboot::control
