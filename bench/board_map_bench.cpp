// The live boot map at scale (issue 10): building a map of N boards and its memory per board;
// how long one board change takes to be published (visible to every worker) and until every
// worker has moved past the old map (since issue 20 an edit of the map before it: the shards the
// change touches are built again, the rest shared), with reader threads standing in for workers; and importing
// N boards through the API (nobodd INI -> one SQLite transaction -> one published map), against
// creating boards one POST at a time in the same run (the baseline). And reading a --config file
// of N boards: linear in N (each entry applied in place), the 1000-board file the baseline.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "control/api/rest_api.h"
#include "control/live/board_directory.h"
#include "control/live/snapshot_publisher.h"
#include "control/store/inventory_store.h"
#include "rackbootd/config.h"

namespace {

using namespace rackboot;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Scratch {
    fs::path dir;
    Scratch() {
        char tmpl[] = "/tmp/rb-mapbench.XXXXXX";
        dir = mkdtemp(tmpl);
        for (int i = 0; i < 4; ++i) {
            fs::create_directories(dir / "images" / ("img" + std::to_string(i)));
            std::ofstream(dir / "images" / ("img" + std::to_string(i)) / "start4.elf") << i;
        }
    }
    ~Scratch() { fs::remove_all(dir); }
};

control::Board board(std::uint32_t i, int images) {
    control::Board b;
    b.serial = proto::Serial(0x10000000 + i);
    b.image = "img" + std::to_string(i % static_cast<std::uint32_t>(images));
    b.macs.push_back({0xdc, 0xa6, 0x32, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                      static_cast<std::uint8_t>(i)});
    if (i % 2 == 0) b.ip = proto::Ipv4(0x0a000000 + i);
    return b;
}

std::unique_ptr<control::BoardDirectory> directory(const Scratch& s, std::uint32_t n) {
    auto root = *dataplane::TreeHandle::open(s.dir.string());  // the bench's own scratch directory
    auto d = std::make_unique<control::BoardDirectory>(root);
    d->set_images_root(root, std::filesystem::canonical(s.dir).string());
    for (int i = 0; i < 4; ++i) {
        std::string warning;
        d->put_image(
            control::Image{"img" + std::to_string(i), control::ImageKind::dir,
                           (std::filesystem::canonical(s.dir) / "images" / ("img" + std::to_string(i))).string(), 1},
            warning);
    }
    for (std::uint32_t i = 0; i < n; ++i) d->put_board(board(i, 4));
    return d;
}

void BM_BuildMap(benchmark::State& state) {
    Scratch s;
    auto n = static_cast<std::uint32_t>(state.range(0));
    auto d = directory(s, n);
    std::uint64_t gen = 1;
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto m = d->build(++gen);
        bytes = m->memory_bytes();
        benchmark::DoNotOptimize(m.get());
    }
    state.counters["boards"] = n;
    state.counters["map_bytes_per_board"] = static_cast<double>(bytes) / n;
}
// Two seconds each at least: one build of a million boards is mostly its first touch of memory.
BENCHMARK(BM_BuildMap)->Arg(1000)->Arg(100000)->Arg(1000000)->MinTime(2)->Unit(benchmark::kMillisecond);

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// One board moved to another image per iteration; `readers` threads read the map as workers do
// (every 20 us, the DPDK worker's idle back-off order) and report quiescent states.
void BM_PublishLatency(benchmark::State& state) {
    Scratch s;
    auto n = static_cast<std::uint32_t>(state.range(0));
    auto readers = static_cast<unsigned>(state.range(1));
    auto d = directory(s, n);
    dataplane::BootMapCell cell(std::make_unique<dataplane::EpochDomain>(readers), d->build(1));
    control::SnapshotPublisher pub(*d, cell);
    pub.start();
    std::atomic<bool> stop{false};
    std::vector<std::atomic<std::uint64_t>> seen(readers);
    std::vector<std::thread> threads;
    for (unsigned r = 0; r < readers; ++r) {
        threads.emplace_back([&, r] {
            while (!stop.load(std::memory_order_relaxed)) {
                cell.quiescent(r);
                seen[r].store(cell.current()->generation(), std::memory_order_release);
                std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
        });
    }
    std::vector<double> visible_ms;
    std::vector<double> all_moved_ms;
    std::uint32_t k = 0;
    for (auto _ : state) {
        std::uint64_t before = cell.generation();
        control::Board b = board(k % n, 4);
        b.image = "img" + std::to_string((k++ % 3) + 1);
        auto t0 = Clock::now();
        pub.board_changed(b);  // returns once published: the API's path
        auto t1 = Clock::now();
        std::uint64_t target = cell.generation();
        for (;;) {
            bool all = target > before;
            for (unsigned r = 0; r < readers; ++r) all = all && seen[r].load(std::memory_order_acquire) >= target;
            if (all) break;
        }
        auto t2 = Clock::now();
        visible_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        all_moved_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
        state.SetIterationTime(std::chrono::duration<double>(t2 - t0).count());
    }
    stop = true;
    for (auto& t : threads) t.join();
    pub.stop();
    state.counters["boards"] = n;
    state.counters["published_p50_ms"] = percentile(visible_ms, 0.5);
    state.counters["published_p99_ms"] = percentile(visible_ms, 0.99);
    state.counters["all_workers_p50_ms"] = percentile(all_moved_ms, 0.5);
    state.counters["all_workers_p99_ms"] = percentile(all_moved_ms, 0.99);
}
BENCHMARK(BM_PublishLatency)
    ->Args({1000, 2})
    ->Args({100000, 2})
    ->Args({1000000, 2})
    ->UseManualTime()
    ->Iterations(200)
    ->Unit(benchmark::kMillisecond);

struct ApiFixture {
    Scratch s;
    std::unique_ptr<control::InventoryStore> store;
    std::unique_ptr<control::BoardDirectory> dir;
    std::unique_ptr<dataplane::BootMapCell> cell;
    std::unique_ptr<control::SnapshotPublisher> pub;
    std::unique_ptr<control::RestApi> api;
    ApiFixture() {
        store = std::move(control::open_sqlite_inventory((s.dir / "inventory.sqlite").string()).value());
        dir = directory(s, 0);
        cell = std::make_unique<dataplane::BootMapCell>(std::make_unique<dataplane::EpochDomain>(1), dir->build(1));
        pub = std::make_unique<control::SnapshotPublisher>(*dir, *cell);
        pub->start();
        api = std::make_unique<control::RestApi>(store.get(), (s.dir / "images").string(), "t");
        api->set_observer(pub.get());
        api->set_audit_sink([](const std::string&) {});
        for (int i = 0; i < 4; ++i) {
            control::Image img{"img" + std::to_string(i), control::ImageKind::dir,
                               (s.dir / "images" / ("img" + std::to_string(i))).string(), 0};
            (void)store->create_image(img);
        }
    }
    ~ApiFixture() { pub->stop(); }
    control::HttpResponse call(const std::string& method, const std::string& path, std::string body,
                               const std::string& type) {
        control::HttpRequest r{
            method, path, {}, {{"authorization", "Bearer t"}, {"content-type", type}}, std::move(body)};
        return api->handle(r);
    }
};

void BM_ImportBoards(benchmark::State& state) {
    auto n = static_cast<std::uint32_t>(state.range(0));
    std::string ini;
    for (std::uint32_t i = 0; i < n; ++i) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "[board:%08x]\nip = 10.%u.%u.%u\n\n", 0x10000000 + i, (i >> 16) & 0xff,
                      (i >> 8) & 0xff, i & 0xff);
        ini += buf;
    }
    for (auto _ : state) {
        state.PauseTiming();
        auto f = std::make_unique<ApiFixture>();
        state.ResumeTiming();
        control::HttpResponse r = f->call("POST", "/api/v1/boards:import", ini, "text/plain");
        if (r.status != 200) state.SkipWithError(r.body.c_str());
        state.PauseTiming();
        f.reset();
        state.ResumeTiming();
    }
    state.counters["boards"] = n;
    state.counters["boards_per_s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ImportBoards)->Arg(1000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

// The baseline: the same boards created one POST at a time (each its own durable transaction
// and published map).
void BM_CreateBoardsOneByOne(benchmark::State& state) {
    auto n = static_cast<std::uint32_t>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        auto f = std::make_unique<ApiFixture>();
        state.ResumeTiming();
        for (std::uint32_t i = 0; i < n; ++i) {
            char body[96];
            std::snprintf(body, sizeof body, "{\"serial\":\"%08x\",\"ip\":\"10.%u.%u.%u\"}", 0x10000000 + i,
                          (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
            if (f->call("POST", "/api/v1/boards", body, "application/json").status != 201) {
                state.SkipWithError("create refused");
                break;
            }
        }
        state.PauseTiming();
        f.reset();
        state.ResumeTiming();
    }
    state.counters["boards"] = n;
    state.counters["boards_per_s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CreateBoardsOneByOne)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);

// A TOML file of N `board` entries through parse_daemon_args, as rackbootd --config reads it.
// Copying the configuration per entry made this quadratic (2.7 s at 8,000 boards); compare the
// per-board time at 8000 with that at 1000.
void BM_ConfigFileBoards(benchmark::State& state) {
    auto n = static_cast<std::uint32_t>(state.range(0));
    Scratch s;
    std::string path = (s.dir / "rackboot.toml").string();
    {
        std::ofstream toml(path);
        toml << "tftp-root = \"" << s.dir.string() << "\"\nboard = [\n";
        for (std::uint32_t i = 0; i < n; ++i) {
            char line[64];
            std::snprintf(line, sizeof line, "  \"%08x=/srv/boards/%u\",\n", 0x10000000 + i, i);
            toml << line;
        }
        toml << "]\n";
    }
    const char* argv[] = {"rackbootd", "--config", path.c_str()};
    for (auto _ : state) {
        proto::Result<control::DaemonConfig> cfg = control::parse_daemon_args(3, argv);
        if (!cfg || cfg->boards.size() != n) {
            state.SkipWithError(
                ("the file was refused: " + (cfg ? std::string("boards lost") : cfg.error().reason)).c_str());
            break;
        }
        benchmark::DoNotOptimize(cfg);
    }
    state.counters["boards"] = n;
    state.counters["boards_per_s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ConfigFileBoards)->Arg(1000)->Arg(8000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
