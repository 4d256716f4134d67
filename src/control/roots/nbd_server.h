// The NBD server that exports the boards' roots (issue 21): Debian's nbd-server, configured and
// kept running by rackbootd. Its configuration never changes while it runs: one export, "root"
// (kNbdRootExport; {root} in a board's files), whose file is named by the connecting address
// (nbd-server's virtstyle ipliteral: exportname = DIR/by-address/%s). rackbootd keeps one
// symlink per board address there, to that board's disk: a Pi reaches its own disk and nothing
// else, an address with no board (or a board with no known address) reaches nothing, and no
// export name is there to guess. Read-write, with flush and FUA passed to the disk so that what
// a Pi's kernel was told is written is on the disk.
//
// Nothing needs a reload, which matters: Debian 12's nbd-server 3.24 drops every connection
// attempt after a SIGHUP that added an export (the new exports' records are freed: fixed
// upstream in 2023, commit db66b92). A board's new root or address is a symlink written
// (to a temporary name and renamed over), read at the next connection.
//
// Files in `dir`: nbd-server.conf, by-address/ADDRESS, nbd-server.pid. nbd-server daemonizes and
// survives rackbootd: a restarted rackbootd finds it by its pid file, and a Pi's root stays
// connected. Under systemd, deploy/rackboot-nbd.service runs it on the same files (`program`
// empty); else rackbootd starts it, and again if it exits (with back-off). Only a changed
// configuration (another listen address or port) replaces a running one: its connection
// processes are left serving, the listener is started anew.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/roots/managed_daemon.h"
#include "control/store/inventory.h"
#include "proto/ipv4.h"
#include "proto/result.h"

namespace rackboot::control {

struct NbdExport {
    std::string name;                  // the board's serial (for messages)
    std::string disk;                  // absolute path
    std::vector<proto::Ipv4> allowed;  // the board's addresses
    bool operator==(const NbdExport&) const = default;
};

// nbd-server's configuration: the one export, its files named by address in `by_address`.
[[nodiscard]] std::string nbd_config_text(const std::string& listen, std::uint16_t port, const std::string& by_address);

class NbdServer {
public:
    struct Options {
        std::string dir;  // its files (made if missing)
        std::string listen = "0.0.0.0";
        std::uint16_t port = 10809;
        std::string program;  // nbd-server to start when none runs; empty: a unit runs it
    };
    explicit NbdServer(Options o);

    // Makes the address links say `exports` and nbd-server run: writes the configuration and the
    // links that changed, starts nbd-server when it is not running and there is an export. An address two boards claim
    // is given to neither (and named in the reason). Cheap when nothing changed (a pid check);
    // called every second and after every root change. The reason when something could not be
    // done (the next call tries again).
    [[nodiscard]] proto::Result<> apply(const std::vector<NbdExport>& exports);

    struct Status {
        int pid = 0;  // 0: not running
        std::size_t addresses = 0;
        std::uint64_t starts = 0;  // how often rackbootd started it
    };
    [[nodiscard]] Status status() const { return {pid_, addresses_, daemon_.starts()}; }
    [[nodiscard]] std::string config_path() const { return o_.dir + "/nbd-server.conf"; }
    [[nodiscard]] std::string by_address_dir() const { return o_.dir + "/by-address"; }

private:
    [[nodiscard]] proto::Result<> link_addresses(const std::vector<NbdExport>& exports, std::string& conflicts);

    Options o_;
    ManagedDaemon daemon_;
    std::vector<NbdExport> applied_;
    bool linked_ = false;
    int pid_ = 0;
    std::size_t addresses_ = 0;
};

}  // namespace rackboot::control
