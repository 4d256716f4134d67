#include "control/roots/nbd_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace rackboot::control {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

}  // namespace

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

NbdServer::NbdServer(Options o)
    : o_(std::move(o)),
      daemon_(ManagedDaemon::Options{o_.program,
                                     {"-C", o_.dir + "/nbd-server.conf", "-p", o_.dir + "/nbd-server.pid"},
                                     o_.dir + "/nbd-server.pid",
                                     "nbd-server",
                                     "nbd-server"}) {
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
    addresses_ = want.size();
    return {};
}

proto::Result<> NbdServer::apply(const std::vector<NbdExport>& exports) {
    std::string conflicts;
    if (!linked_ || exports != applied_) {
        if (auto ok = link_addresses(exports, conflicts); !ok) return ok;
        applied_ = exports;
        linked_ = true;
    }
    std::string text = nbd_config_text(o_.listen, o_.port, by_address_dir());
    if (read_small_file(config_path()) != text) {
        if (auto ok = write_file_atomically(config_path(), text); !ok) return ok;
        // Only another listen address or port changes it: the listener is started anew on it.
        if (daemon_.managed()) daemon_.kill_listener();
    }
    // Started once a board has an NBD root (hosts using NFS alone need no nbd-server).
    proto::Result<int> running = daemon_.running_pid();
    if (*running == 0 && !exports.empty()) running = daemon_.ensure_running();
    pid_ = running ? *running : 0;
    std::string why;
    if (!conflicts.empty()) why = "addresses claimed by two boards reach neither: " + conflicts;
    if (!running) why += (why.empty() ? "" : "; ") + running.error().reason;
    return why.empty() ? proto::Result<>{} : proto::failure(why);
}

}  // namespace rackboot::control
