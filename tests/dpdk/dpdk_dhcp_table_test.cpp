// The DHCP table (tests/support/dhcp_cases.cpp), unchanged, against a DpdkWorker serving DHCP over
// net_ring: each request becomes a broadcast frame from the client's MAC (0.0.0.0:68 to
// 255.255.255.255:67), each frame the worker sends is checked as the client would (headers and
// UDP checksum) and reduced to its payload and where it went.
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include "dataplane/dpdk/dpdk_worker.h"
#include "proto/net_frames.h"
#include "support/dhcp_table.h"
#include "support/ring_frames.h"
#include "support/unwrap.h"
#include "table_env.h"

namespace rackboot::dataplane {
namespace {

const proto::LocalAddress kServer{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, proto::Ipv4(test::kDhcpServerIp)};

class DhcpRingHarness final : public test::DhcpHarness {
public:
    DhcpRingHarness(BootMapCell* trees, rte_mempool* pool, int n, const DhcpEngineConfig& dhcp) : pool_(pool) {
        int port = test::start_ring_port("dhcp" + std::to_string(n), pool, rx_, tx_);
        EXPECT_GE(port, 0);
        port_ = static_cast<std::uint16_t>(port);
        DpdkWorkerConfig wc;
        wc.port_id = port_;
        wc.local = kServer;
        wc.subnet_broadcast = proto::Ipv4(kServer.ip.value() | 0xff);
        wc.subnet_mask = 0xffffff00u;
        wc.dhcp_worker = 0;
        wc.pool = pool;
        wc.tftp.max_transfers = 8;
        wc.tftp.maps = trees;
        wc.tftp.cache.budget_bytes = 1u << 20;
        worker_ = test::unwrap(DpdkWorker::create(wc));
        if (!worker_) return;
        auto attached = worker_->attach_dhcp(dhcp, 67);
        EXPECT_TRUE(attached) << test::reason(attached);
    }
    ~DhcpRingHarness() override {
        (void)take_sent();
        rte_eth_dev_stop(port_);
        rte_eth_dev_close(port_);
        worker_.reset();
        rte_ring_free(rx_);
        rte_ring_free(tx_);
    }
    void deliver(const test::Bytes& payload) override {
        proto::Mac mac{};
        std::copy(payload.begin() + 28, payload.begin() + 34, mac.begin());  // chaddr
        std::vector<std::uint8_t> f(proto::kUdpFrameOverhead + payload.size());
        proto::ConstBytes piece(payload);
        std::uint16_t sum = proto::udp_checksum(proto::Ipv4(), proto::Ipv4::broadcast(), 68, 67, &piece, 1);
        EXPECT_GT(proto::build_udp_headers(f, mac, proto::kBroadcastMac, proto::Ipv4(), proto::Ipv4::broadcast(), 68,
                                           67, payload.size(), 1, sum),
                  0u);
        std::copy(payload.begin(), payload.end(), f.begin() + proto::kUdpFrameOverhead);
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
        ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
        poll();
        last_client_ = mac;
    }
    void poll() override { worker_->poll_once(now_ += 1'000'000); }
    [[nodiscard]] std::vector<test::DhcpSent> take_sent() override {
        std::vector<test::DhcpSent> out;
        test::drain_ring(tx_, [&](rte_mbuf*, std::vector<std::uint8_t>& frame) {
            proto::FrameInfo f =
                proto::classify_frame(frame, proto::LocalAddress{last_client_, proto::Ipv4()}, proto::Ipv4(), true);
            if (f.kind == proto::FrameInfo::Kind::ArpRequest || frame.size() < 14 || frame[12] != 0x08 ||
                frame[13] != 0x00) {
                return;  // the worker's own ARP (gratuitous, gateway): not DHCP
            }
            EXPECT_EQ(f.kind, proto::FrameInfo::Kind::Udp) << "a frame the client would drop";
            if (f.kind != proto::FrameInfo::Kind::Udp) return;
            EXPECT_EQ(f.src_ip, kServer.ip);
            EXPECT_EQ(f.src_port, 67);
            test::DhcpSent s;
            if (f.dst_ip == proto::Ipv4::broadcast() && f.dst_port == 68) {
                s.dest = proto::DhcpReply::Dest::Broadcast;
            } else {
                s.dest = f.dst_port == 67 ? proto::DhcpReply::Dest::Relay : proto::DhcpReply::Dest::Client;
                s.dest_ip = f.dst_ip.value();
            }
            s.payload.assign(f.payload.begin(), f.payload.end());
            out.push_back(std::move(s));
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
    proto::Mac last_client_{};
    proto::Nanos now_ = 1'000'000'000;
};

class DpdkDhcpTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DpdkDhcpTable, WorkerAnswersAsTheTableSays) {
    test::DpdkTableEnv* env = test::dpdk_table_env();
    ASSERT_NE(env, nullptr);
    const test::DhcpCase& c = test::dhcp_cases()[GetParam()];
    LeaseJournal journal;
    DhcpRingHarness h(env->tree->trees.get(), env->pool, static_cast<int>(GetParam()),
                      test::dhcp_table_config(c.mode, &journal));
    std::string diff = test::run_dhcp_case(c, h, journal);
    EXPECT_TRUE(diff.empty()) << c.description << '\n' << diff;
}

INSTANTIATE_TEST_SUITE_P(Cases, DpdkDhcpTable, ::testing::Range<std::size_t>(0, test::dhcp_cases().size()));

}  // namespace
}  // namespace rackboot::dataplane
