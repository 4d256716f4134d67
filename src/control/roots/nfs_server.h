// The NFS server that exports boards' NFS roots (issue 21): NFS-Ganesha (Debian's nfs-ganesha and
// nfs-ganesha-vfs), configured and kept running by rackbootd, for hosts where the kernel's nfsd is
// not there to use (a container, no nfsd module). One EXPORT per board with an NFS root: its
// directory, at the same path in NFSv4's pseudo file system ({root}: nfsroot={server}:{root}),
// read-write with root not squashed (a Pi's root file system), and a CLIENT block naming only the
// board's addresses: every other address has no access, and a board with no known address is
// reached by nobody. Export_Id is the root's own (kept in the store for its life), so a reload
// never renumbers a mounted export. NFSv4 only, no grace period (Graceless: a Pi's root holds no
// locks worth reclaiming, and a restarted server serves at once).
//
// Files in `dir`: ganesha.conf, ganesha.pid, ganesha.log. A changed configuration is reloaded
// with SIGHUP (Ganesha rereads its exports: added, changed and removed ones). Started only once
// a board has an NFS root, so hosts using NBD alone need no Ganesha.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/roots/managed_daemon.h"
#include "proto/ipv4.h"
#include "proto/result.h"

namespace rackboot::control {

struct NfsExport {
    std::string name;                  // the board's serial (a comment in the configuration)
    std::uint16_t id = 0;              // Export_Id
    std::string path;                  // the directory, absolute
    std::vector<proto::Ipv4> allowed;  // the board's addresses
    bool operator==(const NfsExport&) const = default;
};

// Ganesha's configuration for `exports`, listening on `listen`:`port`.
[[nodiscard]] std::string ganesha_config_text(const std::string& listen, std::uint16_t port,
                                              const std::vector<NfsExport>& exports);

class NfsServer {
public:
    struct Options {
        std::string dir;  // its files (made if missing)
        std::string listen = "0.0.0.0";
        std::uint16_t port = 2049;
        std::string program;  // ganesha.nfsd to start when none runs; empty: a unit runs it
    };
    explicit NfsServer(Options o);

    // Writes the configuration when `exports` changed it, reloads a running server or starts one
    // (when there is an export). The reason when something could not be done.
    [[nodiscard]] proto::Result<> apply(std::vector<NfsExport> exports);

    struct Status {
        int pid = 0;
        std::size_t exports = 0;
        std::uint64_t starts = 0;
        std::uint64_t reloads = 0;
    };
    [[nodiscard]] Status status() const { return {pid_, exports_, daemon_.starts(), reloads_}; }
    [[nodiscard]] std::string config_path() const { return o_.dir + "/ganesha.conf"; }

private:
    Options o_;
    ManagedDaemon daemon_;
    int pid_ = 0;
    std::size_t exports_ = 0;
    std::uint64_t reloads_ = 0;
};

}  // namespace rackboot::control
