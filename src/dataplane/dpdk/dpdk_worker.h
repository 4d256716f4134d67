// One DPDK poll-mode worker: its RX/TX queue pair, the small L2/L3 stack (ARP replies, ping,
// IPv4/UDP with software checksums), and the same TftpService the socket backend uses, reached
// through a TftpTransport whose TIDs are UDP ports of this worker's range. The loop backs off to
// sleep when idle instead of burning its core.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dhcp_engine.h"
#include "dataplane/dpdk/dpdk_handoff.h"
#include "dataplane/dpdk/payload_sum_memo.h"
#include "dataplane/dpdk/port/dpdk_dma.h"
#include "dataplane/tftp_service.h"
#include "dataplane/tftp_transport.h"
#include "dataplane/worker_channel.h"
#include "proto/net_frames.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_mbuf_ext_shared_info;

namespace rackboot::dataplane {

// The gateway's MAC as one worker learnt it from ARP, read by every worker once per poll (not per
// packet): the 48-bit MAC in the low bits, bit 63 set once known.
struct GatewayMac {
    std::atomic<std::uint64_t> packed{0};
};

struct DpdkWorkerConfig {
    std::uint16_t port_id = 0;
    std::uint16_t queue_id = 0;  // this worker's TX queue, and its RX queue when has_rx_queue
    bool has_rx_queue = true;    // false: it receives only what other workers hand it
    // Software steering (ports without RSS, or DHCP on several workers): frames owned by
    // another worker go over `handoff`; `steer_by_address` spreads Pis by source address.
    HandoffRings* handoff = nullptr;
    std::uint32_t worker_index = 0;
    bool steer_by_address = false;
    std::int32_t dhcp_worker = -1;  // the worker that serves DHCP, when one does
    std::uint16_t dhcp_port = 67;   // (attach_dhcp sets it on the worker that serves DHCP)
    proto::LocalAddress local{};    // our MAC and IPv4 address (host order)
    proto::Ipv4 subnet_broadcast;   // unset: none
    std::uint32_t subnet_mask = 0;  // the prefix's mask
    // The router for addresses outside the subnet (0: none): replies to them go to its MAC,
    // learnt with ARP and shared by all workers through `gateway_mac`.
    proto::Ipv4 gateway_ip;
    GatewayMac* gateway_mac = nullptr;
    std::uint16_t tid_base = 1024;  // this worker's TIDs: [tid_base, tid_base + tftp.max_transfers)
    rte_mempool* pool = nullptr;
    bool verify_udp_checksum = true;
    bool tx_checksum_offload = false;  // the port computes UDP checksums (RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
    bool tx_chain = true;              // the port sends mbuf chains (MULTI_SEGS): DATA goes zero-copy
    // tftp.cache.arena's DMA region, registered once for every worker (tx_chain). Null with no
    // shared arena: the worker registers its own.
    std::shared_ptr<DmaRegion> cache_dma;
    std::size_t payload_sum_entries = 1u << 16;  // memo of payload checksum sums (software checksums)
    proto::Nanos spin_before_sleep = 200'000;    // idle time spent polling before the first sleep
    TftpServiceConfig tftp{};
};

class DpdkWorker final : private TftpTransport, private DhcpTransport {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<DpdkWorker>> create(const DpdkWorkerConfig& cfg);
    ~DpdkWorker() override;
    DpdkWorker(const DpdkWorker&) = delete;
    DpdkWorker& operator=(const DpdkWorker&) = delete;

    // One pass: receive a burst, answer it, run timers and disk completions, send. Returns the
    // number of frames received (0: idle).
    unsigned poll_once(proto::Nanos now);
    // Polls until `stop`; sleeps with exponential back-off (up to 1 ms) when idle.
    void run(const std::atomic<bool>& stop);
    // Gratuitous ARP for our address (and, from worker 0, a request for the gateway's MAC).
    void announce();
    // Serves DHCP on `port` from this worker (the single writer of the lease table).
    [[nodiscard]] proto::Result<> attach_dhcp(const DhcpEngineConfig& cfg, std::uint16_t port);
    [[nodiscard]] DhcpEngine* dhcp() noexcept { return dhcp_.get(); }
    // The block cache as the NIC sees it: nullptr when DATA is copied (no chains, or IOVA as PA).
    [[nodiscard]] const DmaRegion* cache_dma() const noexcept { return dma_.get(); }

