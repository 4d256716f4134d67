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

}  // namespace

RootsWiring::RootsWiring(const DaemonConfig& cfg, std::string roots_real, InventoryWrites& writes,
                         BoardDirectory& directory)
    : directory_(directory),
      roots_(
          writes, std::move(roots_real),
          [&directory](const std::string& image) { return directory.open_image_file(image); }, [this] { sync(); }),
      nbd_(nbd_options(cfg, roots_.dir())) {
}

proto::Result<> RootsWiring::start() {
    if (auto ok = roots_.open(); !ok) return ok;
    sync();
    return {};
}

void RootsWiring::wire(LiveSources& live) {
    live.make_root = [this](proto::Serial serial, std::uint64_t size, Board& out, const Actor& who) {
        return roots_.create(serial, RootRequest{size}, out, who);
    };
    live.remove_root = [this](proto::Serial serial, BoardRoot& out, const Actor& who) {
        return roots_.remove(serial, out, who);
    };
}

void RootsWiring::sync() {
    std::vector<NbdExport> exports;
    for (NbdRootExport& r : directory_.root_exports()) {
        exports.push_back(NbdExport{r.serial.to_string(), std::move(r.disk), std::move(r.addresses)});
    }
    std::lock_guard lock(mutex_);
    std::uint64_t starts = nbd_.status().starts;
    proto::Result<> ok = nbd_.apply(exports);
    if (nbd_.status().starts != starts) {
        std::printf("event=nbd_server pid=%d addresses=%zu config=%s\n", nbd_.status().pid, nbd_.status().addresses,
                    nbd_.config_path().c_str());
    }
    std::string error = ok ? std::string() : ok.error().reason;
    if (error != last_error_ && !error.empty()) std::printf("event=warning what=\"nbd-server: %s\"\n", error.c_str());
    last_error_ = error;
}

}  // namespace rackboot::control
