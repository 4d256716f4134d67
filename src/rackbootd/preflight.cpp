#include "rackbootd/preflight.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "control/api/api_token.h"
#include "control/store/lease_store.h"

namespace rackboot::control {

namespace {

// A PEM file for the API's TLS, whole; false with a reason naming the flag and file.
bool read_pem(const char* flag, const std::string& path, std::string& out, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = std::string(flag) + ": cannot read '" + path + "': " + std::strerror(errno);
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (out.find("-----BEGIN ") == std::string::npos) {
        error = std::string(flag) + ": '" + path + "' is not PEM (no -----BEGIN line)";
        return false;
    }
    return true;
}

// The socket backend binds --listen: it must be an address of this machine (or any).
bool check_listen(const DaemonConfig& cfg, std::string& error) {
    if (cfg.dpdk || cfg.listen.unset()) return true;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return true;  // nothing to learn here; the start says what fails
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = cfg.listen.network();
    bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
    int why = errno;
    close(fd);
    if (ok || why != EADDRNOTAVAIL) return true;
    error = "--listen: " + cfg.listen.to_string() + " is not an address of this machine: " + std::strerror(why);
    return false;
}

// The inventory: opened (a start makes it when missing), or read as it is (a check).
bool open_inventory(const DaemonConfig& cfg, bool check, Preflight& out, std::string& error) {
    std::string path = cfg.state_dir + "/inventory.sqlite";
    struct stat st {};
    bool exists = stat(path.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) {
        error = "--state: cannot reach '" + path + "': " + std::strerror(errno);
        return false;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        error = "--state: '" + path + "' is not a regular file";
        return false;
    }
    if (check && !exists) return true;  // a start makes an empty one
    out.inventory = open_sqlite_inventory(path, error, check);
    if (!out.inventory) {
        error = "--state: " + error;
        return false;
    }
    return true;
}

// Checking: the boards a start would serve from the store and the flags.
bool count_boards(const DaemonConfig& cfg, Preflight& out, std::string& error) {
    std::set<std::uint32_t> serials;
    for (const auto& b : cfg.boards) {
        if (b.kind == proto::BootPrefix::Kind::Serial) serials.insert(b.serial);
    }
    std::size_t by_mac = cfg.boards.size() - serials.size();
    if (out.inventory) {
        std::optional<std::uint32_t> after;
        for (;;) {
            std::vector<Board> page;
            if (Outcome o = out.inventory->list_boards({}, after, 1000, page); !o.ok()) {
                error = "--state: " + o.message;
                return false;
            }
            for (const Board& b : page) serials.insert(b.serial);
            if (page.size() < 1000) break;
            after = page.back().serial;
        }
    }
    out.stored_boards = serials.size() + by_mac;
    return true;
}

}  // namespace

bool preflight(const DaemonConfig& cfg, bool check, Preflight& out, std::string& error) {
    if (!cfg.state_dir.empty()) {
        if (proto::Result<> ok = LeaseStore::check_access(cfg.state_dir); !ok) {
            error = ok.error().reason;
            return false;
        }
        struct stat st {};
        bool made = stat(cfg.state_dir.c_str(), &st) == 0;
        if (!check && !made && mkdir(cfg.state_dir.c_str(), 0750) != 0 && errno != EEXIST) {
            error = "--state: cannot create '" + cfg.state_dir + "': " + std::strerror(errno);
            return false;
        }
        if ((made || !check) && !open_inventory(cfg, check, out, error)) return false;
    }
    if (!cfg.images_root.empty()) {
        // Every image is opened beneath this descriptor, never by its stored path (issue 18 #3).
        std::string why;
        out.images_root = dataplane::DirHandle::open(cfg.images_root, why);
        std::unique_ptr<char, decltype(&std::free)> real(realpath(cfg.images_root.c_str(), nullptr), &std::free);
        if (!out.images_root || !real) {
            error = "--images-root: " + (out.images_root ? std::string(std::strerror(errno)) : why);
            return false;
        }
        out.images_real = real.get();
    }
    if (!check_listen(cfg, error)) return false;
    if (!cfg.state_dir.empty()) {
        bool own = cfg.api_token_file.empty();
        std::string path = own ? cfg.state_dir + "/api-token" : cfg.api_token_file;
        struct stat st {};
        bool made_at_start = own && lstat(path.c_str(), &st) != 0 && errno == ENOENT;
        if (!(check && made_at_start) && !load_api_token(path, own && !check, out.token, error)) return false;
    }
    if (!cfg.api_tls_cert.empty()) {
        if (!read_pem("--api-tls-cert", cfg.api_tls_cert, out.tls_cert, error) ||
            !read_pem("--api-tls-key", cfg.api_tls_key, out.tls_key, error)) {
            return false;
        }
    }
    return !check || count_boards(cfg, out, error);
}

}  // namespace rackboot::control
