#include "rackbootd/roots_wiring.h"

#include <cstdio>

namespace rackboot::control {

namespace {

NbdServer::Options nbd_options(const DaemonConfig& cfg, const std::string& roots_real) {
    NbdServer::Options o;
    o.dir = roots_real + "/.nbd";
    o.listen = cfg.nbd_listen.value() != 0 ? cfg.nbd_listen.to_string() : "0.0.0.0";
    o.port = cfg.nbd_port;
    o.program = cfg.nbd_server == "unit" ? std::string() : cfg.nbd_server;
    return o;
}

NfsServer::Options nfs_options(const DaemonConfig& cfg, const std::string& roots_real) {
    NfsServer::Options o;
    o.dir = roots_real + "/.nfs";
    o.listen = cfg.nfs_listen.value() != 0 ? cfg.nfs_listen.to_string() : "0.0.0.0";
    o.port = cfg.nfs_port;
    o.program = cfg.nfs_server == "unit" ? std::string() : cfg.nfs_server;
    return o;
}

// Why roots of `kind` cannot be served here: no server to start for them.
proto::Result<> ready(const DaemonConfig& cfg, RootKind kind) {
    const std::string& program = kind == RootKind::nfs ? cfg.nfs_server : cfg.nbd_server;
    if (program == "unit" || program_exists(program)) return {};
    if (kind == RootKind::nfs) {
        return proto::failure("NFS roots need NFS-Ganesha: " + program +
                              " is not installed (apt-get install nfs-ganesha nfs-ganesha-vfs)");
    }
    return proto::failure("NBD roots need nbd-server: " + program + " is not installed (apt-get install nbd-server)");
}

// One warning line per new reason.
void warn_once(const proto::Result<>& ok, const char* who, std::string& last) {
    std::string error = ok ? std::string() : ok.error().reason;
    if (error != last && !error.empty()) std::printf("event=warning what=\"%s: %s\"\n", who, error.c_str());
    last = error;
}

}  // namespace

RootsWiring::RootsWiring(const DaemonConfig& cfg, std::string roots_real, InventoryWrites& writes,
                         BoardDirectory& directory)
    : directory_(directory),
      roots_(
          writes, std::move(roots_real),
          [&directory](const std::string& image) { return directory.open_image_file(image); }, [this] { sync(); },
          [&cfg](RootKind kind) { return ready(cfg, kind); }),
      nbd_(nbd_options(cfg, roots_.dir())),
      nfs_(nfs_options(cfg, roots_.dir())) {
}

proto::Result<> RootsWiring::start() {
    if (auto ok = roots_.open(); !ok) return ok;
    sync();
    return {};
}

void RootsWiring::wire(LiveSources& live) {
    live.make_root = [this](proto::Serial serial, const RootRequest& req, Board& out, const Actor& who) {
        return roots_.create(serial, req, out, who);
    };
    live.remove_root = [this](proto::Serial serial, BoardRoot& out, const Actor& who) {
        return roots_.remove(serial, out, who);
    };
}

void RootsWiring::sync() {
    std::vector<NbdExport> nbd;
    std::vector<NfsExport> nfs;
    for (RootExport& r : directory_.root_exports()) {
        if (r.root.kind == RootKind::nbd) {
            nbd.push_back(NbdExport{r.serial.to_string(), std::move(r.root.path), std::move(r.addresses)});
        } else {
            nfs.push_back(
                NfsExport{r.serial.to_string(), r.root.export_id, std::move(r.root.path), std::move(r.addresses)});
        }
    }
    std::lock_guard lock(mutex_);
    nbd_roots_ = nbd.size();
    nfs_roots_ = nfs.size();
    std::uint64_t nbd_starts = nbd_.status().starts;
    std::uint64_t nfs_starts = nfs_.status().starts;
    proto::Result<> nbd_ok = nbd_.apply(nbd);
    proto::Result<> nfs_ok = nfs_.apply(std::move(nfs));
    if (nbd_.status().starts != nbd_starts) {
        std::printf("event=nbd_server pid=%d addresses=%zu config=%s\n", nbd_.status().pid, nbd_.status().addresses,
                    nbd_.config_path().c_str());
    }
    if (nfs_.status().starts != nfs_starts) {
        std::printf("event=nfs_server pid=%d exports=%zu config=%s\n", nfs_.status().pid, nfs_.status().exports,
                    nfs_.config_path().c_str());
    }
    warn_once(nbd_ok, "nbd-server", last_nbd_error_);
    warn_once(nfs_ok, "ganesha.nfsd", last_nfs_error_);
}

std::string RootsWiring::render_metrics() {
    std::lock_guard lock(mutex_);
    NbdServer::Status nbd = nbd_.status();
    NfsServer::Status nfs = nfs_.status();
    std::string out =
        "# HELP rackboot_roots Boards with a root of their own, by kind.\n"
        "# TYPE rackboot_roots gauge\n";
    out += "rackboot_roots{kind=\"nbd\"} " + std::to_string(nbd_roots_) + "\n";
    out += "rackboot_roots{kind=\"nfs\"} " + std::to_string(nfs_roots_) + "\n";
    out +=
        "# HELP rackboot_root_server_up Whether the server exporting roots runs (1) or not (0; started with the first "
        "root of its kind).\n"
        "# TYPE rackboot_root_server_up gauge\n";
    out += std::string("rackboot_root_server_up{server=\"nbd-server\"} ") + (nbd.pid != 0 ? "1" : "0") + "\n";
    out += std::string("rackboot_root_server_up{server=\"ganesha.nfsd\"} ") + (nfs.pid != 0 ? "1" : "0") + "\n";
    out +=
        "# HELP rackboot_root_server_starts_total Times rackbootd started a roots server (again after it exited).\n"
        "# TYPE rackboot_root_server_starts_total counter\n";
    out += "rackboot_root_server_starts_total{server=\"nbd-server\"} " + std::to_string(nbd.starts) + "\n";
    out += "rackboot_root_server_starts_total{server=\"ganesha.nfsd\"} " + std::to_string(nfs.starts) + "\n";
    return out;
}

}  // namespace rackboot::control