    [[nodiscard]] const WorkerCounters& counters() const noexcept { return service_->counters(); }
    [[nodiscard]] std::uint32_t waiting_on_disk() const noexcept { return service_->waiting_on_disk(); }
    // When poll_once() next has TFTP timer work, or -1.
    [[nodiscard]] proto::Nanos next_deadline() const noexcept { return service_->next_deadline(); }
    // Its events out and its mailbox in (worker_channel.h).
    [[nodiscard]] WorkerChannel& channel() noexcept { return *channel_; }

private:
    explicit DpdkWorker(const DpdkWorkerConfig& cfg);
    [[nodiscard]] proto::Result<> init();
    void handle(rte_mbuf* m, proto::Nanos now);
    // Passes a frame another worker owns over its hand-off ring; false when it is ours.
    bool hand_off(rte_mbuf* m);
    // ARP for the gateway: learn its MAC from what it sends us; ask again while unknown (every
    // second) and to refresh it (every minute), from worker 0.
    void learn_gateway(const proto::FrameInfo& f);
    void refresh_gateway(proto::Nanos now);
    // Where a datagram to `ip` goes on the wire: the gateway for other subnets when known.
    [[nodiscard]] const proto::Mac& next_hop(proto::Ipv4 ip, const proto::Mac& sender) const noexcept;
    // Copies a frame into a new mbuf and queues it; false when no mbuf was free.
    bool queue_frame(const std::uint8_t* data, std::size_t len);
    // A UDP datagram: headers and the first piece in one mbuf; block-cache pieces chained as
    // external buffers (no copy), anything else copied.
    bool queue_udp(const Endpoint& to, proto::Ipv4 from_ip, std::uint16_t from_port, std::span<const iovec> pieces);
    // The partial checksum sum of a datagram's pieces (block-cache pieces from the memo) and
    // their total length.
    std::uint16_t payload_sum(std::span<const iovec> pieces, std::span<const std::int32_t> chunks, std::size_t& len);
    // Points `seg` at a block-cache piece (an external buffer) and pins the chunk.
    void attach_cache_piece(rte_mbuf* seg, const iovec& piece, std::int32_t chunk);
    static void release_chunk(void* addr, void* opaque);
    void flush();

    // TftpTransport: TIDs are ports of this worker's range.
    TidOpen open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) override;
    void close_tid(std::uint32_t slot) override;
    std::uint32_t send(std::uint32_t slot, std::span<const TxDatagram> datagrams) override;
    void send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) override;
    // DhcpTransport: replies as frames (broadcast, or to the sender's MAC for relays and renewals).
    bool send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes,
                   const DhcpOrigin& origin) override;

    struct Tid {
        Endpoint client;
        proto::Ipv4 local_ip;
        bool open = false;
    };

    DpdkWorkerConfig cfg_;
    std::unique_ptr<WorkerChannel> channel_;
    std::unique_ptr<TftpService> service_;
    std::shared_ptr<DmaRegion> dma_;  // the cache arena, readable by the NIC (zero copy); goes before the cache
    std::vector<Tid> tids_;
    std::array<rte_mbuf*, 64> tx_{};
    unsigned tx_count_ = 0;
    std::uint16_t ip_id_ = 0;
    std::array<std::uint8_t, 1600> reply_buf_{};  // ARP and ping replies are built here
    std::unique_ptr<DhcpEngine> dhcp_;
    // One external-buffer descriptor per cache chunk: its reference count is the number of
    // mbufs pointing into the chunk, and its free callback unpins the chunk.
    struct ChunkRef {
        DpdkWorker* worker = nullptr;
        std::int32_t chunk = 0;
    };
    std::vector<ChunkRef> chunk_refs_;
    std::unique_ptr<rte_mbuf_ext_shared_info[]> shinfo_;
    PayloadSumMemo sums_;
    proto::Mac gateway_mac_{};
    bool gateway_known_ = false;
    proto::Nanos next_gateway_arp_ = 0;
};

}  // namespace rackboot::dataplane
