// Golden tests of the DPDK worker in one process over net_ring: frames in, frames out, the same
// protocol cases the socket backend's tests cover (ARP, ping, TFTP with and without options,
// errors, foreign TIDs, bad checksums). EAL runs with --no-huge and no PCI.
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/dpdk/port/dpdk_eal.h"
#include "dataplane/snapshot_cell.h"
#include "proto/inet_checksum.h"
#include "proto/net_frames.h"
#include "proto/tftp_codec.h"
#include "support/ring_frames.h"
#include "support/test_eal.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

namespace fs = std::filesystem;
using proto::FrameInfo;
using proto::Mac;

const proto::LocalAddress kServer{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, proto::Ipv4(0x0a000001)};
const proto::LocalAddress kPi{{0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d}, proto::Ipv4(0x0a000064)};
constexpr std::uint16_t kTidBase = 1024;

rte_mempool* g_pool = nullptr;

class DpdkGolden : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto eal = test::start_test_eal();
        ASSERT_TRUE(eal) << test::reason(eal);
        g_pool = rte_pktmbuf_pool_create("golden_pool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(g_pool, nullptr);
    }

    void SetUp() override {
        static int n = 0;
        ++n;
        dir_ = fs::temp_directory_path() / ("rb-golden-" + std::to_string(getpid()) + "-" + std::to_string(n));
        fs::create_directories(dir_);
        content_.resize(1000);
        for (std::size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<std::uint8_t>(i * 7);
        std::ofstream(dir_ / "file.bin", std::ios::binary)
            .write(reinterpret_cast<const char*>(content_.data()), static_cast<std::streamsize>(content_.size()));
        trees_ = test::unwrap(static_boot_map_cell(dir_.string(), {}, 64));
        ASSERT_TRUE(trees_);

        std::string tag = std::to_string(n);
        int port = test::start_ring_port("golden" + tag, g_pool, rx_, tx_);
        ASSERT_GE(port, 0);
        port_ = static_cast<std::uint16_t>(port);

        DpdkWorkerConfig& wc = wc_;
        wc.port_id = port_;
        wc.local = kServer;
        wc.subnet_broadcast = proto::Ipv4(0x0a0000ff);
        wc.tid_base = kTidBase;
        wc.pool = g_pool;
        wc.tftp.max_transfers = 64;
        wc.tftp.maps = trees_.get();
        wc.tftp.cache.budget_bytes = 4u << 20;
        make_worker();
    }

    // (Re)creates the worker from wc_: tests that change its configuration call this after.
    void make_worker() {
        worker_.reset();
        worker_ = test::unwrap(DpdkWorker::create(wc_));
        ASSERT_TRUE(worker_);
    }

    void TearDown() override {
        drain();  // frees mbufs pointing into the worker's cache before the worker goes
        rte_eth_dev_stop(port_);
        rte_eth_dev_close(port_);
        worker_.reset();
        rte_ring_free(rx_);
        rte_ring_free(tx_);
        fs::remove_all(dir_);
    }

    void inject(const std::vector<std::uint8_t>& frame) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size())), frame.data(), frame.size());
        ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
    }

    std::vector<std::vector<std::uint8_t>> drain() {
        std::vector<std::vector<std::uint8_t>> out;
        test::drain_ring(tx_, [&](rte_mbuf* m, std::vector<std::uint8_t>& frame) {
            for (rte_mbuf* seg = m->next; seg != nullptr; seg = seg->next) {
                if (RTE_MBUF_HAS_EXTBUF(seg)) ++external_segments_;
            }
            if ((m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM) != 0) {
                ++offloaded_;
                complete_udp_checksum(frame, m->l2_len + m->l3_len);
            }
            EXPECT_EQ(frame.size(), m->pkt_len);
            out.push_back(std::move(frame));
        });
        return out;
    }

    // Polls until the worker sends something (file opens and reads complete asynchronously).
    std::vector<std::vector<std::uint8_t>> exchange(const std::vector<std::uint8_t>& frame, bool expect_reply = true) {
        inject(frame);
        std::vector<std::vector<std::uint8_t>> got;
        for (int i = 0; i < 2000 && got.empty(); ++i) {
            now_ += 100'000;
            worker_->poll_once(now_);
            got = drain();
            if (got.empty() && !expect_reply && i > 50) break;
            if (got.empty()) usleep(100);
        }
        return got;
    }

    static std::vector<std::uint8_t> udp_from_pi(std::uint16_t sport, std::uint16_t dport,
                                                 const std::vector<std::uint8_t>& payload) {
        std::vector<std::uint8_t> f(proto::kUdpFrameOverhead + payload.size());
        proto::ConstBytes piece(payload);
        std::uint16_t sum = proto::udp_checksum(kPi.ip, kServer.ip, sport, dport, &piece, 1);
        EXPECT_GT(
            proto::build_udp_headers(f, kPi.mac, kServer.mac, kPi.ip, kServer.ip, sport, dport, payload.size(), 1, sum),
            0u);
        std::copy(payload.begin(), payload.end(), f.begin() + proto::kUdpFrameOverhead);
        return f;
    }

    static std::vector<std::uint8_t> rrq(const std::string& name, std::initializer_list<proto::TftpOption> opts = {}) {
        proto::TftpOptionList list;
        for (const auto& o : opts) list.items[list.count++] = o;
        std::vector<std::uint8_t> b(512);
        b.resize(proto::build_tftp_request(b, proto::TftpOpcode::Rrq, name, "octet", list));
        return b;
    }

    static std::vector<std::uint8_t> ack(std::uint16_t block) {
        std::vector<std::uint8_t> b(4);
        EXPECT_EQ(proto::build_tftp_ack(b, block), 4u);
        return b;
    }

    // The frame as the Pi sees it: UDP to the Pi, checksums verified.
    static FrameInfo as_pi(const std::vector<std::uint8_t>& frame) {
        return proto::classify_frame(frame, kPi, proto::Ipv4(), true);
    }

    // What a NIC does for RTE_MBUF_F_TX_UDP_CKSUM: the field holds the pseudo-header's sum; the
    // sum over the UDP header and payload, complemented, replaces it.
    static void complete_udp_checksum(std::vector<std::uint8_t>& frame, std::size_t l4) {
        proto::InetChecksum c;
        c.add(proto::ConstBytes(frame.data() + l4, frame.size() - l4));
        std::uint16_t sum = c.finish();
        if (sum == 0) sum = 0xffff;
        frame[l4 + 6] = static_cast<std::uint8_t>(sum >> 8);
        frame[l4 + 7] = static_cast<std::uint8_t>(sum);
    }

    // Fetches `name` to the end in lock step from `sport`; every frame's checksums must hold.
    std::vector<std::uint8_t> fetch(std::uint16_t sport, const std::string& name,
                                    std::initializer_list<proto::TftpOption> opts) {
        std::vector<std::uint8_t> got;
        auto out = exchange(udp_from_pi(sport, 69, rrq(name, opts)));
        for (int step = 0; step < 100 && out.size() == 1; ++step) {
            FrameInfo f = as_pi(out[0]);
            EXPECT_EQ(f.kind, FrameInfo::Kind::Udp) << "checksum or header wrong in step " << step;
            if (f.kind != FrameInfo::Kind::Udp) break;
            proto::TftpPacket pkt;
            if (proto::parse_tftp(f.payload, pkt) != proto::TftpParseError::none) break;
            if (pkt.opcode == proto::TftpOpcode::Oack) {
                out = exchange(udp_from_pi(sport, f.src_port, ack(0)));
                continue;
            }
            if (pkt.opcode != proto::TftpOpcode::Data) break;
            got.insert(got.end(), pkt.payload.begin(), pkt.payload.end());
            std::size_t blksize = opts.size() == 0 ? 512 : std::stoul(std::string(opts.begin()->value));
            bool last = pkt.payload.size() < blksize;
            out = exchange(udp_from_pi(sport, f.src_port, ack(pkt.block)), !last);
            if (last) break;
        }
        return got;
    }

    DpdkWorkerConfig wc_;
    unsigned offloaded_ = 0;
    fs::path dir_;
    std::vector<std::uint8_t> content_;
    std::unique_ptr<BootMapCell> trees_;
    rte_ring* rx_ = nullptr;
    rte_ring* tx_ = nullptr;
    std::uint16_t port_ = 0;
    std::unique_ptr<DpdkWorker> worker_;
    proto::Nanos now_ = 1'000'000'000;
    unsigned external_segments_ = 0;
};

