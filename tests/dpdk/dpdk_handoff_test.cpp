// Software steering between two DPDK workers over net_ring (a port without RSS): whichever RX
// queue a Pi's frame lands on, the worker that owns the Pi's address answers it, from its own TX
// queue; frames are handed over SPSC rings and counted.
#include "dataplane/dpdk/dpdk_handoff.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/snapshot_cell.h"
#include "proto/net_frames.h"
#include "proto/tftp_codec.h"
#include "support/dhcp_vectors.h"
#include "support/ring_frames.h"
#include "support/test_eal.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

namespace fs = std::filesystem;
const proto::LocalAddress kServer{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, proto::Ipv4(0x0a000001)};
constexpr std::uint32_t kWorkers = 2;

class DpdkHandoff : public ::testing::Test {
protected:
    void SetUp() override {
        auto eal = test::start_test_eal();
        ASSERT_TRUE(eal) << test::reason(eal);
        if (pool_ == nullptr)
            pool_ = rte_pktmbuf_pool_create("handoff_pool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(pool_, nullptr);
        dir_ = fs::temp_directory_path() / ("rb-handoff-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        std::ofstream(dir_ / "file.bin", std::ios::binary) << std::string(700, 'p');
        trees_ = test::unwrap(static_boot_map_cell(dir_.string(), {}, 64));
        ASSERT_TRUE(trees_);
        static int instance = 0;  // ethdev and ring names stay taken for the process
        std::string tag = std::to_string(++instance) + "_";
        for (std::uint32_t q = 0; q < kWorkers; ++q) {
            rx_[q] = rte_ring_create(("ho_rx" + tag + std::to_string(q)).c_str(), 512, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
            tx_[q] = rte_ring_create(("ho_tx" + tag + std::to_string(q)).c_str(), 512, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
            ASSERT_TRUE(rx_[q] && tx_[q]);
        }
        int port = rte_eth_from_rings(("handoff" + tag).c_str(), rx_, kWorkers, tx_, kWorkers, SOCKET_ID_ANY);
        ASSERT_GE(port, 0);
        port_ = static_cast<std::uint16_t>(port);
        rte_eth_dev_info info{};
        ASSERT_EQ(rte_eth_dev_info_get(port_, &info), 0);
        ASSERT_EQ(info.flow_type_rss_offloads & RTE_ETH_RSS_IPV4, 0u) << "net_ring has no RSS: steering is ours";
        rte_eth_conf conf{};
        ASSERT_EQ(rte_eth_dev_configure(port_, kWorkers, kWorkers, &conf), 0);
        for (std::uint16_t q = 0; q < kWorkers; ++q) {
            ASSERT_EQ(rte_eth_rx_queue_setup(port_, q, 256, SOCKET_ID_ANY, nullptr, pool_), 0);
            ASSERT_EQ(rte_eth_tx_queue_setup(port_, q, 256, SOCKET_ID_ANY, nullptr), 0);
        }
        ASSERT_EQ(rte_eth_dev_start(port_), 0);
        handoff_ = test::unwrap(HandoffRings::create(kWorkers, 64));
        ASSERT_TRUE(handoff_);
        for (std::uint32_t i = 0; i < kWorkers; ++i) {
            DpdkWorkerConfig wc;
            wc.port_id = port_;
            wc.queue_id = static_cast<std::uint16_t>(i);
            wc.local = kServer;
            wc.tid_base = static_cast<std::uint16_t>(1024 + i * 64);
            wc.pool = pool_;
            wc.handoff = handoff_.get();
            wc.worker_index = i;
            wc.steer_by_address = true;
            wc.dhcp_worker = 0;  // DHCP frames go to worker 0 (which serves it in the DHCP test)
            wc.tftp.id = static_cast<std::uint16_t>(i);
            wc.tftp.max_transfers = 64;
            wc.tftp.maps = trees_.get();
            wc.tftp.cache.budget_bytes = 1u << 20;
            workers_[i] = test::unwrap(DpdkWorker::create(wc));
            ASSERT_TRUE(workers_[i]);
        }
    }

    void TearDown() override {
        for (auto* r : tx_) drain(r);
        rte_eth_dev_stop(port_);
        rte_eth_dev_close(port_);
        for (auto& w : workers_) w.reset();
        handoff_.reset();
        for (std::uint32_t q = 0; q < kWorkers; ++q) {
            rte_ring_free(rx_[q]);
            rte_ring_free(tx_[q]);
        }
        fs::remove_all(dir_);
    }

    // The frames on a TX ring, classified as their Pi sees them (bytes kept in `keep`).
    static std::vector<proto::FrameInfo> drain(rte_ring* r, std::vector<std::vector<std::uint8_t>>* keep = nullptr) {
        std::vector<proto::FrameInfo> out;
        test::drain_ring(r, [&](rte_mbuf*, std::vector<std::uint8_t>& frame) {
            if (keep == nullptr) return;
            keep->push_back(std::move(frame));  // (moving keeps each frame's bytes where they are)
            const auto& f = keep->back();
            proto::LocalAddress pi{
                {}, proto::Ipv4((static_cast<std::uint32_t>(f[30]) << 24) | (f[31] << 16) | (f[32] << 8) | f[33])};
            std::copy(f.begin(), f.begin() + 6, pi.mac.begin());
            out.push_back(proto::classify_frame(f, pi, proto::Ipv4(), true));
        });
        return out;
    }

    void inject(std::uint32_t queue, proto::Ipv4 pi_ip, std::uint16_t sport, std::uint16_t dport,
                const std::vector<std::uint8_t>& payload, proto::Ipv4 dst_ip = kServer.ip) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        auto* p = reinterpret_cast<std::uint8_t*>(
            rte_pktmbuf_append(m, static_cast<std::uint16_t>(proto::kUdpFrameOverhead + payload.size())));
        proto::Mac mac{0xdc, 0xa6, 0x32, 0, 0, static_cast<std::uint8_t>(pi_ip.value())};
        proto::ConstBytes piece(payload);
        std::uint16_t sum = proto::udp_checksum(pi_ip, dst_ip, sport, dport, &piece, 1);
        ASSERT_GT(proto::build_udp_headers(proto::MutableBytes(p, proto::kUdpFrameOverhead), mac,
                                           dst_ip == kServer.ip ? kServer.mac : proto::kBroadcastMac, pi_ip, dst_ip,
                                           sport, dport, payload.size(), 1, sum),
                  0u);
        std::copy(payload.begin(), payload.end(), p + proto::kUdpFrameOverhead);
        ASSERT_EQ(rte_ring_enqueue(rx_[queue], m), 0);
    }

    // Polls both workers until `want` frames came out, returning them by TX queue.
    std::array<std::vector<proto::FrameInfo>, kWorkers> run(std::size_t want) {
        std::array<std::vector<proto::FrameInfo>, kWorkers> out;
        std::size_t got = 0;
        for (int i = 0; i < 2000 && got < want; ++i) {
            now_ += 100'000;
            for (auto& w : workers_) w->poll_once(now_);
            for (std::uint32_t q = 0; q < kWorkers; ++q) {
                auto f = drain(tx_[q], &frames_);
                got += f.size();
                out[q].insert(out[q].end(), f.begin(), f.end());
            }
            if (got < want) usleep(100);
        }
        return out;
    }

    static std::vector<std::uint8_t> rrq() {
        std::vector<std::uint8_t> b(64);
        b.resize(proto::build_tftp_request(b, proto::TftpOpcode::Rrq, "file.bin", "octet", {}));
        return b;
    }

    static inline rte_mempool* pool_ = nullptr;
    fs::path dir_;
    std::unique_ptr<BootMapCell> trees_;
    rte_ring* rx_[kWorkers] = {};
    rte_ring* tx_[kWorkers] = {};
    std::uint16_t port_ = 0;
    std::unique_ptr<HandoffRings> handoff_;
    std::array<std::unique_ptr<DpdkWorker>, kWorkers> workers_;
    std::vector<std::vector<std::uint8_t>> frames_;
    proto::Nanos now_ = 1'000'000'000;
};

TEST_F(DpdkHandoff, EachPiIsAnsweredByTheWorkerThatOwnsItsAddress) {
    // 16 Pis; every RRQ lands on queue 0, every ACK on queue 1.
    std::vector<proto::Ipv4> pis;
    std::array<unsigned, kWorkers> owned{};
    for (std::uint32_t i = 0; i < 16; ++i) {
        pis.push_back(proto::Ipv4(0x0a000100 + i));
        ++owned[owner_of_address(pis.back(), kWorkers)];
    }
    ASSERT_GT(owned[0], 0u);
    ASSERT_GT(owned[1], 0u);
    for (proto::Ipv4 ip : pis) inject(0, ip, 3000, 69, rrq());
    auto out = run(pis.size());
    std::array<std::uint16_t, 256> tid{};
    for (std::uint32_t q = 0; q < kWorkers; ++q) {
        EXPECT_EQ(out[q].size(), owned[q]) << "queue " << q;
        for (const auto& f : out[q]) {
            ASSERT_EQ(f.kind, proto::FrameInfo::Kind::Udp);
            EXPECT_EQ(owner_of_address(f.dst_ip, kWorkers), q);
            EXPECT_EQ(f.payload.size(), 4u + 512u);  // DATA 1
            tid[f.dst_ip.value() & 0xff] = f.src_port;
        }
    }
    EXPECT_EQ(workers_[0]->counters().handoff_frames.get(), owned[1]);
    for (proto::Ipv4 ip : pis) {
        std::vector<std::uint8_t> ack(4);
        ASSERT_EQ(proto::build_tftp_ack(ack, 1), 4u);
        inject(1, ip, 3000, tid[ip.value() & 0xff], ack);
    }
    out = run(pis.size());
    for (std::uint32_t q = 0; q < kWorkers; ++q) {
        EXPECT_EQ(out[q].size(), owned[q]) << "queue " << q;
        for (const auto& f : out[q]) {
            EXPECT_EQ(owner_of_address(f.dst_ip, kWorkers), q);
            EXPECT_EQ(f.payload.size(), 4u + 188u);  // DATA 2, the last
        }
    }
    EXPECT_EQ(workers_[1]->counters().handoff_frames.get(), owned[0]);
    EXPECT_EQ(workers_[0]->counters().transport_drops[static_cast<std::size_t>(TransportDrop::unserved_port)].get(),
              0u);
    EXPECT_EQ(workers_[1]->counters().transport_drops[static_cast<std::size_t>(TransportDrop::unserved_port)].get(),
              0u);
}

// A full ring drops the frame and counts it; it never blocks the worker that received it.
TEST_F(DpdkHandoff, AFullRingDropsAndCounts) {
    std::uint32_t theirs = 0x0a000100;
    while (owner_of_address(proto::Ipv4(theirs), kWorkers) != 1) ++theirs;
    for (int i = 0; i < 100; ++i) inject(0, proto::Ipv4(theirs), static_cast<std::uint16_t>(4000 + i), 69, rrq());
    for (int i = 0; i < 10; ++i) workers_[0]->poll_once(now_);  // worker 1 does not poll
    const auto& c = workers_[0]->counters();
    EXPECT_EQ(c.handoff_frames.get(), 63u);  // a 64-slot ring holds 63
    EXPECT_EQ(c.transport_drops[static_cast<std::size_t>(TransportDrop::handoff_full)].get(), 37u);
}

// DHCP has one lease-table writer: a DISCOVER that lands on worker 1's queue is answered by
// worker 0, which serves DHCP, from its own TX queue.
TEST_F(DpdkHandoff, DhcpGoesToTheWorkerThatServesIt) {
    DhcpEngineConfig dc;
    dc.responder.mode = proto::DhcpMode::Proxy;
    dc.responder.server_ip = kServer.ip;
    auto attached = workers_[0]->attach_dhcp(dc, 67);
    ASSERT_TRUE(attached) << test::reason(attached);
    inject(1, proto::Ipv4(), 68, 67, test::pi3b_discover(), proto::Ipv4::broadcast());
    auto out = run(1);
    ASSERT_EQ(out[0].size(), 1u);
    EXPECT_TRUE(out[1].empty());
    EXPECT_EQ(out[0][0].dst_port, 68);
    EXPECT_EQ(workers_[1]->counters().handoff_frames.get(), 1u);
    EXPECT_EQ(workers_[0]->counters().dhcp_packets[1][0].get(), 1u);  // DISCOVER, replied
}

}  // namespace
}  // namespace rackboot::dataplane
