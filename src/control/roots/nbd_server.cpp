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
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace rackboot::control {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

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

// Alive and not a zombie (a daemon's parent is whatever reaps orphans, which may not be quick).
bool alive(int pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::string stat = read_small("/proc/" + std::to_string(pid) + "/stat");
    std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
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

std::string nbd_config_text(const std::string& listen, std::uint16_t port, const std::string& by_address) {
    std::string out =
        "# nbd-server's configuration, written by rackbootd. One export: each board's root, chosen by\n"
        "# the address that connects (" +
        by_address +
        "/ADDRESS, a link to that board's disk).\n"
        "[generic]\n";
    out += "listenaddr = " + listen + "\n";
    out += "port = " + std::to_string(port) + "\n";
    out += "allowlist = false\n";
    out += std::string("\n[") + kNbdRootExport + "]\n";
    out += "exportname = " + by_address + "/%s\n";
    out += "virtstyle = ipliteral\n";
    out += "flush = true\nfua = true\ntrim = true\n";
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
    if (!alive(pid)) return 0;
    // A stale pid file may name another program now.
    std::string comm = read_small("/proc/" + std::to_string(pid) + "/comm");
    return comm.rfind("nbd-server", 0) == 0 ? pid : 0;
}

proto::Result<> NbdServer::start() {
    std::string conf = config_path();
    std::string pid = pid_path();
    std::vector<std::string> args = {o_.program, "-C", conf, "-p", pid};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    (void)::unlink(pid.c_str());
    pid_t child = 0;
    if (int rc = ::posix_spawnp(&child, o_.program.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0) {
        return proto::failure("starting " + o_.program + ": " + std::strerror(rc));
    }
    // It forks into the background and its first process exits: 0 once the daemon is on its way.
    int wstatus = 0;
    for (int i = 0;; ++i) {
        if (::waitpid(child, &wstatus, WNOHANG) == child) break;
        if (i == 200) return proto::failure(o_.program + " did not go to the background");
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

proto::Result<> NbdServer::link_addresses(const std::vector<NbdExport>& exports, std::string& conflicts) {
    std::map<std::string, std::string> want;   // address -> disk
    std::map<std::string, std::string> owner;  // address -> board
    std::set<std::string> claimed_twice;
    for (const NbdExport& e : exports) {
        for (proto::Ipv4 ip : e.allowed) {
            std::string a = ip.to_string();
            if (auto [it, fresh] = owner.emplace(a, e.name); !fresh && it->second != e.name) {
                claimed_twice.insert(a);
                conflicts += (conflicts.empty() ? "" : ", ") + a + " (boards " + it->second + " and " + e.name + ")";
                continue;
            }
            want[a] = e.disk;
        }
    }
    for (const std::string& a : claimed_twice) want.erase(a);
    std::string dir = by_address_dir();
    if (auto ok = make_dir(o_.dir).and_then([&] { return make_dir(dir); }); !ok) return ok;
    // Links no board has now go first: an address given up reaches nothing from then on.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (want.count(name) == 0 && ::unlink(entry.path().c_str()) != 0 && errno != ENOENT) {
            return proto::failure(errno_text("removing " + entry.path().string()));
        }
    }
    if (ec) return proto::failure("reading " + dir + ": " + ec.message());
    for (const auto& [address, disk] : want) {
        std::string link = dir;
        link.append("/").append(address);
        char target[4096];
        ssize_t n = ::readlink(link.c_str(), target, sizeof target);
        if (n >= 0 && std::string(target, static_cast<std::size_t>(n)) == disk) continue;
        std::string tmp = dir;
        tmp.append("/.").append(address).append(".tmp");
        (void)::unlink(tmp.c_str());
        if (::symlink(disk.c_str(), tmp.c_str()) != 0) return proto::failure(errno_text("linking " + tmp));
        if (::rename(tmp.c_str(), link.c_str()) != 0) return proto::failure(errno_text("renaming " + tmp));
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    status_.addresses = want.size();
    return {};
}

proto::Result<> NbdServer::apply(const std::vector<NbdExport>& exports) {
    auto done = [&](proto::Result<> r) {
        status_.last_error = r ? std::string() : r.error().reason;
        return r;
    };
    std::string conflicts;
    if (!linked_ || exports != applied_) {
        if (auto ok = link_addresses(exports, conflicts); !ok) return done(ok);
        applied_ = exports;
        linked_ = true;
    }
    std::string text = nbd_config_text(o_.listen, o_.port, by_address_dir());
    if (read_small(config_path()) != text) {
        if (auto ok = write_file_atomically(config_path(), text); !ok) return done(ok);
        config_changed_ = true;
    }
    int pid = running_pid();
    if (pid != 0 && config_changed_ && !o_.program.empty()) {
        // Its listener alone goes (SIGKILL: SIGTERM would take every Pi's connection with it);
        // the processes serving connections stay.
        (void)::kill(pid, SIGKILL);
        for (int i = 0; i < 200 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        pid = 0;
    }
    if (pid != 0 || o_.program.empty()) config_changed_ = false;
    if (pid == 0 && !o_.program.empty()) {
        std::int64_t now = now_ms();
        if (now < next_start_ms_) {
            status_.pid = 0;
            return done(proto::failure(status_.last_error.empty() ? "nbd-server is not running" : status_.last_error));
        }
        auto started = start();
        if (!started) {
            next_start_ms_ = now + backoff_ms_;
            backoff_ms_ = std::min<std::int64_t>(backoff_ms_ * 2, 60000);
            status_.pid = 0;
            return done(started);
        }
        config_changed_ = false;
        backoff_ms_ = 1000;
        pid = running_pid();
    }
    status_.pid = pid;
    std::string why;
    if (!conflicts.empty()) why = "addresses claimed by two boards reach neither: " + conflicts;
    if (pid == 0) why += (why.empty() ? "" : "; ") + std::string("nbd-server is not running (") + config_path() + ")";
    return done(why.empty() ? proto::Result<>{} : proto::failure(why));
}

}  // namespace rackboot::control
