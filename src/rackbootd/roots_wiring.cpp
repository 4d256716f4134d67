#include "rackbootd/roots_wiring.h"

#include <cstdio>

#include "control/metrics/families.h"

namespace rackboot::control {

namespace {

// A roots server's options (NbdServer's and NfsServer's have the same fields): its files in
// roots/SUBDIR, every address unless one was given, and no program when a unit runs it.
template <class Options>
Options server_options(const std::string& dir, proto::Ipv4 listen, std::uint16_t port, const std::string& program) {
    Options o;
    o.dir = dir;
    o.listen = listen.value() != 0 ? listen.to_string() : "0.0.0.0";
    o.port = port;
    o.program = program == "unit" ? std::string() : program;
    return o;
}

// Why roots of `kind` cannot be served here: no server to start for them.
proto::Result<> ready(const DaemonConfig& cfg, RootKind kind) {
    const std::string& program = kind == RootKind::nfs ? cfg.nfs_server : cfg.nbd_server;
    if (kind == RootKind::nfs && program == "kernel") {
        if (program_exists("exportfs")) return {};
        return proto::failure(
            "NFS roots on the kernel's nfsd need exportfs: it is not installed (apt-get install nfs-kernel-server)");
    }
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
      nbd_(server_options<NbdServer::Options>(roots_.dir() + "/.nbd", cfg.nbd_listen, cfg.nbd_port, cfg.nbd_server)),
      nfs_(server_options<NfsServer::Options>(roots_.dir() + "/.nfs", cfg.nfs_listen, cfg.nfs_port, cfg.nfs_server)) {
    if (cfg.nfs_server == "kernel") kernel_nfs_.emplace(KernelNfs::Options{cfg.nfs_exports});
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
    std::uint64_t reexports = kernel_nfs_ ? kernel_nfs_->status().reexports : 0;
    proto::Result<> nbd_ok = nbd_.apply(nbd);
    proto::Result<> nfs_ok = kernel_nfs_ ? kernel_nfs_->apply(std::move(nfs)) : nfs_.apply(std::move(nfs));
    if (nbd_.status().starts != nbd_starts) {
        std::printf("event=nbd_server pid=%d addresses=%zu config=%s\n", nbd_.status().pid, nbd_.status().addresses,
                    nbd_.config_path().c_str());
    }
    if (nfs_.status().starts != nfs_starts) {
        std::printf("event=nfs_server pid=%d exports=%zu config=%s\n", nfs_.status().pid, nfs_.status().exports,
                    nfs_.config_path().c_str());
    }
    if (kernel_nfs_ && kernel_nfs_->status().reexports != reexports) {
        std::printf("event=nfs_exports exports=%zu file=%s\n", kernel_nfs_->status().exports,
                    kernel_nfs_->exports_path().c_str());
    }
    warn_once(nbd_ok, "nbd-server", last_nbd_error_);
    warn_once(nfs_ok, kernel_nfs_ ? "exportfs" : "ganesha.nfsd", last_nfs_error_);
}

std::string RootsWiring::render_metrics() {
    std::lock_guard lock(mutex_);
    NbdServer::Status nbd = nbd_.status();
    NfsServer::Status nfs = nfs_.status();
    std::string out = metric_header("rackboot_roots");
    out += "rackboot_roots{kind=\"nbd\"} " + std::to_string(nbd_roots_) + "\n";
    out += "rackboot_roots{kind=\"nfs\"} " + std::to_string(nfs_roots_) + "\n";
    out += metric_header("rackboot_root_server_up");
    out += std::string("rackboot_root_server_up{server=\"nbd-server\"} ") + (nbd.pid != 0 ? "1" : "0") + "\n";
    if (kernel_nfs_) {
        out += std::string("rackboot_root_server_up{server=\"nfsd\"} ") + (kernel_nfs_->status().up ? "1" : "0") + "\n";
    } else {
        out += std::string("rackboot_root_server_up{server=\"ganesha.nfsd\"} ") + (nfs.pid != 0 ? "1" : "0") + "\n";
    }
    out += metric_header("rackboot_root_server_starts_total");
    out += "rackboot_root_server_starts_total{server=\"nbd-server\"} " + std::to_string(nbd.starts) + "\n";
    if (!kernel_nfs_) {
        out += "rackboot_root_server_starts_total{server=\"ganesha.nfsd\"} " + std::to_string(nfs.starts) + "\n";
    }
    return out;
}

}  // namespace rackboot::control