TEST_F(DpdkGolden, ArpRequestForUsGetsTheExactReply) {
    std::vector<std::uint8_t> req(42);
    ASSERT_EQ(proto::build_arp_request(req, kPi, kServer.ip, false), 42u);
    auto out = exchange(req);
    ASSERT_EQ(out.size(), 1u);
    const std::vector<std::uint8_t> want = {0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d, 0x02, 0,    0, 0,
                                            0,    0x01, 0x08, 0x06,                          // Ethernet: to the Pi
                                            0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x02,  // ARP reply
                                            0x02, 0,    0,    0,    0,    0x01, 10,   0,    0, 1,  // we are 10.0.0.1
                                            0xb8, 0x27, 0xeb, 0x28, 0xf6, 0x6d, 10,   0,    0, 100};
    EXPECT_EQ(out[0], want);
    EXPECT_EQ(worker_->counters().arp_replies.get(), 1u);
    ASSERT_EQ(proto::build_arp_request(req, kPi, proto::Ipv4(0x0a000002), false), 42u);
    EXPECT_TRUE(exchange(req, false).empty());
    EXPECT_EQ(worker_->counters().frame_drops[static_cast<std::size_t>(proto::FrameDrop::arp_not_for_us)].get(), 1u);
}

TEST_F(DpdkGolden, TftpWithoutOptionsInLockStep) {
    auto out = exchange(udp_from_pi(40000, 69, rrq("file.bin")));
    ASSERT_EQ(out.size(), 1u);
    FrameInfo d1 = as_pi(out[0]);
    ASSERT_EQ(d1.kind, FrameInfo::Kind::Udp) << "bad headers or checksum";
    EXPECT_EQ(d1.src_ip, kServer.ip);
    EXPECT_EQ(d1.dst_port, 40000);
    EXPECT_GE(d1.src_port, kTidBase);  // a TID of the worker's range, not 69
    EXPECT_EQ(d1.payload.size(), 4u + 512u);
    EXPECT_TRUE(std::equal(d1.payload.begin() + 4, d1.payload.end(), content_.begin()));
    std::uint16_t tid = d1.src_port;
    out = exchange(udp_from_pi(40000, tid, ack(1)));
    ASSERT_EQ(out.size(), 1u);
    FrameInfo d2 = as_pi(out[0]);
    ASSERT_EQ(d2.kind, FrameInfo::Kind::Udp);
    EXPECT_EQ(d2.payload[3], 2);
    EXPECT_EQ(d2.payload.size(), 4u + 488u);
    EXPECT_TRUE(std::equal(d2.payload.begin() + 4, d2.payload.end(), content_.begin() + 512));
    EXPECT_TRUE(exchange(udp_from_pi(40000, tid, ack(2)), false).empty());
    EXPECT_EQ(worker_->counters().results[static_cast<std::size_t>(ResultLabel::complete)].get(), 1u);
    // Zero copy: both DATA payloads went out as external buffers pointing into the cache.
    EXPECT_EQ(external_segments_, 2u);
    EXPECT_EQ(worker_->counters().tx_zero_copy_bytes.get(), 1000u);
    EXPECT_EQ(worker_->counters().tx_copied_bytes.get(), 0u);
}

