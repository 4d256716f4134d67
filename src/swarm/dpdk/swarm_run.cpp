#include "swarm/dpdk/swarm_run.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string_view>
#include <vector>

#include "dataplane/dpdk/port/dpdk_eal.h"
#include "swarm/dpdk/peer_port.h"
#include "swarm/inventory.h"
#include "swarm/report.h"
#include "swarm/swarm_engine.h"

namespace rackboot::swarm {

namespace {

constexpr std::uint16_t kBurst = 64;
constexpr std::uint16_t kRing = 4096;
constexpr unsigned kPoolSize = 32767;
constexpr unsigned kIdleBeforeNap = 512;  // empty polls in a row before the loop naps 20 µs

proto::Nanos now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<proto::Nanos>(ts.tv_sec) * proto::kSecond + ts.tv_nsec;
}

// Frames out through the port: copied into pool mbufs, sent in bursts.
class PortTx final : public FrameTx {
public:
    PortTx(std::uint16_t port, rte_mempool* pool, SwarmStats& stats) : port_(port), pool_(pool), stats_(stats) {}

    void send(proto::ConstBytes frame) override {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        char* p = m == nullptr ? nullptr : rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
        if (p == nullptr) {
            if (m != nullptr) rte_pktmbuf_free(m);
            ++stats_.frames_tx_dropped;
            return;
        }
        std::memcpy(p, frame.data(), frame.size());
        burst_[count_++] = m;
        if (count_ == kBurst) flush();
    }

    void flush() {
        stats_.frames_tx_dropped += send_burst(port_, burst_, count_, 1000);
        count_ = 0;
    }

private:
    std::uint16_t port_;
    rte_mempool* pool_;
    SwarmStats& stats_;
    rte_mbuf* burst_[kBurst] = {};
    std::uint16_t count_ = 0;
};

// The progress line, once a second, to stderr.
class Progress {
public:
    explicit Progress(bool on, proto::Nanos now) : on_(on), next_(now + proto::kSecond) {}

