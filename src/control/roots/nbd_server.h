// The NBD server that exports the boards' roots (issue 21): Debian's nbd-server, configured and
// reloaded by rackbootd. One export per board with a root, named by its serial ({root} in its
// files), read-write, with flush and FUA passed to the disk so that what a Pi's kernel was told
// is written is on the disk. Every export has an authorization file: only the board's own
// addresses (its configured one, the one it was seen with) may connect, so one tenant's Pi
// cannot mount another's root by guessing its serial; a board with no known address is allowed
// from nowhere. The listing of exports is off for the same reason.
//
// Files in `dir` (rackbootd's, beneath --roots): nbd-server.conf, allow/SERIAL, nbd-server.pid.
// Each is written to a temporary name, fsynced and renamed. nbd-server reads an authorization
// file at each connection, so a board's new address needs no reload; a new export needs SIGHUP
// (nbd-server adds exports on reload and never drops one: a removed root's export stays until
// nbd-server restarts, and connecting to it fails, its disk being gone).
//
// nbd-server daemonizes and survives rackbootd: a restarted rackbootd finds it by its pid file
// and reloads it, and a Pi's root stays connected. Under systemd, deploy/systemd/rackboot-nbd.service
// runs it on the same files (and rackbootd only reloads it); without that unit rackbootd starts
// it (`program`), when the first export exists, and again if it exits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/ipv4.h"
#include "proto/result.h"

namespace rackboot::control {

struct NbdExport {
    std::string name;                   // the board's serial
    std::string disk;                   // absolute path
    std::vector<proto::Ipv4> allowed;   // who may connect
    bool operator==(const NbdExport&) const = default;
};

// nbd-server's configuration for `exports` (sorted by name), listening on `listen`:`port`, the
// authorization files in `allow_dir`.
[[nodiscard]] std::string nbd_config_text(const std::string& listen, std::uint16_t port, const std::string& allow_dir,
                                          const std::vector<NbdExport>& exports);

class NbdServer {
public:
    struct Options {
        std::string dir;           // its files (made if missing)
        std::string listen = "0.0.0.0";
        std::uint16_t port = 10809;
        std::string program;       // nbd-server to start when none runs; empty: a unit runs it
    };
    explicit NbdServer(Options o) : o_(std::move(o)) {}

    // Makes the files say `exports` and nbd-server serve them: writes what changed, reloads it
    // when the configuration did, starts it when it is not running (and there is an export).
    // Cheap when nothing changed (a pid check); called every second and after every root change.
    // The reason when something could not be done (the next call tries again).
    [[nodiscard]] proto::Result<> apply(std::vector<NbdExport> exports);

    struct Status {
        int pid = 0;             // 0: not running
        std::size_t exports = 0;
        std::uint64_t starts = 0;   // how often rackbootd started it
        std::uint64_t reloads = 0;
        std::string last_error;
    };
    [[nodiscard]] Status status() const { return status_; }
    [[nodiscard]] std::string config_path() const { return o_.dir + "/nbd-server.conf"; }
    [[nodiscard]] std::string pid_path() const { return o_.dir + "/nbd-server.pid"; }

private:
    [[nodiscard]] int running_pid() const;
    [[nodiscard]] proto::Result<> start();

    Options o_;
    std::vector<NbdExport> applied_;
    bool written_ = false;
    std::int64_t next_start_ms_ = 0;   // back-off after a start that did not stay up
    std::int64_t backoff_ms_ = 1000;
    Status status_;
};

// Writes `text` to `path` so that a reader (or a crash) sees the old file or the new one whole:
// a temporary file beside it, fsynced, renamed, the directory fsynced.
[[nodiscard]] proto::Result<> write_file_atomically(const std::string& path, const std::string& text);

}  // namespace rackboot::control