TEST_F(DpdkGolden, OackThenDataWithBlksize) {
    auto out = exchange(udp_from_pi(40001, 69, rrq("file.bin", {{"blksize", "1468"}, {"tsize", "0"}})));
    ASSERT_EQ(out.size(), 1u);
    FrameInfo o = as_pi(out[0]);
    ASSERT_EQ(o.kind, FrameInfo::Kind::Udp);
    proto::TftpPacket pkt;
    ASSERT_EQ(proto::parse_tftp(o.payload, pkt), proto::TftpParseError::none);
    ASSERT_EQ(pkt.opcode, proto::TftpOpcode::Oack);
    EXPECT_EQ(pkt.options.find("tsize")->value, "1000");
    out = exchange(udp_from_pi(40001, o.src_port, ack(0)));
    ASSERT_EQ(out.size(), 1u);
    FrameInfo d = as_pi(out[0]);
    EXPECT_EQ(d.payload.size(), 4u + 1000u);  // the whole file in one short block
    EXPECT_TRUE(std::equal(d.payload.begin() + 4, d.payload.end(), content_.begin()));
}

TEST_F(DpdkGolden, ErrorsAndForeignTraffic) {
    auto out = exchange(udp_from_pi(40002, 69, rrq("missing.bin")));
    ASSERT_EQ(out.size(), 1u);
    proto::TftpPacket pkt;
    ASSERT_EQ(proto::parse_tftp(as_pi(out[0]).payload, pkt), proto::TftpParseError::none);
    EXPECT_EQ(pkt.error_code, proto::TftpErrorCode::FileNotFound);

    out = exchange(udp_from_pi(40003, 69, rrq("../etc/passwd")));
    ASSERT_EQ(out.size(), 1u);
    FrameInfo refused = as_pi(out[0]);
    EXPECT_EQ(refused.src_port, 69);  // refused before any TID exists
    ASSERT_EQ(proto::parse_tftp(refused.payload, pkt), proto::TftpParseError::none);
    EXPECT_EQ(pkt.error_code, proto::TftpErrorCode::AccessViolation);

    // A TID answers only its own client port.
    out = exchange(udp_from_pi(40004, 69, rrq("file.bin")));
    ASSERT_EQ(out.size(), 1u);
    std::uint16_t tid = as_pi(out[0]).src_port;
    EXPECT_TRUE(exchange(udp_from_pi(40005, tid, ack(1)), false).empty());
    EXPECT_EQ(worker_->counters().transport_drops[static_cast<std::size_t>(TransportDrop::unserved_port)].get(), 1u);
    // A bad UDP checksum is dropped and counted.
    auto bad = udp_from_pi(40004, tid, ack(1));
    bad.back() ^= 0x55;
    EXPECT_TRUE(exchange(bad, false).empty());
    EXPECT_EQ(worker_->counters().frame_drops[static_cast<std::size_t>(proto::FrameDrop::udp_bad_checksum)].get(), 1u);
}

