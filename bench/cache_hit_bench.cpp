// The shared block cache's cost per block (issue 21), at 1 and 4 workers (threads, each its own
// view of one arena, as the dataplane's workers are):
//  - warm: the block's chunk is resident; a send's ensure + map + settle (the hold taken and let
//    go). Baseline in the same run: copying the block's 1,468 bytes, what a socket send does
//    with it anyway.
//  - cold: the chunk is not resident (a file eight times the arena, walked so every chunk
//    misses); ensure starts the read on the worker's ring, the read lands, ensure holds it.
//    Per chunk of 64 KiB. Baseline: pread of the same 64 KiB from the page cache.
// Each worker walks its own chunks (no two read the same one), so cold figures are the read
// path's and the arena lock's, not waiting on another's read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "dataplane/block_cache.h"
#include "dataplane/chunk_arena.h"

namespace {

using namespace rackboot::dataplane;
namespace fs = std::filesystem;

constexpr std::uint32_t kChunk = 64u << 10;
constexpr std::uint32_t kBlock = 1468;
constexpr std::size_t kArenaChunks = 256;              // 16 MiB
constexpr std::size_t kFileChunks = 8 * kArenaChunks;  // 128 MiB: walked, it always misses
constexpr std::size_t kWarmChunks = 64;                // 4 MiB: fits with room to spare

const fs::path& file_path() {
    static fs::path p = [] {
        fs::path path = fs::temp_directory_path() / ("rb-cache-bench-" + std::to_string(getpid()) + ".bin");
        std::vector<char> chunk(kChunk);
        std::ofstream out(path, std::ios::binary);
        for (std::size_t c = 0; c < kFileChunks; ++c) {
            for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>((c * 131 + i * 7) >> 3);
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        }
        return path;
    }();
    return p;
}

// One arena per thread count, made by whichever thread comes first.
std::shared_ptr<ChunkArena> arena_for(int threads) {
    static std::mutex m;
    static std::map<int, std::shared_ptr<ChunkArena>> arenas;
    std::lock_guard<std::mutex> lock(m);
    auto& a = arenas[threads];
    if (a == nullptr) {
        a = *ChunkArena::create(
            ChunkArenaConfig{kArenaChunks * kChunk, kChunk, static_cast<std::uint32_t>(threads), false});
    }
    return a;
}

struct View {
    std::unique_ptr<BlockCache> cache;
    std::int32_t file = BlockCache::kNoFile;
};

View open_view(const benchmark::State& state) {
    BlockCacheConfig cfg;
    cfg.arena = arena_for(state.threads());
    cfg.worker = static_cast<std::uint32_t>(state.thread_index());
    View v;
    v.cache = std::move(*BlockCache::create(cfg));
    int fd = open(file_path().c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    fstat(fd, &st);
    v.file = v.cache->adopt(fd, st);
    return v;
}

// Until the range is held (reads started, landed, reaped); false if it never is.
bool hold(BlockCache& c, std::int32_t f, std::uint64_t off, std::uint64_t len) {
    for (int i = 0; i < 1'000'000; ++i) {
        BlockCache::Avail a = c.ensure(f, off, len);
        if (a == BlockCache::Avail::Ready) return true;
        if (a != BlockCache::Avail::Pending) return false;
        c.flush();
        (void)c.poll([](std::uint64_t, int) {});
    }
    return false;
}

void BM_WarmHit(benchmark::State& state) {
    View v = open_view(state);
    BlockCache& c = *v.cache;
    for (std::size_t k = 0; k < kWarmChunks; ++k) {
        if (!hold(c, v.file, k * kChunk, 1)) state.SkipWithError("the warm chunks never landed");
        c.settle();
    }
    std::uint64_t off = static_cast<std::uint64_t>(state.thread_index()) * 7 * kBlock;
    const std::uint64_t span = kWarmChunks * kChunk - kBlock;
    iovec iov[2];
    for (auto _ : state) {
        if (c.ensure(v.file, off, kBlock) != BlockCache::Avail::Ready) state.SkipWithError("a warm block missed");
        benchmark::DoNotOptimize(c.map(v.file, off, kBlock, iov));
        c.settle();
        off += kBlock;
        if (off >= span) off -= span;
    }
    state.SetItemsProcessed(state.iterations());
    c.release(v.file);
}
BENCHMARK(BM_WarmHit)->Threads(1)->Threads(4)->UseRealTime();

void BM_WarmBaselineCopy(benchmark::State& state) {
    std::vector<char> src(kWarmChunks * kChunk, 1);
    std::vector<char> dst(kBlock);
    std::uint64_t off = 0;
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data() + off, kBlock);
        benchmark::DoNotOptimize(dst.data());
        off += kBlock;
        if (off >= src.size() - kBlock) off = 0;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WarmBaselineCopy)->Threads(1)->Threads(4)->UseRealTime();

void BM_ColdChunk(benchmark::State& state) {
    View v = open_view(state);
    BlockCache& c = *v.cache;
    const auto threads = static_cast<std::uint64_t>(state.threads());
    std::uint64_t chunk = static_cast<std::uint64_t>(state.thread_index());
    for (auto _ : state) {
        if (!hold(c, v.file, chunk * kChunk, 1)) state.SkipWithError("a chunk never landed");
        c.settle();
        chunk += threads;
        if (chunk >= kFileChunks) chunk = static_cast<std::uint64_t>(state.thread_index());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * kChunk);
    c.release(v.file);
}
BENCHMARK(BM_ColdChunk)->Threads(1)->Threads(4)->UseRealTime();

void BM_ColdBaselinePread(benchmark::State& state) {
    int fd = open(file_path().c_str(), O_RDONLY | O_CLOEXEC);
    std::vector<char> buf(kChunk);
    const auto threads = static_cast<std::uint64_t>(state.threads());
    std::uint64_t chunk = static_cast<std::uint64_t>(state.thread_index());
    for (auto _ : state) {
        if (pread(fd, buf.data(), kChunk, static_cast<off_t>(chunk * kChunk)) != kChunk) {
            state.SkipWithError("short pread");
        }
        chunk += threads;
        if (chunk >= kFileChunks) chunk = static_cast<std::uint64_t>(state.thread_index());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * kChunk);
    close(fd);
}
BENCHMARK(BM_ColdBaselinePread)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    (void)file_path();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::error_code ec;
    fs::remove(file_path(), ec);
    return 0;
}
