// The kernel's nfsd as the NFS server for boards' NFS roots (issue 21; `--nfs-server kernel`),
// where a host runs it (Debian's nfs-kernel-server). rackbootd writes one exports(5) file of its
// own, by default /etc/exports.d/rackboot.exports: a line per root naming only its board's
// addresses (rw, sync, no_root_squash: a Pi's root file system; fsid: the root's own export id,
// kept for its life, so a re-export never renumbers a mounted root). A board with no known
// address is not exported at all: an exports line with no client would let every host in. Then
// `exportfs -ra` brings the kernel's table in step (exports added, changed and removed; mounts of
// the others stay). rackbootd starts no daemon: nfs-server.service runs nfsd and mountd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/roots/nfs_server.h"
#include "proto/result.h"

namespace rackboot::control {

// The exports(5) file for `exports`.
[[nodiscard]] std::string kernel_exports_text(const std::vector<NfsExport>& exports);

class KernelNfs {
public:
    struct Options {
        std::string exports_file = "/etc/exports.d/rackboot.exports";
        std::string exportfs = "exportfs";
        std::string nfsd_threads = "/proc/fs/nfsd/threads";  // nfsd runs when it reads above 0
    };
    explicit KernelNfs(Options o) : o_(std::move(o)) {}

    // Writes the file when `exports` changed it and re-exports (again after a failed try). The
    // reason, with exportfs's own words, when that could not be done.
    [[nodiscard]] proto::Result<> apply(std::vector<NfsExport> exports);

    struct Status {
        bool up = false;  // the kernel's nfsd runs
        std::size_t exports = 0;
        std::uint64_t reexports = 0;
    };
    [[nodiscard]] Status status() const;
    [[nodiscard]] const std::string& exports_path() const noexcept { return o_.exports_file; }

private:
    Options o_;
    std::size_t exports_ = 0;
    std::uint64_t reexports_ = 0;
    bool pending_ = false;  // the file changed and exportfs has not yet taken it
};

}  // namespace rackboot::control