// Software checksums: the second fetch of the same blocks reuses their payload sums (odd
// block sizes included, whose pieces start at odd offsets), and every checksum still verifies.
TEST_F(DpdkGolden, RepeatedBlocksReuseTheirPayloadSums) {
    const auto& reused = worker_->counters().tx_payload_sums_reused;
    EXPECT_EQ(fetch(41000, "file.bin", {}), content_);
    EXPECT_EQ(reused.get(), 0u);
    EXPECT_EQ(fetch(41001, "file.bin", {}), content_);
    EXPECT_EQ(reused.get(), 2u);  // blocks 1 and 2
    EXPECT_EQ(fetch(41002, "file.bin", {{"blksize", "333"}}), content_);
    EXPECT_EQ(reused.get(), 2u);
    EXPECT_EQ(fetch(41003, "file.bin", {{"blksize", "333"}}), content_);
    EXPECT_EQ(reused.get(), 6u);  // 333, 333, 333, 1
    EXPECT_EQ(worker_->counters().tx_checksum_offloaded.get(), 0u);
}

// A port that offers UDP checksum offload gets the pseudo-header's sum and the flags, and the
// checksum the NIC completes (played by complete_udp_checksum) verifies at the Pi.
TEST_F(DpdkGolden, ChecksumOffloadHandsThePortThePseudoHeaderSum) {
    wc_.tx_checksum_offload = true;
    ASSERT_NO_FATAL_FAILURE(make_worker());
    EXPECT_EQ(fetch(41010, "file.bin", {{"blksize", "1468"}}), content_);
    EXPECT_EQ(offloaded_, 2u);  // OACK and the one DATA
    EXPECT_EQ(worker_->counters().tx_checksum_offloaded.get(), 2u);
    EXPECT_EQ(worker_->counters().tx_payload_sums_reused.get(), 0u);
}

