#include "control/daemon.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/api_server.h"
#include "control/demo_tree.h"
#include "control/metrics.h"
#include "control/event_log.h"
#include "control/lease_store.h"
#include "dataplane/boot_trees.h"
#include "dataplane/cpu_affinity.h"
#include "dataplane/dpdk_backend.h"
#include "dataplane/socket_backend.h"
#include "proto/dhcp_leases.h"
#include "proto/tftp_options.h"

namespace rackboot::control {

namespace {

std::string ip_text(in_addr a) {
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

// Every transfer holds a socket: raise the descriptor limit as far as we are allowed.
void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void drain_records(dataplane::Backend& backend, dataplane::DhcpEngine* dhcp) {
    dataplane::TransferRecord r;
    for (std::size_t i = 0; i < backend.worker_count(); ++i) {
        while (backend.records(i).pop(r)) std::printf("%s\n", format_transfer(r).c_str());
    }
    dataplane::DhcpRecord d;
    while (dhcp != nullptr && dhcp->records().pop(d)) std::printf("%s\n", format_dhcp(d).c_str());
    std::fflush(stdout);
}

// The first IPv4 address of an interface (host order), or 0.
std::uint32_t interface_ipv4(const std::string& name) {
    ifaddrs* list = nullptr;
    if (name.empty() || getifaddrs(&list) != 0) return 0;
    std::uint32_t found = 0;
    for (ifaddrs* a = list; a != nullptr && found == 0; a = a->ifa_next) {
        if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET && name == a->ifa_name) {
            found = ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
        }
    }
    freeifaddrs(list);
    return found;
}

// The DHCP engine's settings from the flags (the lease store is wired separately).
dataplane::DhcpEngineConfig dhcp_engine_config(const DaemonConfig& cfg) {
    dataplane::DhcpEngineConfig dc;
    dc.responder.mode = cfg.dhcp_mode;
    dc.responder.pi_ouis = cfg.pi_ouis;
    dc.responder.server_ip = cfg.dhcp_server_ip;
    dc.responder.tftp_ip = cfg.tftp_server_ip;
    if (cfg.dhcp_mode != proto::DhcpMode::Server) return dc;
    // Our own address is never handed out: the one given, the DPDK port's, the one we listen on,
    // or the DHCP interface's.
    std::uint32_t own = cfg.dhcp_server_ip;
    if (own == 0 && cfg.dpdk) own = cfg.dpdk_ip;
    if (own == 0 && cfg.listen.s_addr != htonl(INADDR_ANY)) own = ntohl(cfg.listen.s_addr);
    if (own == 0) own = interface_ipv4(cfg.dhcp_interface);
    dc.leases.subnet = cfg.subnet;
    dc.leases.prefix = cfg.prefix;
    dc.leases.pool_start = cfg.pool_start;
    dc.leases.pool_end = cfg.pool_end;
    dc.leases.server_ip = own;
    dc.leases.lease_time = cfg.lease_time;
    dc.leases.mac_reservations = cfg.mac_reservations;
    dc.leases.serial_reservations = cfg.serial_reservations;
    dc.server.server_ip = cfg.dhcp_server_ip;
    dc.server.tftp_ip = cfg.tftp_server_ip;
    dc.server.router = cfg.router;
    dc.server.dns = cfg.dns;
    dc.server.pi_ouis = cfg.pi_ouis;
    return dc;
}

// --check-config, once the flags and CPUs have passed: the boot trees (opened, not served; the
// demo tree is made at start, so it is not), the DHCP pool and reservations (as the server would
// build them) and the state directory; then one line saying what would be served.
int check_only(const DaemonConfig& cfg, const std::string& root) {
    std::string error;
    if (!root.empty() && !dataplane::BootTrees::open(root, cfg.boards, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    if (cfg.dhcp_mode == proto::DhcpMode::Server && !proto::LeaseTable::create(dhcp_engine_config(cfg).leases, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    // The lease store makes its directory (one level) at start; what is there must be one.
    struct stat st {};
    if (cfg.dhcp_mode == proto::DhcpMode::Server && stat(cfg.state_dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "rackbootd: --state: '%s' is not a directory\n", cfg.state_dir.c_str());
        return 1;
    }
    const char* dhcp = cfg.dhcp_mode == proto::DhcpMode::Server ? "server"
                       : cfg.dhcp_mode == proto::DhcpMode::Proxy ? "proxy"
                                                                : "off";
    std::printf("rackbootd: configuration ok: backend=%s tftp_root=%s boards=%zu dhcp=%s%s\n",
                cfg.dpdk ? "dpdk" : "socket", root.empty() ? "(the demo tree, made at start)" : root.c_str(),
                cfg.boards.size(), dhcp,
                cfg.dpdk ? " (the EAL and the port are checked at start)" : "");
    return 0;
}

}  // namespace

int run_daemon(const DaemonConfig& cfg) {
    // A peer that goes away mid-write (a vhost-user guest, an HTTP client) is an error on that
    // write, never the end of the appliance.
    std::signal(SIGPIPE, SIG_IGN);
    std::string error;
    std::string root = cfg.tftp_root;
    bool demo = root.empty();
    if (demo && !cfg.check_only) {
        root = cfg.demo_dir.empty() ? default_demo_dir() : cfg.demo_dir;
        if (!ensure_demo_tree(root, error)) {
            std::fprintf(stderr, "rackbootd: demo tree: %s\n", error.c_str());
            return 1;
        }
    }
    for (int cpu : cfg.cpus) {
        if (!dataplane::cpu_exists(cpu)) {
            std::fprintf(stderr, "rackbootd: --cpus: CPU %d does not exist on this machine\n", cpu);
            return 2;
        }
    }
    if (!cfg.cpus.empty() && cfg.workers != 0 && cfg.workers != cfg.cpus.size()) {
        std::fprintf(stderr, "rackbootd: --cpus lists %zu CPUs but --workers is %u\n", cfg.cpus.size(), cfg.workers);
        return 2;
    }
    if (cfg.check_only) return check_only(cfg, root);
    auto trees = dataplane::BootTrees::open(root, cfg.boards, error);
    if (!trees) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    raise_fd_limit();

    dataplane::SocketBackendConfig bc;
    bc.listen_addr = cfg.listen;
    bc.port = cfg.tftp_port.value_or(geteuid() == 0 ? 69 : 6969);
    bc.workers = cfg.workers != 0        ? cfg.workers
                 : !cfg.cpus.empty() ? static_cast<std::uint32_t>(cfg.cpus.size())
                                     : static_cast<std::uint32_t>(std::max(1, dataplane::core_count() - 1));
    bc.cpus = cfg.cpus;
    bc.max_transfers = cfg.max_transfers;
    bc.cache_bytes = cfg.cache_mb << 20;
    bc.limits.max_blksize = proto::TftpLimits::blksize_for_mtu(cfg.mtu);
    bc.limits.max_windowsize = cfg.max_windowsize;
    bc.limits.default_timeout = static_cast<proto::Nanos>(cfg.timeout_ms) * proto::kMillisecond;
    bc.limits.max_backoff = static_cast<proto::Nanos>(cfg.max_backoff_ms) * proto::kMillisecond;
    bc.limits.max_retries = cfg.retries;
    bc.trees = trees.get();
    // Declared before the service and the backend that use them, so they are destroyed after.
    dataplane::LeaseJournal journal;
    std::unique_ptr<LeaseStore> lease_store;
    std::vector<proto::Lease> restored;
    std::unique_ptr<dataplane::DhcpService> dhcp;    // socket backend
    std::optional<dataplane::DhcpEngineConfig> dpdk_dhcp;  // DPDK backend: its worker 0 runs it
    dataplane::DhcpEngine* dhcp_engine = nullptr;
    if (cfg.dhcp_mode != proto::DhcpMode::Off) {
        dataplane::DhcpServiceConfig sc;
        sc.interface = cfg.dhcp_interface;
        sc.port = cfg.dhcp_port;
        sc.engine = dhcp_engine_config(cfg);
        dataplane::DhcpEngineConfig& dc = sc.engine;
        if (cfg.dhcp_mode == proto::DhcpMode::Server) {
            lease_store = LeaseStore::open(cfg.state_dir, cfg.lease_fsync, error);
            if (!lease_store) {
                std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
                return 1;
            }
            restored = lease_store->load(error);
            if (!error.empty()) {
                std::fprintf(stderr, "rackbootd: --state: reading '%s': %s\n", lease_store->path().c_str(), error.c_str());
                return 1;
            }
            dc.journal = &journal;
        }
        if (!cfg.dpdk) {
            dhcp = dataplane::DhcpService::create(sc, error);
            if (!dhcp) {
                std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
                return 1;
            }
            dhcp->restore(restored);
            bc.dhcp = dhcp.get();
            dhcp_engine = &dhcp->engine();
        } else {
            dpdk_dhcp = dc;
        }
    }
    std::unique_ptr<dataplane::Backend> backend;
    std::string where;  // for the start line
    std::string backend_text;
    std::uint16_t tftp_port = 69;
    std::string steering;
    std::vector<int> worker_cpus;
    if (cfg.dpdk) {
        dataplane::DpdkBackendConfig dc;
        dc.eal = cfg.eal;
        dc.ip = cfg.dpdk_ip;
        dc.prefix = cfg.dpdk_prefix;
        dc.gateway = cfg.dpdk_gateway;
        dc.port = cfg.dpdk_port;
        dc.workers = cfg.workers != 0 ? cfg.workers : (cfg.cpus.empty() ? 1 : static_cast<std::uint32_t>(cfg.cpus.size()));
        dc.cpus = cfg.cpus;
        dc.max_transfers = bc.max_transfers;
        dc.cache_bytes = bc.cache_bytes;
        dc.limits = bc.limits;
        dc.trees = trees.get();
        dc.dhcp = dpdk_dhcp;
        dc.dhcp_port = cfg.dhcp_port;
        auto d = dataplane::DpdkBackend::create(dc, error);
        if (!d) {
            std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
            return 1;
        }
        dhcp_engine = d->dhcp();
        if (dhcp_engine != nullptr) dhcp_engine->restore(restored);
        in_addr a{};
        a.s_addr = htonl(cfg.dpdk_ip);
        const auto& m = d->mac();
        char mac[18];
        std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        where = ip_text(a);
        backend_text = "dpdk port=" + d->port_name() + " mac=" + mac + " " + d->features();
        steering = d->steering();
        worker_cpus = d->cpus();
        backend = std::move(d);
    } else {
        auto s = dataplane::SocketBackend::create(bc, error);
        if (!s) {
            std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
            return 1;
        }
        tftp_port = s->port();
        where = ip_text(cfg.listen);
        backend_text = "socket";
        steering = s->steering() ? "client-address" : "kernel-hash";
        worker_cpus = s->cpus();
        backend = std::move(s);
    }

    std::unique_ptr<ApiServer> api;
    if (cfg.api_enabled) {
        dataplane::Backend* b = backend.get();
        api = std::make_unique<ApiServer>(cfg.api_addr, cfg.api_port, [b] {
            std::vector<const dataplane::WorkerCounters*> ws;
            for (std::size_t i = 0; i < b->worker_count(); ++i) ws.push_back(&b->counters(i));
            return render_metrics(ws);
        });
        if (!api->start(error)) {
            std::fprintf(stderr, "rackbootd: %s (use --api ADDR:PORT or --api off)\n", error.c_str());
            return 1;
        }
    }

    // Signals are taken synchronously by this (control) thread; workers never see them.
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
    if (lease_store) lease_store->start(journal);
    backend->start();

    std::string api_text = api ? ip_text(cfg.api_addr) + ":" + std::to_string(api->port()) : "off";
    std::string dhcp_text = cfg.dhcp_mode == proto::DhcpMode::Off     ? "off"
                            : cfg.dhcp_mode == proto::DhcpMode::Proxy ? "proxy"
                                                                      : "server";
    if (dhcp_engine != nullptr) {
        dhcp_text += ":" + std::to_string(cfg.dhcp_port) + (cfg.dhcp_interface.empty() ? "" : "@" + cfg.dhcp_interface);
    }
    std::string cpus;
    for (int c : worker_cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    std::printf("event=start tftp=%s:%u root=%s%s boards=%zu workers=%zu cpus=%s steering=%s max_blksize=%u "
                "max_transfers=%u api=%s dhcp=%s backend=%s\n",
                where.c_str(), tftp_port, root.c_str(), demo ? " (demo tree)" : "", trees->board_count(),
                backend->worker_count(), cpus.c_str(), steering.c_str(), bc.limits.max_blksize, bc.max_transfers,
                api_text.c_str(), dhcp_text.c_str(), backend_text.c_str());
    if (demo) {
        std::printf("Serving the demo Pi 4 boot tree. Try:\n  curl -o start4.elf tftp://%s:%u/start4.elf\n",
                    ip_text(cfg.listen).c_str(), tftp_port);
        if (api) std::printf("  curl http://%s/metrics\n", api_text.c_str());
    }
    if (lease_store) std::printf("event=leases restored=%zu store=%s\n", restored.size(), lease_store->path().c_str());
    std::fflush(stdout);

    timespec tick{0, 50'000'000};
    for (;;) {
        int sig = sigtimedwait(&stop_set, nullptr, &tick);
        drain_records(*backend, dhcp_engine);
        if (sig == SIGINT || sig == SIGTERM) break;
    }
    backend->stop();
    if (lease_store) lease_store->stop();
    drain_records(*backend, dhcp_engine);
    if (api) api->stop();
    std::printf("event=stop\n");
    return 0;
}

}  // namespace rackboot::control
