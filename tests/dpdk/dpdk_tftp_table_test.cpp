// The TFTP table (tests/support/tftp_cases.cpp), unchanged, against a DpdkWorker over net_ring:
// each input becomes a frame from the Pi (10.0.0.100) to the worker (10.0.0.1), each frame the
// worker sends is checked as the Pi would (headers and UDP checksum) and reduced to its datagram.
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/snapshot_cell.h"
#include "proto/inet_checksum.h"
#include "proto/net_frames.h"
#include "support/ring_frames.h"
#include "support/tftp_table.h"
#include "support/tftp_table_runner.h"
#include "support/unwrap.h"
#include "table_env.h"

namespace rackboot::dataplane {
namespace {

const proto::LocalAddress kServer{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, proto::Ipv4(0x0a000001)};
const proto::LocalAddress kPi{{0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d}, proto::Ipv4(0x0a000064)};

class RingHarness final : public test::TftpHarness {
public:
    RingHarness(BootMapCell* trees, rte_mempool* pool, int n, const test::TftpCase& c) {
        int port = test::start_ring_port("table" + std::to_string(n), pool, rx_, tx_);
        EXPECT_GE(port, 0);
        port_ = static_cast<std::uint16_t>(port);
        DpdkWorkerConfig wc;
        wc.port_id = port_;
        wc.local = kServer;
        wc.subnet_broadcast = proto::Ipv4(0x0a0000ff);
        wc.tid_base = 1024;
        wc.pool = pool;
        wc.tftp.max_transfers = 64;
        wc.tftp.maps = trees;
        wc.tftp.cache.budget_bytes = 4u << 20;
        test::apply_case_settings(c, wc.tftp);
        worker_ = test::unwrap(DpdkWorker::create(wc));
        EXPECT_TRUE(worker_);
        pool_ = pool;
    }
    ~RingHarness() override {
        (void)take_sent();  // frees mbufs pointing into the worker's cache before the worker goes
        rte_eth_dev_stop(port_);
        rte_eth_dev_close(port_);
        worker_.reset();
        rte_ring_free(rx_);
        rte_ring_free(tx_);
    }

    void deliver(std::uint16_t client_port, std::uint16_t server_port, const test::Bytes& payload,
                 proto::Nanos now) override {
        std::vector<std::uint8_t> f(proto::kUdpFrameOverhead + payload.size());
        proto::ConstBytes piece(payload);
        std::uint16_t sum = proto::udp_checksum(kPi.ip, kServer.ip, client_port, server_port, &piece, 1);
        EXPECT_GT(proto::build_udp_headers(f, kPi.mac, kServer.mac, kPi.ip, kServer.ip, client_port, server_port,
                                           payload.size(), 1, sum),
                  0u);
        std::copy(payload.begin(), payload.end(), f.begin() + proto::kUdpFrameOverhead);
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
        ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
        worker_->poll_once(now);
    }
    void poll(proto::Nanos now) override { worker_->poll_once(now); }
    [[nodiscard]] std::uint32_t waiting_on_disk() const override { return worker_->waiting_on_disk(); }
    [[nodiscard]] proto::Nanos next_deadline() const override { return worker_->next_deadline(); }
    [[nodiscard]] std::vector<test::TftpSent> take_sent() override {
        std::vector<test::TftpSent> out;
        test::drain_ring(tx_, [&](rte_mbuf* m, std::vector<std::uint8_t>& frame) {
            if ((m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM) != 0) {
                ADD_FAILURE() << "checksum offload asked of a port that does not offer it";
            }
            proto::FrameInfo f = proto::classify_frame(frame, kPi, proto::Ipv4(), true);
            EXPECT_EQ(f.kind, proto::FrameInfo::Kind::Udp) << "a frame the Pi would drop (headers or checksum)";
            if (f.kind != proto::FrameInfo::Kind::Udp) return;
            EXPECT_EQ(f.src_ip, kServer.ip);
            EXPECT_EQ(f.src_mac, kServer.mac);
            out.push_back({f.dst_port, f.src_port, test::Bytes(f.payload.begin(), f.payload.end())});
        });
        return out;
    }
    [[nodiscard]] const WorkerCounters& counters() const override { return worker_->counters(); }

private:
    rte_ring* rx_ = nullptr;
    rte_ring* tx_ = nullptr;
    rte_mempool* pool_ = nullptr;
    std::uint16_t port_ = 0;
    std::unique_ptr<DpdkWorker> worker_;
};

class DpdkTftpTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DpdkTftpTable, WorkerAnswersAsTheTableSays) {
    test::DpdkTableEnv* env = test::dpdk_table_env();
    ASSERT_NE(env, nullptr);
    const test::TftpCase& c = test::tftp_cases()[GetParam()];
    RingHarness h(env->tree->trees.get(), env->pool, static_cast<int>(GetParam()), c);
    std::string diff = test::run_tftp_case(c, h, 1'000'000'000);
    EXPECT_TRUE(diff.empty()) << c.description << '\n' << diff;
}

INSTANTIATE_TEST_SUITE_P(Cases, DpdkTftpTable, ::testing::Range<std::size_t>(0, test::tftp_cases().size()));

}  // namespace
}  // namespace rackboot::dataplane
