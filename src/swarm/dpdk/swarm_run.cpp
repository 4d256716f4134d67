#include "swarm/dpdk/swarm_run.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "dataplane/dpdk/port/dpdk_eal.h"
#include "swarm/dpdk/peer_port.h"
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

int run(const SwarmOptions& o, const std::vector<Requirement>& reqs, Manifest& manifest) {
    std::FILE* trace = nullptr;
    if (!o.trace_path.empty()) {
        trace = std::fopen(o.trace_path.c_str(), "w");
        if (trace == nullptr) {
            std::fprintf(stderr, "rackboot-swarm: --trace %s: cannot write\n", o.trace_path.c_str());
            return 2;
        }
    }
    std::string err;
    if (!dataplane::DpdkEal::init(o.eal, err)) {
        std::fprintf(stderr, "rackboot-swarm: --eal: %s\n", err.c_str());
        if (trace != nullptr) std::fclose(trace);
        return 1;
    }
    PeerPortSpec spec;
    spec.name = o.port;
    spec.pool_name = "swarm_pool";
    spec.pool_size = kPoolSize;
    spec.ring = kRing;
    spec.promiscuous = true;  // every Pi has its own MAC
    PeerPort peer_port;
    if (!open_peer_port(spec, peer_port, err)) {
        std::fprintf(stderr, "rackboot-swarm: %s\n", err.c_str());
        dataplane::DpdkEal::cleanup();
        if (trace != nullptr) std::fclose(trace);
        return 1;
    }
    std::uint16_t port = peer_port.id;
    rte_mempool* pool = peer_port.pool;
    SwarmEngine engine(o, manifest, trace);
    SwarmStats& stats = engine.stats();
    PortTx tx(port, pool, stats);
    bool progress = o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO) != 0);
    proto::Nanos now = now_ns();
    proto::Nanos began = now;
    engine.start(now);
    proto::Nanos next_progress = now + proto::kSecond;
    std::uint64_t last_bytes = 0, last_frames = 0;
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
        if (now >= next_progress) {
            next_progress = now + proto::kSecond;
            std::uint64_t frames = stats.frames_tx + stats.frames_rx;
            if (progress) {
                std::fprintf(stderr, "\r%s\033[K",
                             progress_line(engine, engine.elapsed_s(now),
                                           static_cast<double>(stats.file_bytes - last_bytes) / 1e6,
                                           static_cast<double>(frames - last_frames))
                                 .c_str());
            }
            last_bytes = stats.file_bytes;
            last_frames = frames;
        }
    }
    engine.stop(now);
    if (progress) std::fprintf(stderr, "\n");
    double elapsed = static_cast<double>(now - began) / 1e9;
    rte_eth_stats ps{};
    if (rte_eth_stats_get(port, &ps) == 0) stats.rx_missed = ps.imissed + ps.rx_nombuf;
    close_peer_port(peer_port);
    dataplane::DpdkEal::cleanup();
    if (trace != nullptr) std::fclose(trace);

    std::vector<RequirementResult> checked = check_requirements(reqs, run_figures(engine, elapsed));
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

}  // namespace

int run_swarm_main(const std::vector<std::string>& args) {
    SwarmOptions o;
    std::string err;
    bool help = false;
    if (!parse_swarm_options(args, o, err, help)) {
        if (help) {
            std::fputs(swarm_usage(), stdout);
            return 0;
        }
        std::fprintf(stderr, "rackboot-swarm: %s\n%s", err.c_str(), swarm_usage());
        return 2;
    }
    std::vector<Requirement> reqs;
    if (!parse_requirements(o.require, metric_names(), reqs, err)) {
        std::fprintf(stderr, "rackboot-swarm: --require %s\n", err.c_str());
        return 2;
    }
    Manifest manifest;
    for (const std::string& tree : o.trees) {
        if (!manifest.load_tree(tree, err)) {
            std::fprintf(stderr, "rackboot-swarm: %s\n", err.c_str());
            return 2;
        }
    }
    return run(o, reqs, manifest);
}

}  // namespace rackboot::swarm
