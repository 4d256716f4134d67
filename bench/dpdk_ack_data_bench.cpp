// ACK -> DATA packets per second through one DPDK worker over net_ring, 1468-byte blocks: the
// worker's whole path (RX burst, frame classification and UDP checksum of the ACK, the transfer
// engine, a zero-copy DATA mbuf chain with its software checksum, TX burst). The clients that
// answer each DATA with an ACK run in the same thread, so the figure is a lower bound for the
// worker alone. Prints one key=value line.
//
//   dpdk_ack_data_bench [SECONDS] [CLIENTS]
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/dpdk/port/dpdk_eal.h"
#include "dataplane/monotonic_clock.h"
#include "dataplane/snapshot_cell.h"
#include "proto/net_frames.h"
#include "proto/tftp_codec.h"

using namespace rackboot;
using dataplane::DpdkWorker;

namespace {

const proto::LocalAddress kServer{{0x02, 0, 0, 0, 0, 0x01}, proto::Ipv4(0x0a000001)};
const proto::LocalAddress kClient{{0x02, 0, 0, 0, 0, 0x02}, proto::Ipv4(0x0a000002)};
rte_mempool* g_pool = nullptr;
rte_ring* g_rx = nullptr;

void inject(std::uint16_t sport, std::uint16_t dport, const std::uint8_t* payload, std::size_t len) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) return;
    auto* p = reinterpret_cast<std::uint8_t*>(
        rte_pktmbuf_append(m, static_cast<std::uint16_t>(proto::kUdpFrameOverhead + len)));
    proto::ConstBytes piece(payload, len);
    std::uint16_t sum = proto::udp_checksum(kClient.ip, kServer.ip, sport, dport, &piece, 1);
    (void)proto::build_udp_headers(proto::MutableBytes(p, proto::kUdpFrameOverhead), kClient.mac, kServer.mac,
                                   kClient.ip, kServer.ip, sport, dport, len, 0, sum);
    std::memcpy(p + proto::kUdpFrameOverhead, payload, len);
    if (rte_ring_enqueue(g_rx, m) != 0) rte_pktmbuf_free(m);
}

void send_rrq(std::uint16_t sport) {
    proto::TftpOptionList o;
    o.items[o.count++] = {"blksize", "1468"};
    std::uint8_t b[128];
    std::size_t n = proto::build_tftp_request(b, proto::TftpOpcode::Rrq, "big.bin", "octet", o);
    inject(sport, 69, b, n);
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    int clients = argc > 2 ? std::atoi(argv[2]) : 32;
    std::string eal =
        "--no-huge -m 1024 --no-pci --no-shconf --no-telemetry --log-level=error -l 0 --file-prefix rbbench" +
        std::to_string(getpid());
    if (auto ok = dataplane::DpdkEal::init(eal); !ok) {
        std::fprintf(stderr, "%s\n", ok.error().reason.c_str());
        return 1;
    }
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("rb-ackdata-" + std::to_string(getpid()));
    fs::create_directories(dir);
    {
        std::FILE* f = std::fopen((dir / "big.bin").c_str(), "wb");
        std::vector<char> block(1 << 20, 'x');
        for (int i = 0; i < 16; ++i) std::fwrite(block.data(), 1, block.size(), f);  // 16 MiB
        std::fclose(f);
    }
    auto trees = dataplane::static_boot_map_cell(dir.string(), {}, 64);
    g_pool = rte_pktmbuf_pool_create("bench_pool", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    g_rx = rte_ring_create("bench_rx", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* tx = rte_ring_create("bench_tx", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    int port = rte_eth_from_rings("bench", &g_rx, 1, &tx, 1, SOCKET_ID_ANY);
    rte_eth_conf conf{};
    if (!trees || g_pool == nullptr || port < 0 ||
        rte_eth_dev_configure(static_cast<std::uint16_t>(port), 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(static_cast<std::uint16_t>(port), 0, 2048, SOCKET_ID_ANY, nullptr, g_pool) != 0 ||
        rte_eth_tx_queue_setup(static_cast<std::uint16_t>(port), 0, 2048, SOCKET_ID_ANY, nullptr) != 0 ||
        rte_eth_dev_start(static_cast<std::uint16_t>(port)) != 0) {
        std::fprintf(stderr, "setup failed\n");
        return 1;
    }
    dataplane::DpdkWorkerConfig wc;
    wc.port_id = static_cast<std::uint16_t>(port);
    wc.local = kServer;
    wc.pool = g_pool;
    wc.tftp.max_transfers = 256;
    wc.tftp.maps = trees->get();
    wc.tftp.cache.budget_bytes = 64u << 20;
    auto made = DpdkWorker::create(wc);
    if (!made) {
        std::fprintf(stderr, "%s\n", made.error().reason.c_str());
        return 1;
    }
    std::unique_ptr<DpdkWorker> worker = std::move(*made);
    std::uint16_t next_port = 20000;
    for (int c = 0; c < clients; ++c) send_rrq(next_port++);

    std::uint64_t data = 0, transfers = 0;
    void* objs[64];
    auto start = std::chrono::steady_clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    std::uint8_t ack[4];
    while (std::chrono::steady_clock::now() < end) {
        worker->poll_once(dataplane::monotonic_now());
        unsigned n = rte_ring_dequeue_burst(tx, objs, 64, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            const auto* p = rte_pktmbuf_mtod(m, const std::uint8_t*);
            std::uint16_t tid = static_cast<std::uint16_t>((p[34] << 8) | p[35]);
            std::uint16_t cport = static_cast<std::uint16_t>((p[36] << 8) | p[37]);
            std::uint16_t op = static_cast<std::uint16_t>((p[42] << 8) | p[43]);
            std::uint16_t block = static_cast<std::uint16_t>((p[44] << 8) | p[45]);
            auto payload = static_cast<std::uint32_t>(m->pkt_len - proto::kUdpFrameOverhead - 4);
            rte_pktmbuf_free(m);
            if (op == 6) {  // OACK
                (void)proto::build_tftp_ack(ack, 0);
                inject(cport, tid, ack, 4);
            } else if (op == 3) {
                ++data;
                (void)proto::build_tftp_ack(ack, block);
                inject(cport, tid, ack, 4);
                if (payload < 1468) {  // last block: this client starts over from a new port
                    ++transfers;
                    send_rrq(next_port++);
                    if (next_port > 60000) next_port = 20000;
                }
            }
        }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto& c = worker->counters();
    std::printf(
        "data_pps=%.0f payload_gbit_s=%.2f ns_per_data=%.1f transfers=%llu clients=%d blksize=1468 "
        "zero_copy_bytes=%llu copied_bytes=%llu seconds=%.2f\n",
        static_cast<double>(data) / secs, static_cast<double>(data) * 1468 * 8 / secs / 1e9,
        secs * 1e9 / static_cast<double>(data ? data : 1), static_cast<unsigned long long>(transfers), clients,
        static_cast<unsigned long long>(c.tx_zero_copy_bytes.get()),
        static_cast<unsigned long long>(c.tx_copied_bytes.get()), secs);
    worker.reset();
    rte_eth_dev_stop(static_cast<std::uint16_t>(port));
    rte_eth_dev_close(static_cast<std::uint16_t>(port));
    dataplane::DpdkEal::cleanup();
    fs::remove_all(dir);
    return data > 0 ? 0 : 1;
}
