// Boards' own roots (issue 21), the API's side: POST /api/v1/boards/SERIAL/root makes the
// board's disk from its img image (root_disk.h) and records it (nbd), or records the directory the
// host made for it (nfs: beneath the roots directory, never built or removed here); DELETE
// forgets the root and removes an NBD disk. Nothing else removes a disk: a board with a root cannot be deleted, and
// moving it to another image keeps its disk. The disk lies in the roots directory (--roots), never beneath
// --images-root, so the TFTP side serves the image's boot files and never a Pi's writable disk: a kernel upgrade on one
// Pi writes its own disk, not the FAT other Pis boot from. After each change `changed` runs (the
// daemon applies the exports to nbd-server: nbd_server.h). API threads; one make per board at once.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "control/store/inventory_writes.h"
#include "proto/result.h"

namespace rackboot::control {

class BoardRoots {
public:
    // `dir`: the roots directory (absolute, resolved); `open_image`: the named img image's file,
    // opened read-only (a descriptor the caller closes), or why not; `ready`: why roots of a kind
    // cannot be served here (its server is not installed), or nothing.
    BoardRoots(InventoryWrites& writes, std::string dir,
               std::function<proto::Result<int>(const std::string&)> open_image, std::function<void()> changed,
               std::function<proto::Result<>(RootKind)> ready = {});
    ~BoardRoots();
    BoardRoots(const BoardRoots&) = delete;
    BoardRoots& operator=(const BoardRoots&) = delete;

    // Opens the directory: the reason when it cannot be (not a directory, not writable).
    [[nodiscard]] proto::Result<> open();

    [[nodiscard]] Outcome create(proto::Serial serial, const RootRequest& req, Board& out, const Actor& who);
    [[nodiscard]] Outcome remove(proto::Serial serial, BoardRoot& out, const Actor& who);
    // The disk's file name for a board.
    [[nodiscard]] static std::string disk_name(proto::Serial serial) { return serial.to_string() + ".img"; }
    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

private:
    InventoryWrites& writes_;
    std::string dir_;
    int dirfd_ = -1;
    std::function<proto::Result<int>(const std::string&)> open_image_;
    std::function<void()> changed_;
    std::function<proto::Result<>(RootKind)> ready_;
    [[nodiscard]] Outcome make_nbd(proto::Serial serial, const Board& b, const RootRequest& req, BoardRoot& root);
    [[nodiscard]] Outcome take_nfs(const RootRequest& req, BoardRoot& root);
    std::mutex mutex_;
    std::mutex nfs_mutex_;          // one NFS root taken at a time
    std::set<std::uint32_t> busy_;  // boards whose root is being made or removed
};

}  // namespace rackboot::control
