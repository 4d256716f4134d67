// Boards' own roots in the daemon (issue 21): the roots service (control/roots/board_roots.h)
// behind the API's root routes, and nbd-server and NFS-Ganesha (or the kernel's nfsd) kept in step with the directory's
// boards: after every root change, and every second (a board's new address, a server gone).
// Built only with --roots.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "control/api/rest_api.h"
#include "control/live/board_directory.h"
#include "control/roots/board_roots.h"
#include "control/roots/kernel_nfs.h"
#include "control/roots/nbd_server.h"
#include "control/roots/nfs_server.h"
#include "proto/result.h"
#include "rackbootd/config.h"

namespace rackboot::control {

class RootsWiring {
public:
    RootsWiring(const DaemonConfig& cfg, std::string roots_real, InventoryWrites& writes, BoardDirectory& directory);

    // Opens the directory and applies the exports once (nbd-server started when a root exists).
    [[nodiscard]] proto::Result<> start();
    // The API's make_root and remove_root.
    void wire(LiveSources& live);
    // Exports as the directory says now; a warning line when that fails (once per new reason).
    void sync();
    // rackboot_roots{kind}, rackboot_root_server_up{server}, rackboot_root_server_starts_total.
    [[nodiscard]] std::string render_metrics();

private:
    BoardDirectory& directory_;
    BoardRoots roots_;
    std::mutex mutex_;  // sync() from the API and control threads
    NbdServer nbd_;
    NfsServer nfs_;
    std::optional<KernelNfs> kernel_nfs_;  // --nfs-server kernel: NFS roots on the kernel's nfsd instead
    std::size_t nbd_roots_ = 0;            // at the last sync
    std::size_t nfs_roots_ = 0;
    std::string last_nbd_error_;
    std::string last_nfs_error_;
};

}  // namespace rackboot::control
