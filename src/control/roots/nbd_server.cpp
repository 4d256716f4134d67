#include "control/roots/nbd_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace rackboot::control {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

proto::Result<> make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) return proto::failure(errno_text("creating " + path));
    return {};
}

std::string read_small(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string allow_text(const NbdExport& e) {
    std::string text = "# board " + e.name + ": the addresses that may connect (written by rackbootd)\n";
    for (proto::Ipv4 ip : e.allowed) text += ip.to_string() + "\n";
    return text;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

proto::Result<> write_file_atomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) return proto::failure(errno_text("writing " + tmp));
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto why = proto::failure(errno_text("writing " + tmp));
            ::close(fd);
            (void)::unlink(tmp.c_str());
            return why;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        auto why = proto::failure(errno_text("writing " + tmp));
        ::close(fd);
        (void)::unlink(tmp.c_str());
        return why;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto why = proto::failure(errno_text("renaming " + tmp));
        (void)::unlink(tmp.c_str());
        return why;
    }
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

std::string nbd_config_text(const std::string& listen, std::uint16_t port, const std::string& allow_dir,
                            const std::vector<NbdExport>& exports) {
    std::string out =
        "# nbd-server's configuration, written by rackbootd: one export per board with a root.\n"
        "# Edits are overwritten; change roots with the API (/api/v1/boards/SERIAL/root).\n"
        "[generic]\n";
    out += "listenaddr = " + listen + "\n";
    out += "port = " + std::to_string(port) + "\n";
    out += "allowlist = false\n";
    for (const NbdExport& e : exports) {
        out += "\n[" + e.name + "]\n";
        out += "exportname = " + e.disk + "\n";
        out += "authfile = " + allow_dir + "/" + e.name + "\n";
        out += "flush = true\nfua = true\ntrim = true\n";
    }
    return out;
}

int NbdServer::running_pid() const {
    std::string text = read_small(pid_path());
    int pid = 0;
    try {
        pid = text.empty() ? 0 : std::stoi(text);
    } catch (...) {
        return 0;
    }
    if (pid <= 0 || ::kill(pid, 0) != 0) return 0;
    // A stale pid file may name another program now.
    std::string comm = read_small("/proc/" + std::to_string(pid) + "/comm");
    return comm.rfind("nbd-server", 0) == 0 ? pid : 0;
}

proto::Result<> NbdServer::start() {
    std::string conf = config_path();
    std::string pid = pid_path();
    std::vector<std::string> args = {o_.program, "-C", conf, "-p", pid};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    (void)::unlink(pid.c_str());
    pid_t child = 0;
    if (int rc = ::posix_spawn(&child, o_.program.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0) {
        return proto::failure("starting " + o_.program + ": " + std::strerror(rc));
    }
    // It forks into the background and its first process exits: 0 once the daemon is on its way.
    int wstatus = 0;
    for (int i = 0; i < 200; ++i) {
        pid_t r = ::waitpid(child, &wstatus, WNOHANG);
        if (r == child) break;
        if (i == 199) return proto::failure(o_.program + " did not go to the background");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        return proto::failure(o_.program + " exited with status " + std::to_string(WEXITSTATUS(wstatus)) +
                              " (its reason is in the system log)");
    }
    for (int i = 0; i < 200; ++i) {
        if (running_pid() != 0) {
            ++status_.starts;
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return proto::failure(o_.program + " started but did not stay up (is port " + std::to_string(o_.port) +
                          " in use? its reason is in the system log)");
}

proto::Result<> NbdServer::apply(std::vector<NbdExport> exports) {
    std::sort(exports.begin(), exports.end(), [](const NbdExport& a, const NbdExport& b) { return a.name < b.name; });
    auto done = [&](proto::Result<> r) {
        status_.last_error = r ? std::string() : r.error().reason;
        return r;
    };
    bool reload = false;
    if (!written_ || exports != applied_) {
        std::string allow_dir = o_.dir + "/allow";
        if (auto ok = make_dir(o_.dir).and_then([&] { return make_dir(allow_dir); }); !ok) return done(ok);
        for (const NbdExport& e : exports) {
            auto old = std::find_if(applied_.begin(), applied_.end(), [&](const NbdExport& a) { return a.name == e.name; });
            if (written_ && old != applied_.end() && old->allowed == e.allowed) continue;
            if (auto ok = write_file_atomically(allow_dir + "/" + e.name, allow_text(e)); !ok) return done(ok);
        }
        std::string text = nbd_config_text(o_.listen, o_.port, allow_dir, exports);
        if (read_small(config_path()) != text) {
            if (auto ok = write_file_atomically(config_path(), text); !ok) return done(ok);
            reload = true;
        }
        for (const NbdExport& a : applied_) {
            bool kept = std::any_of(exports.begin(), exports.end(), [&](const NbdExport& e) { return e.name == a.name; });
            // nbd-server keeps a removed export until it restarts, and allows anyone when its file
            // is missing: the file stays, allowing no one.
            if (!kept) {
                if (auto ok = write_file_atomically(allow_dir + "/" + a.name, allow_text(NbdExport{a.name, {}, {}}));
                    !ok)
                    return done(ok);
            }
        }
        applied_ = exports;
        written_ = true;
    }
    status_.exports = applied_.size();
    int pid = running_pid();
    if (pid != 0 && reload) {
        if (::kill(pid, SIGHUP) != 0) return done(proto::failure(errno_text("reloading nbd-server")));
        ++status_.reloads;
    }
    if (pid == 0 && !applied_.empty() && !o_.program.empty()) {
        std::int64_t now = now_ms();
        if (now < next_start_ms_) {
            status_.pid = 0;
            return done(status_.last_error.empty() ? proto::failure("nbd-server is not running") : proto::failure(status_.last_error));
        }
        auto started = start();
        if (!started) {
            next_start_ms_ = now + backoff_ms_;
            backoff_ms_ = std::min<std::int64_t>(backoff_ms_ * 2, 60000);
            status_.pid = 0;
            return done(started);
        }
        backoff_ms_ = 1000;
        pid = running_pid();
    }
    status_.pid = pid;
    if (pid == 0 && !applied_.empty()) return done(proto::failure("nbd-server is not running"));
    return done({});
}

}  // namespace rackboot::control
