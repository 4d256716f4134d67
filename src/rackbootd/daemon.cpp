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
#include "control/events/event_fanout.h"
#include "control/events/event_log.h"
#include "control/events/metrics.h"
#include "control/live/board_directory.h"
#include "control/live/board_learner.h"
#include "control/live/inventory_bootstrap.h"
#include "control/live/snapshot_publisher.h"
#include "control/metrics/families.h"
#include "control/metrics/process_metrics.h"
#include "control/store/event_ids.h"
#include "control/store/inventory_store.h"
#include "control/store/lease_store.h"
#include "dataplane/boot_map.h"
#include "dataplane/cpu_affinity.h"
#include "dataplane/snapshot_cell.h"
#include "proto/dhcp_leases.h"
#include "proto/result.h"
#include "proto/tftp_options.h"
#include "rackbootd/backend_factory.h"
#include "rackbootd/demo_tree.h"
#include "rackbootd/fd_budget.h"
#include "rackbootd/neighbour_room.h"
#include "rackbootd/preflight.h"
#include "rackbootd/roots_wiring.h"

namespace rackboot::control {

namespace {

std::int64_t wall_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
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
    proto::Ipv4 own = cfg.dhcp_server_ip;
    if (own.unset() && cfg.dpdk()) own = cfg.dpdk_ip;
    if (own.unset()) own = cfg.listen;
    if (own.unset()) own = interface_ipv4(cfg.dhcp_interface);
    dc.leases.subnet = cfg.subnet;
    dc.leases.prefix = cfg.prefix;
    dc.leases.pool_start = cfg.pool_start;
    dc.leases.pool_end = cfg.pool_end;
    dc.leases.server_ip = own;
    dc.leases.lease_time = cfg.lease_time;
    dc.leases.offer_hold = cfg.offer_hold;
    dc.leases.pi_reserve_percent = cfg.pi_reserve_percent;
    dc.leases.mac_reservations = cfg.mac_reservations;
    dc.leases.serial_reservations = cfg.serial_reservations;
    dc.server.server_ip = cfg.dhcp_server_ip;
    dc.server.tftp_ip = cfg.tftp_server_ip;
    dc.server.router = cfg.router;
    dc.server.dns = cfg.dns;
    dc.server.pi_ouis = cfg.pi_ouis;
    return dc;
}

// Boards stored with an address these leases cannot give out (the subnet changed since, say):
// each is named once at the start (the first 16, then a count), as the API refuses new ones.
void warn_unofferable_boards(InventoryStore* store, const RestApi& rest) {
    if (store == nullptr) return;
    std::optional<proto::Serial> after;
    std::size_t found = 0;
    for (;;) {
        std::vector<Board> page;
        if (!store->list_boards(BoardFilter{}, after, RestApi::kMaxPage, page).ok() || page.empty()) break;
        for (const Board& b : page) {
            std::string why = b.ip ? rest.never_offered(*b.ip) : std::string();
            if (why.empty()) continue;
            if (++found <= 16) {
                std::printf("event=warning what=\"board %s: %s (set its ip to one of the subnet)\"\n",
                            b.serial.to_string().c_str(), why.c_str());
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
        cfg.dpdk() ? 1u : static_cast<std::uint32_t>(std::max(1, dataplane::core_count() - 1));
    return cfg.workers != 0    ? cfg.workers
           : !cfg.cpus.empty() ? static_cast<std::uint32_t>(cfg.cpus.size())
                               : default_workers;
}

FdBudget fd_budget(const DaemonConfig& cfg) {
    FdDemand d;
    d.nofile = raise_fd_limit();
    d.workers = worker_count(cfg);
    d.socket_backend = !cfg.dpdk();
    d.max_transfers = cfg.max_transfers;
    d.api_connections = cfg.api_enabled ? ApiServer::kMaxDescriptors : 0;
    return plan_fd_budget(d);
}

// The socket backend serving a DHCP pool larger than the kernel's neighbour table: why, and the fix.
std::string neighbour_warning(const DaemonConfig& cfg) {
    if (cfg.dpdk() || cfg.dhcp_mode != proto::DhcpMode::Server || cfg.pool_end.value() < cfg.pool_start.value())
        return {};
    std::uint64_t pool = std::uint64_t{cfg.pool_end.value()} - cfg.pool_start.value() + 1;
    return neighbour_room_warning(pool, kernel_neighbour_limit());
}

// --check-config, once the flags and CPUs have passed: the boot trees (opened, not served; the
// demo tree is made at start, so it is not), the DHCP pool and reservations (as the server would
// build them) and the state directory; then one line saying what would be served.
int check_only(const DaemonConfig& cfg, const std::string& root) {
    if (!root.empty()) {
        if (auto map = dataplane::static_boot_map(root, cfg.boards); !map) {
            std::fprintf(stderr, "rackbootd: %s\n", map.error().reason.c_str());
            return 1;
        }
    }
    if (cfg.dhcp_mode == proto::DhcpMode::Server) {
        if (auto table = proto::LeaseTable::create(dhcp_engine_config(cfg).leases); !table) {
            std::fprintf(stderr, "rackbootd: %s\n", table.error().reason.c_str());
            return 1;
        }
    }
    // What a start would refuse before serving, in its words (preflight.h); nothing is written.
    proto::Result<Preflight> checked = preflight(cfg, true);
    if (!checked) {
        std::fprintf(stderr, "rackbootd: %s\n", checked.error().reason.c_str());
        return 1;
    }
    const Preflight& pre = *checked;
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
    std::printf("rackbootd: configuration ok: backend=%s tftp_root=%s boards=%zu dhcp=%s%s\n", to_string(cfg.backend),
                root.empty() ? "(the demo tree, made at start)" : root.c_str(), pre.stored_boards, dhcp,
                cfg.dpdk() ? " (the EAL and the port are checked at start)" : "");
    return 0;
}

}  // namespace

namespace {

using proto::failure;
using proto::Result;

// rackbootd from start to stop, as named steps (each sets up one thing, or says why it cannot).
// Members are declared in the order they are made, so they are destroyed in reverse: the API
// before the rooms it calls, the backend before the boot maps and the path board it reads.
class Daemon {
public:
    explicit Daemon(const DaemonConfig& cfg) : cfg_(cfg) {}
    [[nodiscard]] int run();

private:
    [[nodiscard]] Result<> prepare_tree();
    [[nodiscard]] Result<> check_cpus() const;
    [[nodiscard]] Result<> open_inventory();
    [[nodiscard]] Result<> plan_workers();
    [[nodiscard]] Result<> open_leases();
    [[nodiscard]] Result<> open_event_ids();
    [[nodiscard]] Result<> start_dataplane();
    void wire_events();
    void drain_events();
    [[nodiscard]] Result<> open_roots();
    void wire_api_sources();
    [[nodiscard]] Result<> open_api();
    void start();
    void announce() const;
    void serve();
    void stop();
    [[nodiscard]] std::string render_metrics_text() const;

    const DaemonConfig& cfg_;
    sigset_t stop_set_{};
    std::string root_;
    bool demo_ = false;
    Preflight pre_;
    std::unique_ptr<InventoryStore> inventory_;
    std::unique_ptr<InventoryWrites> writes_;  // the one write path over inventory_ (null without one)
    std::unique_ptr<BoardDirectory> directory_;
    FdBudget budget_;
    dataplane::BackendCommon common_;
    std::unique_ptr<dataplane::PathBoard> path_board_;
    dataplane::LeaseJournal journal_;
    std::unique_ptr<LeaseStore> lease_store_;
    std::optional<EventIdStore> event_ids_;  // --state: the stream's ids, growing across restarts
    std::vector<proto::Lease> restored_;
    BackendOptions options_;
    std::unique_ptr<dataplane::BootMapCell> maps_;
    std::unique_ptr<SnapshotPublisher> publisher_;
    std::unique_ptr<dataplane::Backend> backend_;
    dataplane::DhcpEngine* dhcp_engine_ = nullptr;
    dataplane::BackendInfo info_;
    EventBus events_{cfg_.event_history};
    std::unique_ptr<BoardLearner> learner_;
    std::unique_ptr<BootTimeline> timeline_;
    std::unique_ptr<EventFanout> fanout_;
    std::unique_ptr<RootsWiring> roots_;  // --roots: boards' own disks and nbd-server
    std::unique_ptr<RestApi> rest_;
    std::unique_ptr<ApiServer> api_;
    std::string api_text_ = "off";
    std::string dhcp_text_;
};

// The boot tree: the one given, else the demo tree (made now; --check-config only names it).
Result<> Daemon::prepare_tree() {
    root_ = cfg_.tftp_root;
    demo_ = root_.empty();
    if (!demo_ || cfg_.check_only) return {};
    root_ = cfg_.demo_dir.empty() ? default_demo_dir() : cfg_.demo_dir;
    if (Result<> made = ensure_demo_tree(root_); !made) return failure("demo tree: " + made.error().reason);
    return {};
}

Result<> Daemon::check_cpus() const {
    for (int cpu : cfg_.cpus) {
        if (!dataplane::cpu_exists(cpu)) {
            return failure("--cpus: CPU " + std::to_string(cpu) + " does not exist on this machine", 2);
        }
    }
    if (!cfg_.cpus.empty() && cfg_.workers != 0 && cfg_.workers != cfg_.cpus.size()) {
        return failure("--cpus lists " + std::to_string(cfg_.cpus.size()) + " CPUs but --workers is " +
                           std::to_string(cfg_.workers),
                       2);
    }
    return {};
}

// The inventory (boards, images) lives beside the leases; the API serves it, and the boot map the
// workers read is built from it (with the --board flags as a bootstrap). Checked as
// --check-config checks it (preflight.h).
Result<> Daemon::open_inventory() {
    Result<Preflight> checked = preflight(cfg_, false);
    if (!checked) return tl::unexpected(checked.error());
    pre_ = std::move(*checked);
    inventory_ = std::move(pre_.inventory);
    if (inventory_) writes_ = std::make_unique<InventoryWrites>(*inventory_);
    auto root_dir = dataplane::TreeHandle::open(root_);
    if (!root_dir) return tl::unexpected(root_dir.error());
    directory_ = std::make_unique<BoardDirectory>(*root_dir);
    if (pre_.images_root) directory_->set_images_root(std::move(pre_.images_root), pre_.images_real);
    if (Result<> ok = bootstrap_directory(cfg_.boards, writes_.get(), *directory_); !ok) return ok;
    return {};
}

// How many workers, transfers and cached files the descriptor limit covers, and the settings
// every worker shares.
Result<> Daemon::plan_workers() {
    budget_ = fd_budget(cfg_);
    if (!budget_.ok) return failure(budget_.explanation);
    // The default cap is "as many as fit": fitting it to the limit is a note, not a warning
    // (a plain start, make run's, shows no warning). A cap asked for and lowered is a warning.
    if (budget_.lowered && !cfg_.max_transfers_set) {
        std::fprintf(stderr, "rackbootd: note: %s\n", budget_.explanation.c_str());
        std::printf("event=note what=\"max_transfers %u: as many as the descriptor limit covers\"\n",
                    budget_.max_transfers);
    } else if (budget_.lowered) {
        std::fprintf(stderr, "rackbootd: warning: %s\n", budget_.explanation.c_str());
        std::printf("event=warning what=\"max_transfers lowered to %u by the descriptor limit\"\n",
                    budget_.max_transfers);
    }
    if (std::string w = neighbour_warning(cfg_); !w.empty()) {
        std::fprintf(stderr, "rackbootd: warning: %s\n", w.c_str());
        std::printf("event=warning what=\"the kernel's neighbour table is smaller than the DHCP pool\"\n");
    }
    dataplane::BackendCommon& c = common_;
    c.workers = worker_count(cfg_);
    c.cpus = cfg_.cpus;
    c.max_transfers = budget_.max_transfers;
    c.cache_files = budget_.cache_files;
    c.max_transfers_per_client = cfg_.max_transfers_per_client;
    c.cache_bytes = cfg_.cache_mb << 20;
    c.limits.max_blksize = proto::TftpLimits::blksize_for_mtu(cfg_.mtu);
    c.limits.max_windowsize = cfg_.max_windowsize;
    c.limits.default_timeout = static_cast<proto::Nanos>(cfg_.timeout_ms) * proto::kMillisecond;
    c.limits.max_backoff = static_cast<proto::Nanos>(cfg_.max_backoff_ms) * proto::kMillisecond;
    c.limits.max_retries = cfg_.retries;
    c.limits.min_rto = static_cast<proto::Nanos>(cfg_.min_rto_ms) * proto::kMillisecond;
    c.limits.loss_rto = static_cast<proto::Nanos>(cfg_.loss_rto_ms) * proto::kMillisecond;
    c.dhcp_port = cfg_.dhcp_port;
    c.admission.enabled = cfg_.admission;
    c.admission.target = static_cast<proto::Nanos>(cfg_.admission_target_s) * proto::kSecond;
    c.admission.file_timeout = static_cast<proto::Nanos>(cfg_.file_timeout_s) * proto::kSecond;
    path_board_ = std::make_unique<dataplane::PathBoard>(c.workers);
    c.path = path_board_.get();
    return {};
}

// The DHCP engine's settings, and in server mode the lease store and the leases it restores.
// The event stream's ids go on from the last run's (Last-Event-ID across a restart). Without
// --state they start at 1 each run, and a client's older id reads as unknown.
Result<> Daemon::open_event_ids() {
    if (cfg_.state_dir.empty()) return {};
    Result<EventIdStore> ids = EventIdStore::open(cfg_.state_dir);
    if (!ids) return failure("--state: " + ids.error().reason);
    if (Result<> ok = ids->record(ids->first_id() - 1); !ok) return failure("--state: " + ok.error().reason);
    event_ids_ = std::move(*ids);
    const EventIdStore& store = *event_ids_;
    events_.start_ids(store.first_id(), EventIdStore::kBlock, [&store](std::uint64_t last) {
        // Not written: after a crash, ids of this block could be handed out again.
        if (Result<> ok = store.record(last); !ok) {
            std::printf("event=warning what=\"event ids: %s\"\n", ok.error().reason.c_str());
        }
    });
    return {};
}

Result<> Daemon::open_leases() {
    if (cfg_.dhcp_mode == proto::DhcpMode::Off) return {};
    common_.dhcp = dhcp_engine_config(cfg_);
    // Boots are admitted at DHCP only when the TFTP they are pointed at is ours: another server's
    // path is not what our workers measure.
    proto::Ipv4 tftp = cfg_.tftp_server_ip;
    bool ours =
        tftp.unset() || tftp == cfg_.listen || (cfg_.dpdk() && tftp == cfg_.dpdk_ip) || tftp == cfg_.dhcp_server_ip;
    common_.dhcp->admission.enabled = cfg_.admission && ours;
    common_.dhcp->admission.target = common_.admission.target;
    common_.dhcp->path = path_board_.get();
    if (cfg_.dhcp_mode != proto::DhcpMode::Server) return {};
    Result<std::unique_ptr<LeaseStore>> opened = LeaseStore::open(cfg_.state_dir, cfg_.lease_fsync);
    if (!opened) return tl::unexpected(opened.error());
    lease_store_ = std::move(*opened);
    Result<std::vector<proto::Lease>> restored = lease_store_->load();
    if (!restored) return failure("--state: reading '" + lease_store_->path() + "': " + restored.error().reason);
    restored_ = std::move(*restored);
    common_.dhcp->journal = &journal_;
    return {};
}

// The boot map (built once now, then by the publisher whenever the inventory changes) and the
// backend that serves from it.
Result<> Daemon::start_dataplane() {
    if (cfg_.dpdk()) {
        options_ = dataplane::DpdkOptions{cfg_.eal, cfg_.dpdk_port, cfg_.dpdk_ip, cfg_.dpdk_prefix, cfg_.dpdk_gateway};
    } else {
        options_ = dataplane::SocketOptions{cfg_.listen, cfg_.tftp_port.value_or(geteuid() == 0 ? 69 : 6969),
                                            cfg_.dhcp_interface};
    }
    auto domain = make_quiescent_domain(options_, common_.workers);
    if (!domain) return failure("cannot set up the boot map's reclamation");
    maps_ = std::make_unique<dataplane::BootMapCell>(std::move(domain), directory_->build(1));
    common_.maps = maps_.get();
    if (common_.dhcp) common_.dhcp->maps = maps_.get();
    publisher_ = std::make_unique<SnapshotPublisher>(*directory_, *maps_);
    if (writes_) writes_->set_live(publisher_.get());  // from now on every write is published
    Result<std::unique_ptr<dataplane::Backend>> made = make_backend(common_, options_);
    if (!made) return tl::unexpected(made.error());
    backend_ = std::move(*made);
    dhcp_engine_ = backend_->dhcp();
    if (dhcp_engine_ != nullptr) dhcp_engine_->restore(restored_);
    info_ = backend_->info();
    return {};
}

// What the workers' records teach: boards' timelines, MAC <-> serial, addresses, live events.
void Daemon::wire_events() {
    learner_ = std::make_unique<BoardLearner>(*directory_, *publisher_, writes_.get(), cfg_.auto_discover,
                                              DiscoverLimits{cfg_.discover_max, cfg_.discover_rate});
    BoardDirectory& directory = *directory_;
    BoardLearner& learner = *learner_;
    auto serial_of_mac = [&directory](proto::Mac mac) { return directory.serial_of_mac(mac); };
    auto configured_macs = [&directory](proto::Serial serial) { return directory.configured_macs(serial); };
    BootTimeline::Hooks hooks;
    hooks.serial_of_mac = serial_of_mac;
    hooks.configured_macs = configured_macs;
    hooks.is_board = [&directory](proto::Serial serial) { return directory.has_board(serial); };
    hooks.on_boot = [&learner](proto::Serial serial, const nlohmann::json& summary) {
        learner.boot_finished(serial, summary.dump());
    };
    // The stream's history is kept only where the API serves it.
    timeline_ =
        std::make_unique<BootTimeline>(cfg_.timeline_events, cfg_.api_enabled ? &events_ : nullptr, std::move(hooks));
    EventFanout::Sinks sinks;
    sinks.learn = [&learner](const DhcpLesson& l) {
        learner.learn(l.mac, l.serial, l.ip, l.model, std::time(nullptr), l.from);
    };
    sinks.serial_of_mac = serial_of_mac;
    sinks.configured_macs = configured_macs;
    fanout_ = std::make_unique<EventFanout>(*timeline_, std::move(sinks));
}

// Every worker's events, to the log, the learner and the timelines.
void Daemon::drain_events() {
    std::int64_t now = wall_ms();
    for (std::size_t i = 0; i < backend_->worker_count(); ++i) fanout_->drain(backend_->channel(i).events, now);
}

// Boards' own roots (--roots): the API's service, and nbd-server exporting what the store holds.
Result<> Daemon::open_roots() {
    if (pre_.roots_real.empty() || !writes_) return {};
    roots_ = std::make_unique<RootsWiring>(cfg_, pre_.roots_real, *writes_, *directory_);
    return roots_->start();
}

// What the REST API reads live: timelines, images' status, leases, transfers in flight.
void Daemon::wire_api_sources() {
    rest_ = std::make_unique<RestApi>(inventory_.get(), cfg_.images_root, pre_.token);
    if (common_.dhcp && cfg_.dhcp_mode == proto::DhcpMode::Server) {
        rest_->set_served_leases(common_.dhcp->leases);
        warn_unofferable_boards(inventory_.get(), *rest_);
    }
    LiveSources live;
    if (roots_) roots_->wire(live);
    BootTimeline& timeline = *timeline_;
    BoardDirectory& directory = *directory_;
    live.timeline = [&timeline](proto::Serial serial) { return timeline.timeline(serial); };
    live.image_status = [&directory](const std::string& name) -> std::optional<nlohmann::json> {
        auto st = directory.image_status(name);
        if (!st) return std::nullopt;
        nlohmann::json j{{"available", st->available},
                         {"reason", st->available ? nlohmann::json(nullptr) : nlohmann::json(st->reason)},
                         {"resolves_to", st->available ? nlohmann::json(st->resolves_to) : nlohmann::json(nullptr)},
                         {"content", {{"generation", st->content_generation}, {"changed_at_ms", st->changed_ms}}}};
        if (st->indexed) {
            const auto& in = *st->indexed;
            j["content"]["size"] = in.size;
            j["content"]["mtime_ns"] = in.mtime_ns;
            j["index"] = {{"partition", in.partition},
                          {"table", in.table},
                          {"fat", in.fat},
                          {"files", in.files},
                          {"unreadable_names", in.unreadable_names}};
        }
        return j;
    };
    live.prepare_image = [&directory](const Image& image) -> std::optional<std::string> {
        auto ok = directory.prepare_image(image);
        if (ok) return std::nullopt;
        return ok.error().reason;
    };
    dataplane::Backend* workers = backend_.get();
    if (lease_store_) {
        const LeaseStore* ls = lease_store_.get();
        const dataplane::LeaseJournal* journal = &journal_;
        live.leases = [ls] { return ls->read_durable(); };
        live.release = [workers, journal](proto::Ipv4 ip) {
            return release_durably(workers->channel(dataplane::Backend::kDhcpWorker).mailbox, *journal, ip, 3000);
        };
    }
    live.transfers = [workers]() -> std::optional<dataplane::TransferList> {
        dataplane::TransferList all;
        for (std::size_t i = 0; i < workers->worker_count(); ++i) {
            std::optional<dataplane::TransferList> one = workers->channel(i).mailbox.list_transfers(1000);
            if (!one) return std::nullopt;
            all.views.insert(all.views.end(), one->views.begin(), one->views.end());
            all.truncated = all.truncated || one->truncated;
        }
        return all;
    };
    rest_->set_live(std::move(live));
    if (writes_) rest_->set_writes(writes_.get());
    SnapshotPublisher& publisher = *publisher_;
    rest_->set_generation_source([&publisher] { return publisher.generation(); });
}

std::string Daemon::render_metrics_text() const {
    std::vector<const dataplane::WorkerCounters*> ws;
    for (std::size_t i = 0; i < backend_->worker_count(); ++i) ws.push_back(&backend_->counters(i));
    std::optional<dataplane::PortStats> port = backend_->port_stats();
    return render_metrics(ws) + (lease_store_ ? render_lease_store_metrics(journal_) : std::string()) +
           (port ? render_port_metrics(*port) : std::string()) + learner_->render_metrics() +
           (roots_ ? roots_->render_metrics() : std::string()) + render_process_metrics() +
           render_build_info(RACKBOOT_VERSION, to_string(cfg_.backend)) +
           metric_header("rackboot_boot_maps_published_total") + "rackboot_boot_maps_published_total " +
           std::to_string(publisher_->published()) + "\n" + timeline_->render_metrics();
}

Result<> Daemon::open_api() {
    if (!cfg_.api_enabled) return {};
    api_ = std::make_unique<ApiServer>(
        cfg_.api_addr, cfg_.api_port, [this] { return render_metrics_text(); }, rest_.get());
    api_->set_events(&events_, cfg_.api_heartbeat_s);
    if (!pre_.tls_cert.empty()) api_->set_tls(std::move(pre_.tls_cert), std::move(pre_.tls_key));
    if (Result<> up = api_->start(); !up) return failure(up.error().reason + " (use --api ADDR:PORT or --api off)");
    api_text_ = cfg_.api_addr.to_string() + ":" + std::to_string(api_->port());
    return {};
}

void Daemon::start() {
    if (lease_store_) lease_store_->start(journal_);
    backend_->start();
    publisher_->start();
}

// The start line (what tests and operators read), the demo's hint, and the API's ready state.
void Daemon::announce() const {
    std::string cpus;
    for (int c : info_.cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    std::printf(
        "event=start tftp=%s:%u root=%s%s boards=%zu workers=%zu cpus=%s steering=%s max_blksize=%u "
        "max_transfers=%u api=%s dhcp=%s backend=%s\n",
        info_.address.c_str(), info_.tftp_port, root_.c_str(), demo_ ? " (demo tree)" : "", directory_->board_count(),
        backend_->worker_count(), cpus.c_str(), info_.steering.c_str(), common_.limits.max_blksize,
        common_.max_transfers, api_text_.c_str(), dhcp_text_.c_str(), info_.description.c_str());
    if (demo_) {
        std::printf("Serving the demo Pi 4 boot tree. Try:\n  curl -o start4.elf tftp://%s:%u/start4.elf\n",
                    cfg_.listen.to_string().c_str(), info_.tftp_port);
        if (api_) std::printf("  curl http://%s/metrics\n", api_text_.c_str());
    }
    if (lease_store_) {
        std::printf("event=leases restored=%zu store=%s\n", restored_.size(), lease_store_->path().c_str());
    }
    rest_->set_ready(ServiceInfo{RACKBOOT_VERSION, info_.description, backend_->worker_count(),
                                 info_.address + ":" + std::to_string(info_.tftp_port), api_text_, dhcp_text_,
                                 static_cast<std::int64_t>(std::time(nullptr)), 0});
    std::fflush(stdout);
}

// Until SIGINT or SIGTERM: the workers' records every 50 ms, timelines every second, and images
// opened again every second (one swapped for a symlink, moved or removed since becomes
// unavailable rather than served from wherever it went; a disk image renamed over or rewritten is
// indexed again, and later requests get the new content).
void Daemon::serve() {
    timespec tick{0, 50'000'000};
    std::int64_t last_tick = wall_ms();
    constexpr unsigned kImageRecheckS = 1;
    unsigned ticks = 0;
    for (;;) {
        int sig = sigtimedwait(&stop_set_, nullptr, &tick);
        drain_events();
        if (std::int64_t now = wall_ms(); now - last_tick >= 1000) {
            timeline_->tick(now);
            last_tick = now;
            if (++ticks % kImageRecheckS == 0) {
                std::vector<std::string> warnings;
                if (directory_->recheck_images(warnings)) publisher_->notify();
                if (roots_) roots_->sync();
                for (const std::string& w : warnings) std::printf("event=warning what=\"%s\"\n", w.c_str());
            }
        }
        std::fflush(stdout);  // every line of this tick (the learner's, the rechecks') out within 50 ms
        if (sig == SIGINT || sig == SIGTERM) return;
    }
}

void Daemon::stop() {
    if (api_) api_->stop();  // no change arrives while the workers stop
    publisher_->stop();
    backend_->stop();
    if (lease_store_) lease_store_->stop();
    drain_events();
    if (event_ids_) {
        if (Result<> ok = event_ids_->record(events_.last_id()); !ok) {
            std::printf("event=warning what=\"event ids: %s\"\n", ok.error().reason.c_str());
        }
    }
    std::printf("event=stop\n");
}

int Daemon::run() {
    // A peer that goes away mid-write (a vhost-user guest, an HTTP client) is an error on that
    // write, never the end of the appliance.
    std::signal(SIGPIPE, SIG_IGN);
    // Signals are taken synchronously by this (control) thread; blocked before any thread starts
    // (the API's, the stores', the workers'), which inherit the mask and so never take them.
    sigemptyset(&stop_set_);
    sigaddset(&stop_set_, SIGINT);
    sigaddset(&stop_set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set_, nullptr);
    if (Result<> r = prepare_tree().and_then([this] { return check_cpus(); }); !r) {
        std::fprintf(stderr, "rackbootd: %s\n", r.error().reason.c_str());
        return r.error().exit_code;
    }
    if (cfg_.check_only) return check_only(cfg_, root_);
    Result<> up = open_inventory()
                      .and_then([this] { return open_event_ids(); })
                      .and_then([this] { return plan_workers(); })
                      .and_then([this] { return open_leases(); })
                      .and_then([this] { return start_dataplane(); })
                      .and_then([this] { return open_roots(); });
    if (up) {
        wire_events();
        wire_api_sources();
        up = open_api();
    }
    if (!up) {
        std::fprintf(stderr, "rackbootd: %s\n", up.error().reason.c_str());
        return up.error().exit_code;
    }
    dhcp_text_ = cfg_.dhcp_mode == proto::DhcpMode::Off     ? "off"
                 : cfg_.dhcp_mode == proto::DhcpMode::Proxy ? "proxy"
                                                            : "server";
    if (dhcp_engine_ != nullptr) {
        dhcp_text_ +=
            ":" + std::to_string(cfg_.dhcp_port) + (cfg_.dhcp_interface.empty() ? "" : "@" + cfg_.dhcp_interface);
    }
    start();
    announce();
    serve();
    stop();
    return 0;
}

}  // namespace

int run_daemon(const DaemonConfig& cfg) {
    Daemon daemon(cfg);
    return daemon.run();
}

}  // namespace rackboot::control
