#include "rackbootd/daemon.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/api/api_server.h"
#include "control/api/rest_api.h"
#include "control/events/boot_timeline.h"
#include "control/events/event_bus.h"
#include "control/events/event_log.h"
#include "control/events/metrics.h"
#include "control/live/board_directory.h"
#include "control/live/board_learner.h"
#include "control/live/inventory_bootstrap.h"
#include "control/live/snapshot_publisher.h"
#include "control/store/inventory_store.h"
#include "control/store/lease_store.h"
#include "dataplane/boot_map.h"
#include "dataplane/cpu_affinity.h"
#include "dataplane/snapshot_cell.h"
#include "proto/dhcp_leases.h"
#include "proto/tftp_options.h"
#include "rackbootd/backend_factory.h"
#include "rackbootd/demo_tree.h"
#include "rackbootd/fd_budget.h"
#include "rackbootd/neighbour_room.h"
#include "rackbootd/preflight.h"

namespace rackboot::control {

namespace {

std::int64_t wall_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// The workers' records: a log line each, and the boards' timelines (which learn from them).
void drain_records(dataplane::Backend& backend, dataplane::DhcpEngine* dhcp, BootTimeline& timeline,
                   const BoardDirectory& directory) {
    std::int64_t now = wall_ms();
    dataplane::DhcpRecord d;
    while (dhcp != nullptr && dhcp->records().pop(d)) {
        std::string line = format_dhcp(d);
        if (d.verdict == static_cast<std::uint8_t>(proto::DhcpVerdict::identity_conflict)) {
            // Both sides of the conflict: the MAC that claimed (mac=) and what the operator configured.
            std::string macs;
            for (std::uint64_t m : d.has_serial ? directory.configured_macs(d.serial) : std::vector<std::uint64_t>{})
                macs += (macs.empty() ? "" : ",") + mac_text(mac_from_key(m));
            auto owner = directory.serial_of_mac(proto::mac_key(d.mac.data()));
            line += " board_macs=" + (macs.empty() ? std::string("none") : macs);
            if (owner && (!d.has_serial || *owner != d.serial)) line += " mac_belongs_to=" + serial_text(*owner);
            line += " from=\"" + dhcp_origin(d) + "\"";
        }
        std::printf("%s\n", line.c_str());
        timeline.on_dhcp(d, now);
    }
    dataplane::TransferRecord r;
    for (std::size_t i = 0; i < backend.worker_count(); ++i) {
        while (backend.records(i).pop(r)) {
            std::printf("%s\n", format_transfer(r).c_str());
            timeline.on_transfer(r, now);
        }
    }
    std::fflush(stdout);
}

// The first IPv4 address of an interface, or unset.
proto::Ipv4 interface_ipv4(const std::string& name) {
    ifaddrs* list = nullptr;
    if (name.empty() || getifaddrs(&list) != 0) return {};
    proto::Ipv4 found;
    for (ifaddrs* a = list; a != nullptr && found.unset(); a = a->ifa_next) {
        if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET && name == a->ifa_name) {
            found = proto::Ipv4::from_network(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
        }
    }
    freeifaddrs(list);
    return found;
}

// The DHCP engine's settings from the flags (the lease store is wired separately). The DHCP codec
// and the lease table take addresses as host-order integers (they do arithmetic over ranges).
dataplane::DhcpEngineConfig dhcp_engine_config(const DaemonConfig& cfg) {
    dataplane::DhcpEngineConfig dc;
    dc.responder.mode = cfg.dhcp_mode;
    dc.responder.pi_ouis = cfg.pi_ouis;
    dc.responder.server_ip = cfg.dhcp_server_ip.value();
    dc.responder.tftp_ip = cfg.tftp_server_ip.value();
    if (cfg.dhcp_mode != proto::DhcpMode::Server) return dc;
    // Our own address is never handed out: the one given, the DPDK port's, the one we listen on,
    // or the DHCP interface's.
    proto::Ipv4 own = cfg.dhcp_server_ip;
    if (own.unset() && cfg.dpdk) own = cfg.dpdk_ip;
    if (own.unset()) own = cfg.listen;
    if (own.unset()) own = interface_ipv4(cfg.dhcp_interface);
    dc.leases.subnet = cfg.subnet.value();
    dc.leases.prefix = cfg.prefix;
    dc.leases.pool_start = cfg.pool_start.value();
    dc.leases.pool_end = cfg.pool_end.value();
    dc.leases.server_ip = own.value();
    dc.leases.lease_time = cfg.lease_time;
    dc.leases.offer_hold = cfg.offer_hold;
    dc.leases.pi_reserve_percent = cfg.pi_reserve_percent;
    for (const auto& [mac, ip] : cfg.mac_reservations) dc.leases.mac_reservations.emplace_back(mac, ip.value());
    for (const auto& [serial, ip] : cfg.serial_reservations) {
        dc.leases.serial_reservations.emplace_back(serial, ip.value());
    }
    dc.server.server_ip = cfg.dhcp_server_ip.value();
    dc.server.tftp_ip = cfg.tftp_server_ip.value();
    dc.server.router = cfg.router.value();
    for (proto::Ipv4 d : cfg.dns) dc.server.dns.push_back(d.value());
    dc.server.pi_ouis = cfg.pi_ouis;
    return dc;
}

// Boards stored with an address these leases cannot give out (the subnet changed since, say):
// each is named once at the start (the first 16, then a count), as the API refuses new ones.
void warn_unofferable_boards(InventoryStore* store, const RestApi& rest) {
    if (store == nullptr) return;
    std::optional<std::uint32_t> after;
    std::size_t found = 0;
    for (;;) {
        std::vector<Board> page;
        if (!store->list_boards(BoardFilter{}, after, RestApi::kMaxPage, page).ok() || page.empty()) break;
        for (const Board& b : page) {
            std::string why = b.ip ? rest.never_offered(*b.ip) : std::string();
            if (why.empty()) continue;
            if (++found <= 16) {
                std::printf("event=warning what=\"board %s: %s (set its ip to one of the subnet)\"\n",
                            serial_text(b.serial).c_str(), why.c_str());
            }
        }
        after = page.back().serial;
    }
    if (found > 16) {
        std::printf("event=warning what=\"%zu boards in all have an ip that can never be offered\"\n", found);
    }
}

// Socket workers default to every core but one; a DPDK worker polls its core, so one by default.
std::uint32_t worker_count(const DaemonConfig& cfg) {
    std::uint32_t default_workers =
        cfg.dpdk ? 1u : static_cast<std::uint32_t>(std::max(1, dataplane::core_count() - 1));
    return cfg.workers != 0    ? cfg.workers
           : !cfg.cpus.empty() ? static_cast<std::uint32_t>(cfg.cpus.size())
                               : default_workers;
}

FdBudget fd_budget(const DaemonConfig& cfg) {
    FdDemand d;
    d.nofile = raise_fd_limit();
    d.workers = worker_count(cfg);
    d.socket_backend = !cfg.dpdk;
    d.max_transfers = cfg.max_transfers;
    d.api_connections = cfg.api_enabled ? ApiServer::kMaxDescriptors : 0;
    return plan_fd_budget(d);
}

// The socket backend serving a DHCP pool larger than the kernel's neighbour table: why, and the fix.
std::string neighbour_warning(const DaemonConfig& cfg) {
    if (cfg.dpdk || cfg.dhcp_mode != proto::DhcpMode::Server || cfg.pool_end.value() < cfg.pool_start.value())
        return {};
    std::uint64_t pool = std::uint64_t{cfg.pool_end.value()} - cfg.pool_start.value() + 1;
    return neighbour_room_warning(pool, kernel_neighbour_limit());
}

// --check-config, once the flags and CPUs have passed: the boot trees (opened, not served; the
// demo tree is made at start, so it is not), the DHCP pool and reservations (as the server would
// build them) and the state directory; then one line saying what would be served.
int check_only(const DaemonConfig& cfg, const std::string& root) {
    std::string error;
    if (!root.empty() && !dataplane::static_boot_map(root, cfg.boards, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    if (cfg.dhcp_mode == proto::DhcpMode::Server && !proto::LeaseTable::create(dhcp_engine_config(cfg).leases, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    // What a start would refuse before serving, in its words (preflight.h); nothing is written.
    Preflight pre;
    if (!preflight(cfg, true, pre, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    // A --max-transfers asked for and not coverable is refused; the default is "as many as fit".
    if (FdBudget budget = fd_budget(cfg); !budget.ok || (budget.lowered && cfg.max_transfers_set)) {
        std::fprintf(stderr, "rackbootd: %s\n", budget.explanation.c_str());
        return 1;
    } else if (budget.lowered) {
        std::printf("rackbootd: note: %s\n", budget.explanation.c_str());
    }
    if (std::string w = neighbour_warning(cfg); !w.empty()) std::printf("rackbootd: note: %s\n", w.c_str());
    const char* dhcp = cfg.dhcp_mode == proto::DhcpMode::Server  ? "server"
                       : cfg.dhcp_mode == proto::DhcpMode::Proxy ? "proxy"
                                                                 : "off";
    std::printf("rackbootd: configuration ok: backend=%s tftp_root=%s boards=%zu dhcp=%s%s\n",
                cfg.dpdk ? "dpdk" : "socket", root.empty() ? "(the demo tree, made at start)" : root.c_str(),
                pre.stored_boards, dhcp, cfg.dpdk ? " (the EAL and the port are checked at start)" : "");
    return 0;
}

}  // namespace

int run_daemon(const DaemonConfig& cfg) {
    // A peer that goes away mid-write (a vhost-user guest, an HTTP client) is an error on that
    // write, never the end of the appliance.
    std::signal(SIGPIPE, SIG_IGN);
    // Signals are taken synchronously by this (control) thread; blocked before any thread starts
    // (the API's, the stores', the workers'), which inherit the mask and so never take them.
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
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
    // The inventory (boards, images) lives beside the leases; the API serves it, and the boot map
    // the workers read is built from it (with the --board flags as a bootstrap). Checked as
    // --check-config checks it (preflight.h).
    Preflight pre;
    if (!preflight(cfg, false, pre, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    std::unique_ptr<InventoryStore> inventory = std::move(pre.inventory);
    auto root_dir = dataplane::DirHandle::open(root, error);
    if (!root_dir) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    BoardDirectory directory(root_dir);
    if (pre.images_root) directory.set_images_root(std::move(pre.images_root), pre.images_real);
    if (!bootstrap_directory(cfg.boards, inventory.get(), directory, error)) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    const FdBudget budget = fd_budget(cfg);
    if (!budget.ok) {
        std::fprintf(stderr, "rackbootd: %s\n", budget.explanation.c_str());
        return 1;
    }
    if (budget.lowered) {
        std::fprintf(stderr, "rackbootd: warning: %s\n", budget.explanation.c_str());
        std::printf("event=warning what=\"max_transfers lowered to %u by the descriptor limit\"\n",
                    budget.max_transfers);
    }

    if (std::string w = neighbour_warning(cfg); !w.empty()) {
        std::fprintf(stderr, "rackbootd: warning: %s\n", w.c_str());
        std::printf("event=warning what=\"the kernel's neighbour table is smaller than the DHCP pool\"\n");
    }

    dataplane::BackendCommon common;
    common.workers = worker_count(cfg);
    common.cpus = cfg.cpus;
    common.max_transfers = budget.max_transfers;
    common.cache_files = budget.cache_files;
    common.max_transfers_per_client = cfg.max_transfers_per_client;
    common.cache_bytes = cfg.cache_mb << 20;
    common.limits.max_blksize = proto::TftpLimits::blksize_for_mtu(cfg.mtu);
    common.limits.max_windowsize = cfg.max_windowsize;
    common.limits.default_timeout = static_cast<proto::Nanos>(cfg.timeout_ms) * proto::kMillisecond;
    common.limits.max_backoff = static_cast<proto::Nanos>(cfg.max_backoff_ms) * proto::kMillisecond;
    common.limits.max_retries = cfg.retries;
    common.limits.min_rto = static_cast<proto::Nanos>(cfg.min_rto_ms) * proto::kMillisecond;
    common.limits.loss_rto = static_cast<proto::Nanos>(cfg.loss_rto_ms) * proto::kMillisecond;
    common.dhcp_port = cfg.dhcp_port;
    common.admission.enabled = cfg.admission;
    common.admission.target = static_cast<proto::Nanos>(cfg.admission_target_s) * proto::kSecond;
    common.admission.file_timeout = static_cast<proto::Nanos>(cfg.file_timeout_s) * proto::kSecond;
    // Declared before the backend that uses them, so they are destroyed after.
    dataplane::PathBoard path_board(common.workers);
    common.path = &path_board;
    dataplane::LeaseJournal journal;
    std::unique_ptr<LeaseStore> lease_store;
    std::vector<proto::Lease> restored;
    if (cfg.dhcp_mode != proto::DhcpMode::Off) {
        common.dhcp = dhcp_engine_config(cfg);
        // Boots are admitted at DHCP only when the TFTP they are pointed at is ours: another
        // server's path is not what our workers measure.
        proto::Ipv4 tftp = cfg.tftp_server_ip;
        bool ours =
            tftp.unset() || tftp == cfg.listen || (cfg.dpdk && tftp == cfg.dpdk_ip) || tftp == cfg.dhcp_server_ip;
        common.dhcp->admission.enabled = cfg.admission && ours;
        common.dhcp->admission.target = common.admission.target;
        common.dhcp->path = &path_board;
        if (cfg.dhcp_mode == proto::DhcpMode::Server) {
            lease_store = LeaseStore::open(cfg.state_dir, cfg.lease_fsync, error);
            if (!lease_store) {
                std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
                return 1;
            }
            restored = lease_store->load(error);
            if (!error.empty()) {
                std::fprintf(stderr, "rackbootd: --state: reading '%s': %s\n", lease_store->path().c_str(),
                             error.c_str());
                return 1;
            }
            common.dhcp->journal = &journal;
        }
    }
    BackendOptions options;
    if (cfg.dpdk) {
        options = dataplane::DpdkOptions{cfg.eal, cfg.dpdk_port, cfg.dpdk_ip, cfg.dpdk_prefix, cfg.dpdk_gateway};
    } else {
        options = dataplane::SocketOptions{cfg.listen, cfg.tftp_port.value_or(geteuid() == 0 ? 69 : 6969),
                                           cfg.dhcp_interface};
    }
    // The boot map: built once now, then again by the publisher whenever the inventory changes.
    auto domain = make_quiescent_domain(options, common.workers);
    if (!domain) {
        std::fprintf(stderr, "rackbootd: cannot set up the boot map's reclamation\n");
        return 1;
    }
    dataplane::BootMapCell maps(std::move(domain), directory.build(1));
    common.maps = &maps;
    if (common.dhcp) common.dhcp->maps = &maps;
    SnapshotPublisher publisher(directory, maps);
    std::unique_ptr<dataplane::Backend> backend = make_backend(common, options, error);
    if (!backend) {
        std::fprintf(stderr, "rackbootd: %s\n", error.c_str());
        return 1;
    }
    dataplane::DhcpEngine* dhcp_engine = backend->dhcp();
    if (dhcp_engine != nullptr) dhcp_engine->restore(restored);
    const dataplane::BackendInfo info = backend->info();

    std::string token = std::move(pre.token);
    // What the workers' records teach: boards' timelines, MAC <-> serial, addresses, live events.
    EventBus events;
    BoardLearner learner(directory, publisher, inventory.get(), cfg.auto_discover,
                         DiscoverLimits{cfg.discover_max, cfg.discover_rate});
    BootTimeline::Hooks hooks;
    hooks.serial_of_mac = [&directory](std::uint64_t mac) { return directory.serial_of_mac(mac); };
    hooks.on_learn = [&learner](std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip, int model,
                                const std::string& from) {
        learner.learn(mac, serial, ip, model, std::time(nullptr), from);
    };
    hooks.configured_macs = [&directory](std::uint32_t serial) { return directory.configured_macs(serial); };
    hooks.is_board = [&directory](std::uint32_t serial) { return directory.has_board(serial); };
    hooks.on_boot = [&learner](std::uint32_t serial, const nlohmann::json& summary) {
        learner.boot_finished(serial, summary.dump());
    };
    BootTimeline timeline(cfg.timeline_events, &events, std::move(hooks));
    RestApi rest(inventory.get(), cfg.images_root, token);
    if (common.dhcp && cfg.dhcp_mode == proto::DhcpMode::Server) {
        rest.set_served_leases(common.dhcp->leases);
        warn_unofferable_boards(inventory.get(), rest);
    }
    LiveSources live;
    live.timeline = [&timeline](std::uint32_t serial) { return timeline.timeline(serial); };
    live.image_status = [&directory](const std::string& name) -> std::optional<nlohmann::json> {
        auto st = directory.image_status(name);
        if (!st) return std::nullopt;
        return nlohmann::json{
            {"available", st->available},
            {"reason", st->available ? nlohmann::json(nullptr) : nlohmann::json(st->reason)},
            {"resolves_to", st->available ? nlohmann::json(st->resolves_to) : nlohmann::json(nullptr)}};
    };
    if (lease_store) {
        const LeaseStore* ls = lease_store.get();
        live.leases = [ls](std::string& err) { return ls->read_durable(err); };
        live.release = [dhcp_engine](std::uint32_t ip) { return dhcp_engine->release(ip, 3000); };
    }
    dataplane::Backend* workers = backend.get();
    live.transfers = [workers](std::vector<dataplane::TransferView>& out, bool& truncated) {
        for (std::size_t i = 0; i < workers->worker_count(); ++i) {
            if (!workers->views(i).snapshot(out, truncated, 1000)) return false;
        }
        return true;
    };
    rest.set_live(std::move(live));
    rest.set_observer(&publisher);
    rest.set_generation_source([&publisher] { return publisher.generation(); });

    std::unique_ptr<ApiServer> api;
    if (cfg.api_enabled) {
        dataplane::Backend* b = backend.get();
        const dataplane::LeaseJournal* store = lease_store ? &journal : nullptr;
        api = std::make_unique<ApiServer>(
            cfg.api_addr, cfg.api_port,
            [b, store, &learner, &publisher, &timeline] {
                std::vector<const dataplane::WorkerCounters*> ws;
                for (std::size_t i = 0; i < b->worker_count(); ++i) ws.push_back(&b->counters(i));
                return render_metrics(ws) + (store != nullptr ? render_lease_store_metrics(*store) : std::string()) +
                       learner.render_metrics() +
                       "# HELP rackboot_boot_maps_published_total Boot maps built and handed to the workers.\n"
                       "# TYPE rackboot_boot_maps_published_total counter\n"
                       "rackboot_boot_maps_published_total " +
                       std::to_string(publisher.published()) +
                       "\n# HELP rackboot_timelines Boot timelines kept (boards, and the last serials no board has).\n"
                       "# TYPE rackboot_timelines gauge\nrackboot_timelines " +
                       std::to_string(timeline.kept()) +
                       "\n# HELP rackboot_timelines_forgotten_total Timelines of serials no board has, let go to bound "
                       "them.\n# TYPE rackboot_timelines_forgotten_total counter\nrackboot_timelines_forgotten_total " +
                       std::to_string(timeline.forgotten()) + "\n";
            },
            &rest);
        api->set_events(&events, cfg.api_heartbeat_s);
        if (!pre.tls_cert.empty()) api->set_tls(std::move(pre.tls_cert), std::move(pre.tls_key));
        if (!api->start(error)) {
            std::fprintf(stderr, "rackbootd: %s (use --api ADDR:PORT or --api off)\n", error.c_str());
            return 1;
        }
    }

    if (lease_store) lease_store->start(journal);
    backend->start();
    publisher.start();

    std::string api_text = api ? cfg.api_addr.to_string() + ":" + std::to_string(api->port()) : "off";
    std::string dhcp_text = cfg.dhcp_mode == proto::DhcpMode::Off     ? "off"
                            : cfg.dhcp_mode == proto::DhcpMode::Proxy ? "proxy"
                                                                      : "server";
    if (dhcp_engine != nullptr) {
        dhcp_text += ":" + std::to_string(cfg.dhcp_port) + (cfg.dhcp_interface.empty() ? "" : "@" + cfg.dhcp_interface);
    }
    std::string cpus;
    for (int c : info.cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    std::printf(
        "event=start tftp=%s:%u root=%s%s boards=%zu workers=%zu cpus=%s steering=%s max_blksize=%u "
        "max_transfers=%u api=%s dhcp=%s backend=%s\n",
        info.address.c_str(), info.tftp_port, root.c_str(), demo ? " (demo tree)" : "", directory.board_count(),
        backend->worker_count(), cpus.c_str(), info.steering.c_str(), common.limits.max_blksize, common.max_transfers,
        api_text.c_str(), dhcp_text.c_str(), info.description.c_str());
    if (demo) {
        std::printf("Serving the demo Pi 4 boot tree. Try:\n  curl -o start4.elf tftp://%s:%u/start4.elf\n",
                    cfg.listen.to_string().c_str(), info.tftp_port);
        if (api) std::printf("  curl http://%s/metrics\n", api_text.c_str());
    }
    if (lease_store) std::printf("event=leases restored=%zu store=%s\n", restored.size(), lease_store->path().c_str());
    rest.set_ready(ServiceInfo{RACKBOOT_VERSION, info.description, backend->worker_count(),
                               info.address + ":" + std::to_string(info.tftp_port), api_text, dhcp_text,
                               static_cast<std::int64_t>(std::time(nullptr)), 0});
    std::fflush(stdout);

    timespec tick{0, 50'000'000};
    std::int64_t last_tick = wall_ms();
    constexpr unsigned kImageRecheckS = 5;
    unsigned ticks = 0;
    for (;;) {
        int sig = sigtimedwait(&stop_set, nullptr, &tick);
        drain_records(*backend, dhcp_engine, timeline, directory);
        if (std::int64_t now = wall_ms(); now - last_tick >= 1000) {
            timeline.tick(now);
            last_tick = now;
            // Images are opened again every few seconds: one swapped for a symlink, moved or
            // removed since becomes unavailable rather than served from wherever it went.
            if (++ticks % kImageRecheckS == 0) {
                std::vector<std::string> warnings;
                if (directory.recheck_images(warnings)) publisher.notify();
                for (const std::string& w : warnings) std::printf("event=warning what=\"%s\"\n", w.c_str());
            }
        }
        if (sig == SIGINT || sig == SIGTERM) break;
    }
    if (api) api->stop();  // no change arrives while the workers stop
    publisher.stop();
    backend->stop();
    if (lease_store) lease_store->stop();
    drain_records(*backend, dhcp_engine, timeline, directory);
    std::printf("event=stop\n");
    return 0;
}

}  // namespace rackboot::control