// With --gateway, replies to other subnets (a relayed Pi) go to the gateway's MAC once ARP has
// found it; until then, to the MAC the request came from. Worker 0 asks for it at start.
TEST_F(DpdkGolden, RepliesOffTheSubnetGoThroughTheGateway) {
    GatewayMac shared;
    const proto::LocalAddress gateway{{0x02, 0xaa, 0, 0, 0, 0xfe}, proto::Ipv4(0x0a0000fe)};
    const proto::Mac router_port{0x02, 0xbb, 0, 0, 0, 0x01};  // where relayed frames come from
    wc_.subnet_mask = 0xffffff00;
    wc_.gateway_ip = gateway.ip;
    wc_.gateway_mac = &shared;
    ASSERT_NO_FATAL_FAILURE(make_worker());
    worker_->announce();
    auto out = drain();
    ASSERT_EQ(out.size(), 2u);  // gratuitous ARP, then who-has the gateway
    FrameInfo who = proto::classify_frame(out[1], gateway, proto::Ipv4(), true);
    ASSERT_EQ(who.kind, FrameInfo::Kind::ArpRequest);
    EXPECT_EQ(who.src_ip, kServer.ip);
    EXPECT_EQ(worker_->counters().arp_requests.get(), 1u);

    // A Pi behind a relay, 192.168.5.7, before the gateway answered: back to the frame's sender.
    const proto::LocalAddress far_pi{kPi.mac, proto::Ipv4(0xc0a80507)};
    auto rrq_frame = [&](std::uint16_t sport, std::uint16_t dport, const std::vector<std::uint8_t>& payload) {
        std::vector<std::uint8_t> f(proto::kUdpFrameOverhead + payload.size());
        proto::ConstBytes piece(payload);
        std::uint16_t sum = proto::udp_checksum(far_pi.ip, kServer.ip, sport, dport, &piece, 1);
        EXPECT_GT(proto::build_udp_headers(f, router_port, kServer.mac, far_pi.ip, kServer.ip, sport, dport,
                                           payload.size(), 1, sum),
                  0u);
        std::copy(payload.begin(), payload.end(), f.begin() + proto::kUdpFrameOverhead);
        return f;
    };
    out = exchange(rrq_frame(42000, 69, rrq("file.bin")));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(std::equal(router_port.begin(), router_port.end(), out[0].begin()));
    std::uint16_t tid = static_cast<std::uint16_t>((out[0][34] << 8) | out[0][35]);

    // The gateway answers the ARP: from now on replies off the subnet go to its MAC, and the
    // MAC is published for the other workers.
    FrameInfo asked;  // our who-has, as the gateway read it
    asked.src_mac = kServer.mac;
    asked.src_ip = kServer.ip;
    std::vector<std::uint8_t> reply(42);
    ASSERT_EQ(proto::build_arp_reply(reply, gateway, asked), 42u);
    EXPECT_TRUE(exchange(reply, false).empty());
    EXPECT_EQ(shared.packed.load() >> 63, 1u);
    EXPECT_EQ(shared.packed.load() & 0xffffffffffffULL, 0x02aa000000feULL);
    out = exchange(rrq_frame(42000, tid, ack(1)));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(std::equal(gateway.mac.begin(), gateway.mac.end(), out[0].begin()));
    // A Pi on the subnet is still answered at its own MAC.
    out = exchange(udp_from_pi(42001, 69, rrq("file.bin")));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(std::equal(kPi.mac.begin(), kPi.mac.end(), out[0].begin()));
}

// A port that cannot send chains gets DATA copied into one mbuf, counted as copied.
TEST_F(DpdkGolden, ZeroCopyHoldsTheCacheArenaRegisteredForDma) {
    const DmaRegion* dma = worker_->cache_dma();
    ASSERT_NE(dma, nullptr);
    void* arena = dma->addr();
    const rte_memseg_list* msl = rte_mem_virt2memseg_list(arena);
    ASSERT_NE(msl, nullptr) << "the cache arena is not DPDK memory";
    EXPECT_NE(msl->external, 0);
    EXPECT_GE(dma->length(), wc_.tftp.cache.budget_bytes);
    EXPECT_EQ(fetch(41021, "file.bin", {}), content_);  // DATA segments point into that arena
    EXPECT_GT(external_segments_, 0u);
    drain();
    worker_.reset();
    EXPECT_EQ(rte_mem_virt2memseg_list(arena), nullptr) << "still registered after the worker went";
}

TEST_F(DpdkGolden, WithoutChainsDataIsCopied) {
    wc_.tx_chain = false;
    ASSERT_NO_FATAL_FAILURE(make_worker());
    EXPECT_EQ(worker_->cache_dma(), nullptr) << "copied DATA needs no DMA to the cache";
    external_segments_ = 0;
    EXPECT_EQ(fetch(41020, "file.bin", {}), content_);
    EXPECT_EQ(external_segments_, 0u);
    EXPECT_EQ(worker_->counters().tx_zero_copy_bytes.get(), 0u);
    EXPECT_EQ(worker_->counters().tx_copied_bytes.get(), content_.size());
}

}  // namespace
}  // namespace rackboot::dataplane

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    int rc = RUN_ALL_TESTS();
    std::string runtime_dir = rte_eal_get_runtime_dir();
    rackboot::dataplane::DpdkEal::cleanup();
    if (!runtime_dir.empty() && access(runtime_dir.c_str(), F_OK) == 0) {
        std::fprintf(stderr, "FAIL: the EAL runtime directory %s was left behind\n", runtime_dir.c_str());
        return 1;
    }
    return rc;
}
