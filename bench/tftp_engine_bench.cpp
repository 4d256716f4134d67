// Cost of one ACK -> DATA step as the dataplane runs it: parse the client's ACK, advance the
// transfer engine, build the DATA header(s). Reports ns per packet and heap allocations per
// packet (the dataplane's rule: zero).
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

#include <benchmark/benchmark.h>

#include "proto/tftp_codec.h"
#include "proto/tftp_transfer.h"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}

void* operator new(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

using namespace rackboot::proto;

void ack_to_data(benchmark::State& state) {
    const auto window = static_cast<std::uint16_t>(state.range(0));
    TftpOptionList opts;
    opts.items[opts.count++] = {"blksize", "1468"};
    std::array<char, 8> wbuf{};
    std::snprintf(wbuf.data(), wbuf.size(), "%u", window);
    opts.items[opts.count++] = {"windowsize", std::string_view(wbuf.data())};
    TftpLimits limits;
    TftpNegotiated neg;
    if (!negotiate_tftp_options(opts, TftpMode::Octet, 0, limits, neg).ok) state.SkipWithError("negotiation");
    const std::uint64_t size = 1ull << 40;  // never finishes: block numbers wrap many times
    set_tftp_file_size(neg, size);
    TftpTransfer t;
    Nanos now = 0;
    t.start(neg, size, limits, now);
    TftpAction a = t.on_ack(0, now);
    std::array<std::uint8_t, 4> ack{};
    std::array<std::uint8_t, 4> hdr{};
    std::uint64_t packets = 0;
    std::uint64_t allocs_before = g_allocs.load();
    for (auto _ : state) {
        // The client ACKs the last block of the window just sent.
        std::uint64_t last = a.first_block + a.count - 1;
        std::size_t n = build_tftp_ack(ack, static_cast<std::uint16_t>(last));
        TftpPacket pkt;
        if (parse_tftp(ConstBytes(ack.data(), n), pkt) != TftpParseError::none) state.SkipWithError("parse");
        now += 1000;
        a = t.on_ack(pkt.block, now);
        for (std::uint32_t i = 0; i < a.count; ++i) {
            benchmark::DoNotOptimize(build_tftp_data_header(hdr, static_cast<std::uint16_t>(a.first_block + i)));
            benchmark::DoNotOptimize(t.block_offset(a.first_block + i));
        }
        packets += 1 + a.count;  // one ACK in, `count` DATA out
    }
    std::uint64_t allocs = g_allocs.load() - allocs_before;
    state.counters["ns_per_packet"] =
        benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["allocs_per_packet"] = static_cast<double>(allocs) / static_cast<double>(packets ? packets : 1);
    state.SetItemsProcessed(static_cast<std::int64_t>(packets));
}
BENCHMARK(ack_to_data)->Arg(1)->Arg(16)->Arg(64);

void parse_rrq(benchmark::State& state) {
    static const char raw[] =
        "\x00\x01"
        "1a2b3c4d/start4.elf\x00octet\x00tsize\x00"
        "0\x00"
        "blksize\x00"
        "1024";
    ConstBytes wire(reinterpret_cast<const std::uint8_t*>(raw), sizeof raw);
    std::uint64_t allocs_before = g_allocs.load();
    TftpLimits limits;
    for (auto _ : state) {
        TftpPacket pkt;
        benchmark::DoNotOptimize(parse_tftp(wire, pkt));
        TftpNegotiated n;
        benchmark::DoNotOptimize(negotiate_tftp_options(pkt.options, pkt.mode, 0, limits, n));
    }
    state.counters["allocs_per_packet"] =
        static_cast<double>(g_allocs.load() - allocs_before) / static_cast<double>(state.iterations());
}
BENCHMARK(parse_rrq);

}  // namespace

BENCHMARK_MAIN();
