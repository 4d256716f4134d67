// A server rackbootd keeps running for the roots (nbd-server, ganesha.nfsd): started as a daemon
// that writes a pid file and outlives rackbootd (a restarted rackbootd finds it by that file, so
// the Pis' roots stay connected), started again with back-off when it is gone, signalled to
// reload. With no program (a systemd unit runs it) it is only found and signalled. Also the file
// helpers both servers' configurations use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/store/small_file.h"
#include "proto/result.h"

namespace rackboot::control {

class ManagedDaemon {
public:
    struct Options {
        std::string program;            // empty: a unit runs it
        std::vector<std::string> args;  // after the program's name
        std::string pid_path;           // where it writes its pid
        std::string comm;               // its process name, so a stale pid file is not believed
        std::string name;               // for messages: "nbd-server"
    };
    explicit ManagedDaemon(Options o) : o_(std::move(o)) {}

    // Its pid when it runs (0: not, or a zombie).
    [[nodiscard]] int running_pid() const;
    // Running now, or the reason: started when it was not (at most once per back-off period,
    // which doubles from 1 s to 60 s while starts fail).
    [[nodiscard]] proto::Result<int> ensure_running();
    // Stops the listener alone (SIGKILL: SIGTERM makes nbd-server take every connection with it);
    // what serves connections stays. For a changed configuration only.
    void kill_listener();
    [[nodiscard]] std::uint64_t starts() const noexcept { return starts_; }
    [[nodiscard]] bool managed() const noexcept { return !o_.program.empty(); }
    [[nodiscard]] const std::string& name() const noexcept { return o_.name; }

private:
    [[nodiscard]] proto::Result<> start();

    Options o_;
    std::uint64_t starts_ = 0;
    std::int64_t next_start_ms_ = 0;
    std::int64_t backoff_ms_ = 1000;
    std::string last_error_;
};

// Whether `program` names an executable: a path, or a name found on PATH.
[[nodiscard]] bool program_exists(const std::string& program);
// Runs `program` with `args` to its end (started clean, as the daemons are), for at most
// `timeout_ms`; when it fails, the reason holds its output (the first 4 KiB).
[[nodiscard]] proto::Result<> run_program(const std::string& program, const std::vector<std::string>& args,
                                          int timeout_ms);
// Makes the directory (mode 0750) unless it exists.
[[nodiscard]] proto::Result<> make_dir(const std::string& path);

}  // namespace rackboot::control
