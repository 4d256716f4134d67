#include "control/roots/managed_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace rackboot::control {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Alive and not a zombie (a daemon's parent is whatever reaps orphans, which may not be quick).
bool alive(int pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

proto::Result<> make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) return proto::failure(errno_text("creating " + path));
    return {};
}

bool program_exists(const std::string& program) {
    if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        if (!dir.empty() && access(dir.append("/").append(program).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

int ManagedDaemon::running_pid() const {
    std::string text = read_small_file(o_.pid_path);
    int pid = 0;
    try {
        pid = text.empty() ? 0 : std::stoi(text);
    } catch (...) {
        return 0;
    }
    if (!alive(pid)) return 0;
    // A stale pid file may name another program now (the kernel cuts names to 15 characters).
    std::string comm = read_small_file("/proc/" + std::to_string(pid) + "/comm");
    return comm.rfind(o_.comm.substr(0, 15), 0) == 0 ? pid : 0;
}

namespace {

// Starts `args` (the program first) clean: rackbootd blocks SIGTERM and SIGINT (its control
// thread takes them with sigtimedwait) and ignores SIGPIPE, and a blocked mask and ignored
// signals survive exec: a daemon started with them could not be stopped with SIGTERM. Nor does
// it keep rackbootd's descriptors (a supervisor's log or pipe would stay open as long as it
// runs). `out` (>= 0): its standard output and error.
proto::Result<pid_t> spawn_clean(std::vector<std::string> args, int out) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t files;
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_init(&files);
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, sig);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (out >= 0) {
        ::posix_spawn_file_actions_adddup2(&files, out, 1);
        ::posix_spawn_file_actions_adddup2(&files, out, 2);
    }
    ::posix_spawn_file_actions_addclosefrom_np(&files, 3);
    pid_t child = 0;
    int rc = ::posix_spawnp(&child, args[0].c_str(), &files, &attr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&files);
    ::posix_spawnattr_destroy(&attr);
    if (rc != 0) return proto::failure("starting " + args[0] + ": " + std::strerror(rc));
    return child;
}

}  // namespace

proto::Result<> run_program(const std::string& program, const std::vector<std::string>& args, int timeout_ms) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return proto::failure(errno_text("a pipe for " + program));
    std::vector<std::string> all = {program};
    all.insert(all.end(), args.begin(), args.end());
    proto::Result<pid_t> child = spawn_clean(std::move(all), pipe_fds[1]);
    ::close(pipe_fds[1]);
    if (!child) {
        ::close(pipe_fds[0]);
        return tl::unexpected(child.error());
    }
    std::string said;
    char buf[512];
    int wstatus = 0;
    bool exited = false;
    for (int waited = 0; !exited; waited += 10) {
        for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) {
            if (said.size() < 4096) said.append(buf, static_cast<std::size_t>(n));
        }
        exited = ::waitpid(*child, &wstatus, WNOHANG) == *child;
        if (!exited && waited >= timeout_ms) {
            ::kill(*child, SIGKILL);
            ::waitpid(*child, &wstatus, 0);
            ::close(pipe_fds[0]);
            return proto::failure(program + " did not finish in " + std::to_string(timeout_ms / 1000) + " s");
        }
        if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) {
        if (said.size() < 4096) said.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return {};
    std::string how = WIFEXITED(wstatus) ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                                         : "was killed by signal " + std::to_string(WTERMSIG(wstatus));
    return proto::failure(program + " " + how + (said.empty() ? std::string() : ": " + said));
}

proto::Result<> ManagedDaemon::start() {
    std::vector<std::string> args = {o_.program};
    args.insert(args.end(), o_.args.begin(), o_.args.end());
    (void)::unlink(o_.pid_path.c_str());
    proto::Result<pid_t> spawned = spawn_clean(std::move(args), -1);
    if (!spawned) return tl::unexpected(spawned.error());
    pid_t child = *spawned;
    // It forks into the background and its first process exits: 0 once the daemon is on its way.
    int wstatus = 0;
    for (int i = 0;; ++i) {
        if (::waitpid(child, &wstatus, WNOHANG) == child) break;
        if (i == 500) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &wstatus, 0);
            return proto::failure(o_.program + " did not go to the background");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        return proto::failure(o_.program + " exited with status " + std::to_string(WEXITSTATUS(wstatus)));
    }
    for (int i = 0; i < 300; ++i) {
        if (running_pid() != 0) {
            ++starts_;
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return proto::failure(o_.program + " started but did not stay up (its port in use? its log says why)");
}

proto::Result<int> ManagedDaemon::ensure_running() {
    if (int pid = running_pid(); pid != 0) return pid;
    if (o_.program.empty()) return proto::failure(o_.name + " is not running (its unit runs it)");
    std::int64_t now = now_ms();
    if (now < next_start_ms_) return proto::failure(last_error_);
    if (auto started = start(); !started) {
        next_start_ms_ = now + backoff_ms_;
        backoff_ms_ = std::min<std::int64_t>(backoff_ms_ * 2, 60000);
        last_error_ = started.error().reason;
        return tl::unexpected(started.error());
    }
    backoff_ms_ = 1000;
    last_error_.clear();
    return running_pid();
}

void ManagedDaemon::kill_listener() {
    int pid = running_pid();
    if (pid == 0) return;
    (void)::kill(pid, SIGKILL);
    for (int i = 0; i < 200 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace rackboot::control
