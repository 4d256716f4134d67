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
#include "control/roots/managed_daemon.h"
#include "control/store/lease_store.h"

namespace rackboot::control {

namespace {

using proto::failure;
using proto::Result;

// A PEM file for the API's TLS, whole; the reason names the flag and file.
Result<std::string> read_pem(const char* flag, const std::string& path) {
    std::ifstream in(path);
    if (!in) return failure(std::string(flag) + ": cannot read '" + path + "': " + std::strerror(errno));
    std::string pem(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{});
    if (pem.find("-----BEGIN ") == std::string::npos) {
        return failure(std::string(flag) + ": '" + path + "' is not PEM (no -----BEGIN line)");
    }
    return pem;
}

// The socket backend binds --listen: it must be an address of this machine (or any).
Result<> check_listen(const DaemonConfig& cfg) {
    if (cfg.dpdk() || cfg.listen.unset()) return {};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};  // nothing to learn here; the start says what fails
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = cfg.listen.network();
    bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
    int why = errno;
    close(fd);
    if (ok || why != EADDRNOTAVAIL) return {};
    return failure("--listen: " + cfg.listen.to_string() + " is not an address of this machine: " + std::strerror(why));
}

// The inventory: opened (a start makes it when missing), or read as it is (a check: null when a
// start would make it).
Result<std::unique_ptr<InventoryStore>> open_inventory(const DaemonConfig& cfg, bool check) {
    std::string path = cfg.state_dir + "/inventory.sqlite";
    struct stat st {};
    bool exists = stat(path.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) return failure("--state: cannot reach '" + path + "': " + std::strerror(errno));
    if (exists && !S_ISREG(st.st_mode)) return failure("--state: '" + path + "' is not a regular file");
    if (check && !exists) return std::unique_ptr<InventoryStore>();  // a start makes an empty one
    auto opened = open_sqlite_inventory(path, check);
    if (!opened) return failure("--state: " + opened.error().reason);
    return opened;
}

// Checking: the boards a start would serve from the store and the flags.
Result<std::size_t> count_boards(const DaemonConfig& cfg, InventoryStore* inventory) {
    std::set<proto::Serial> serials;
    for (const auto& b : cfg.boards) {
        if (b.kind == proto::BootPrefix::Kind::Serial) serials.insert(b.serial);
    }
    std::size_t by_mac = cfg.boards.size() - serials.size();
    if (inventory != nullptr) {
        std::optional<proto::Serial> after;
        for (;;) {
            std::vector<Board> page;
            if (Outcome o = inventory->list_boards({}, after, 1000, page); !o.ok())
                return failure("--state: " + o.message);
            for (const Board& b : page) serials.insert(b.serial);
            if (page.size() < 1000) break;
            after = page.back().serial;
        }
    }
    return serials.size() + by_mac;
}

// The state directory (made on a start) and the inventory in it.
Result<> prepare_state(const DaemonConfig& cfg, bool check, Preflight& out) {
    if (cfg.state_dir.empty()) return {};
    if (Result<> ok = LeaseStore::check_access(cfg.state_dir); !ok) return ok;
    struct stat st {};
    bool made = stat(cfg.state_dir.c_str(), &st) == 0;
    if (!check && !made && mkdir(cfg.state_dir.c_str(), 0750) != 0 && errno != EEXIST) {
        return failure("--state: cannot create '" + cfg.state_dir + "': " + std::strerror(errno));
    }
    if (!made && check) return {};
    auto inventory = open_inventory(cfg, check);
    if (!inventory) return tl::unexpected(inventory.error());
    out.inventory = std::move(*inventory);
    return {};
}

// Every image is opened beneath this descriptor, never by its stored path (issue 18 #3).
Result<> open_images_root(const DaemonConfig& cfg, Preflight& out) {
    if (cfg.images_root.empty()) return {};
    auto opened = dataplane::TreeHandle::open(cfg.images_root);
    if (!opened) return failure("--images-root: " + opened.error().reason);
    std::unique_ptr<char, decltype(&std::free)> real(realpath(cfg.images_root.c_str(), nullptr), &std::free);
    if (!real) return failure("--images-root: " + std::string(std::strerror(errno)));
    out.images_root = std::move(*opened);
    out.images_real = real.get();
    return {};
}

// Boards' roots are writable disks: never where TFTP serves from (beneath --images-root or the
// TFTP root), and the other way round, so no path the TFTP side can reach names a Pi's disk.
Result<> check_roots(const DaemonConfig& cfg, Preflight& out) {
    if (cfg.roots_dir.empty()) return {};
    if (cfg.state_dir.empty()) return failure("--roots needs --state (the boards whose roots they are)");
    std::unique_ptr<char, decltype(&std::free)> real(realpath(cfg.roots_dir.c_str(), nullptr), &std::free);
    if (!real) return failure("--roots " + cfg.roots_dir + ": " + std::strerror(errno));
    struct stat st {};
    if (stat(real.get(), &st) != 0 || !S_ISDIR(st.st_mode))
        return failure("--roots " + cfg.roots_dir + ": not a directory");
    if (access(real.get(), W_OK) != 0)
        return failure("--roots " + cfg.roots_dir + ": not writable: " + std::strerror(errno));
    std::string roots = real.get();
    auto overlaps = [&](const std::string& served) {
        return served == roots || path_beneath(roots, served) || path_beneath(served, roots);
    };
    if (!out.images_real.empty() && overlaps(out.images_real)) {
        return failure("--roots " + roots + " and --images-root " + out.images_real +
                       " overlap: TFTP could serve a Pi's writable disk");
    }
    if (!cfg.tftp_root.empty()) {
        std::unique_ptr<char, decltype(&std::free)> tftp(realpath(cfg.tftp_root.c_str(), nullptr), &std::free);
        if (tftp && overlaps(tftp.get())) {
            return failure("--roots " + roots + " and the TFTP root " + tftp.get() +
                           " overlap: TFTP could serve a Pi's writable disk");
        }
    }
    // A program named by its path must be there; one found on PATH is looked for when a root of
    // its kind is added (a host using one kind needs only that server installed).
    for (const auto& [flag, program] :
         {std::pair{"--nbd-server", cfg.nbd_server}, std::pair{"--nfs-server", cfg.nfs_server}}) {
        if (program.find('/') != std::string::npos && !program_exists(program)) {
            return failure(std::string(flag) + " " + program + ": no such program (or \"unit\" where a unit runs it)");
        }
    }
    out.roots_real = roots;
    return {};
}

// The API's token (checking, one a start would make is not made) and its TLS files.
Result<> read_api_secrets(const DaemonConfig& cfg, bool check, Preflight& out) {
    if (!cfg.state_dir.empty()) {
        bool own = cfg.api_token_file.empty();
        std::string path = own ? cfg.state_dir + "/api-token" : cfg.api_token_file;
        struct stat st {};
        bool made_at_start = own && lstat(path.c_str(), &st) != 0 && errno == ENOENT;
        if (!(check && made_at_start)) {
            Result<std::string> token = load_api_token(path, own && !check);
            if (!token) return tl::unexpected(token.error());
            out.token = std::move(*token);
        }
    }
    if (cfg.api_tls_cert.empty()) return {};
    Result<std::string> cert = read_pem("--api-tls-cert", cfg.api_tls_cert);
    if (!cert) return tl::unexpected(cert.error());
    Result<std::string> key = read_pem("--api-tls-key", cfg.api_tls_key);
    if (!key) return tl::unexpected(key.error());
    out.tls_cert = std::move(*cert);
    out.tls_key = std::move(*key);
    return {};
}

}  // namespace

proto::Result<Preflight> preflight(const DaemonConfig& cfg, bool check) {
    Preflight out;
    Result<> ok = prepare_state(cfg, check, out)
                      .and_then([&] { return open_images_root(cfg, out); })
                      .and_then([&] { return check_roots(cfg, out); })
                      .and_then([&] { return check_listen(cfg); })
                      .and_then([&] { return read_api_secrets(cfg, check, out); });
    if (!ok) return tl::unexpected(ok.error());
    if (check) {
        Result<std::size_t> boards = count_boards(cfg, out.inventory.get());
        if (!boards) return tl::unexpected(boards.error());
        out.stored_boards = *boards;
    }
    return out;
}

}  // namespace rackboot::control