    void tick(const SwarmEngine& engine, proto::Nanos now) {
        if (now < next_) return;
        next_ = now + proto::kSecond;
        const SwarmStats& stats = engine.stats();
        std::uint64_t frames = stats.frames_tx + stats.frames_rx;
        if (on_) {
            std::fprintf(
                stderr, "\r%s\033[K",
                progress_line(engine, engine.elapsed_s(now), static_cast<double>(stats.file_bytes - last_bytes_) / 1e6,
                              static_cast<double>(frames - last_frames_))
                    .c_str());
        }
        last_bytes_ = stats.file_bytes;
        last_frames_ = frames;
    }
    void end() const {
        if (on_) std::fprintf(stderr, "\n");
    }

private:
    bool on_;
    proto::Nanos next_;
    std::uint64_t last_bytes_ = 0, last_frames_ = 0;
};

// The fleet against the port until the engine is finished: frames in to the engine, what it sends
// out in bursts; the loop naps when nothing arrives. Returns when it stopped.
proto::Nanos drive(SwarmEngine& engine, std::uint16_t port, PortTx& tx, Progress& progress, proto::Nanos now) {
    SwarmStats& stats = engine.stats();
    unsigned empty_run = 0;
    rte_mbuf* rx[kBurst];
    while (!engine.finished(now)) {
        std::uint16_t n = rte_eth_rx_burst(port, 0, rx, kBurst);
        ++stats.polls;
        now = now_ns();
        if (n == 0) {
            ++stats.idle_polls;
            ++empty_run;
        } else {
            empty_run = 0;
        }
        for (std::uint16_t i = 0; i < n; ++i) {
            if (rx[i]->nb_segs == 1) {
                engine.on_frame(proto::ConstBytes(rte_pktmbuf_mtod(rx[i], const std::uint8_t*), rx[i]->data_len), now,
                                tx);
            } else {
                ++stats.frames_ignored;
            }
            rte_pktmbuf_free(rx[i]);
        }
        engine.poll(now, tx);
        tx.flush();
        if (empty_run > kIdleBeforeNap) {
            timespec nap{0, 20'000};
            nanosleep(&nap, nullptr);  // leave the core to the server under test when nothing is due
        }
        progress.tick(engine, now);
    }
    return now;
}

// The summary, the JSON report and the requirements' verdict as the exit code.
int finish(const SwarmOptions& o, const std::vector<Requirement>& reqs, const SwarmEngine& engine, double elapsed) {
    std::vector<RequirementResult> checked = check_requirements(reqs, run_figures(engine, elapsed));
    if (o.from_inventory()) std::fputs(board_report(engine).c_str(), stdout);
    std::fputs(run_summary(engine, elapsed, checked).c_str(), stdout);
    std::fflush(stdout);
    if (!o.json_path.empty()) {
        std::ofstream out(o.json_path);
        out << run_report(o, engine, elapsed, checked).dump(2) << "\n";
        if (!out) {
            std::fprintf(stderr, "rackboot-swarm: --json %s: cannot write\n", o.json_path.c_str());
            return 1;
        }
    }
    for (const RequirementResult& r : checked) {
        if (!r.ok) return 99;
    }
    return 0;
}

int run(const SwarmOptions& o, const std::vector<Requirement>& reqs, Manifest& manifest) {
    std::FILE* trace = nullptr;
    if (!o.trace_path.empty()) {
        trace = std::fopen(o.trace_path.c_str(), "w");
        if (trace == nullptr) {
            std::fprintf(stderr, "rackboot-swarm: --trace %s: cannot write\n", o.trace_path.c_str());
            return 2;
        }
    }
    if (proto::Result<> eal = dataplane::DpdkEal::init(o.eal); !eal) {
        std::fprintf(stderr, "rackboot-swarm: %s\n", eal.error().reason.c_str());
        if (trace != nullptr) std::fclose(trace);
        return 1;
    }
    PeerPortSpec spec;
    spec.name = o.port;
    spec.pool_name = "swarm_pool";
    spec.pool_size = kPoolSize;
    spec.ring = kRing;
    spec.promiscuous = true;  // every Pi has its own MAC
    proto::Result<PeerPort> opened = open_peer_port(spec);
    if (!opened) {
        std::fprintf(stderr, "rackboot-swarm: %s\n", opened.error().reason.c_str());
        dataplane::DpdkEal::cleanup();
        if (trace != nullptr) std::fclose(trace);
        return 1;
    }
    const PeerPort peer_port = *opened;
    SwarmEngine engine(o, manifest, trace);
    PortTx tx(peer_port.id, peer_port.pool, engine.stats());
    proto::Nanos began = now_ns();
    engine.start(began);
    Progress progress(o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO) != 0), began);
    proto::Nanos now = drive(engine, peer_port.id, tx, progress, began);
    engine.stop(now);
    progress.end();
    rte_eth_stats ps{};
    if (rte_eth_stats_get(peer_port.id, &ps) == 0) engine.stats().rx_missed = ps.imissed + ps.rx_nombuf;
    close_peer_port(peer_port);
    dataplane::DpdkEal::cleanup();
    if (trace != nullptr) std::fclose(trace);
    return finish(o, reqs, engine, static_cast<double>(now - began) / 1e9);
}

}  // namespace

int run_swarm_main(const std::vector<std::string>& args) {
    std::vector<std::string_view> words(args.begin(), args.end());
    proto::Result<SwarmOptions> parsed = parse_swarm_options(words);
    if (!parsed) {
        std::fprintf(stderr, "rackboot-swarm: %s\n%s", parsed.error().reason.c_str(), swarm_usage().c_str());
        return parsed.error().exit_code;
    }
    if (parsed->help) {
        std::fputs(swarm_usage().c_str(), stdout);
        return 0;
    }
    if (parsed->version) {
        std::puts("rackboot-swarm " RACKBOOT_VERSION);
        return 0;
    }
    SwarmOptions& o = *parsed;
    if (o.from_inventory()) {
        proto::Result<std::vector<std::string>> notes = load_inventory(o);
        if (!notes) {
            std::fprintf(stderr, "rackboot-swarm: %s\n", notes.error().reason.c_str());
            return notes.error().exit_code;
        }
        for (const std::string& n : *notes) std::fprintf(stderr, "rackboot-swarm: note: %s\n", n.c_str());
    }
    if (o.list_fleet) {
        std::fputs(fleet_listing(o).c_str(), stdout);
        return 0;
    }
    proto::Result<std::vector<Requirement>> reqs = parse_requirements(o.require, metric_names());
    if (!reqs) {
        std::fprintf(stderr, "rackboot-swarm: --require %s\n", reqs.error().reason.c_str());
        return 2;
    }
    Manifest manifest;
    for (const std::string& tree : o.trees) {
        if (proto::Result<> loaded = manifest.load_tree(tree); !loaded) {
            std::fprintf(stderr, "rackboot-swarm: %s\n", loaded.error().reason.c_str());
            return 2;
        }
    }
    return run(o, *reqs, manifest);
}

}  // namespace rackboot::swarm
