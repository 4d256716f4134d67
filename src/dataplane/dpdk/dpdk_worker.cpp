#include "dataplane/dpdk/dpdk_worker.h"

#include <arpa/inet.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/monotonic_clock.h"
#include "proto/inet_checksum.h"
#include "proto/net_frames.h"

namespace rackboot::dataplane {

using proto::Nanos;

namespace {

constexpr std::uint16_t kTftpPort = 69;
constexpr unsigned kBurst = 32;
constexpr unsigned kRxRounds = 8;  // bursts read per poll, at most

}  // namespace

DpdkWorker::DpdkWorker(const DpdkWorkerConfig& cfg) : cfg_(cfg), sums_(cfg.payload_sum_entries) {
}

proto::Result<std::unique_ptr<DpdkWorker>> DpdkWorker::create(const DpdkWorkerConfig& cfg) {
    std::unique_ptr<DpdkWorker> w(new DpdkWorker(cfg));
    if (proto::Result<> ok = w->init(); !ok) return tl::unexpected(ok.error());
    return w;
}

proto::Result<> DpdkWorker::init() {
    if (std::uint32_t{cfg_.tid_base} + cfg_.tftp.max_transfers > 65536) {
        return proto::failure("the TID port range of worker " + std::to_string(cfg_.tftp.id) + " passes port 65535");
    }
    tids_.resize(cfg_.tftp.max_transfers);
    channel_ = std::make_unique<WorkerChannel>(cfg_.tftp.max_transfers);
    cfg_.tftp.events = &channel_->events;
    auto service = TftpService::create(cfg_.tftp, *this);
    if (!service) return tl::unexpected(service.error());
    service_ = std::move(*service);
    if (cfg_.tx_chain && cfg_.cache_dma != nullptr) {
        dma_ = cfg_.cache_dma;  // the shared arena's, registered once by the backend
    } else if (cfg_.tx_chain && cfg_.tftp.cache.arena == nullptr) {
        BlockCache& cache = service_->cache();  // a worker alone (tests): its own arena
        auto dma = DmaRegion::create(cfg_.port_id, cache.arena_base(), cache.arena_bytes());
        if (!dma) return tl::unexpected(dma.error());
        dma_ = std::move(*dma);
    } else if (cfg_.tx_chain) {
        return proto::failure("zero copy from a shared block cache needs its DMA region");
    }
    std::size_t chunks = service_->cache().chunk_count();
    chunk_refs_.resize(chunks);
    shinfo_ = std::make_unique<rte_mbuf_ext_shared_info[]>(chunks);
    for (std::size_t i = 0; i < chunks; ++i) {
        chunk_refs_[i] = ChunkRef{this, static_cast<std::int32_t>(i)};
        shinfo_[i].free_cb = &DpdkWorker::release_chunk;
        shinfo_[i].fcb_opaque = &chunk_refs_[i];
        rte_mbuf_ext_refcnt_set(&shinfo_[i], 0);
    }
    return {};
}

void DpdkWorker::release_chunk(void*, void* opaque) {
    // The last mbuf pointing into the chunk was freed (by the PMD after transmit, on this
    // worker's thread): the cache may evict it again.
    auto* ref = static_cast<ChunkRef*>(opaque);
    ref->worker->service_->cache().unpin(ref->chunk);
}

void DpdkWorker::attach_cache_piece(rte_mbuf* seg, const iovec& piece, std::int32_t chunk) {
    rte_mbuf_ext_shared_info* sh = &shinfo_[static_cast<std::size_t>(chunk)];
    BlockCache& cache = service_->cache();
    if (cache.pins(chunk) == 0) {
        rte_mbuf_ext_refcnt_set(sh, 1);
        cache.pin(chunk);
    } else {
        rte_mbuf_ext_refcnt_update(sh, 1);
    }
    // Zero copy runs with IOVA as VA only, the arena registered and mapped for the NIC (dma_):
    // the NIC reads the piece at its virtual address.
    rte_pktmbuf_attach_extbuf(seg, piece.iov_base, reinterpret_cast<std::uintptr_t>(piece.iov_base),
                              static_cast<std::uint16_t>(piece.iov_len), sh);
    seg->data_len = static_cast<std::uint16_t>(piece.iov_len);
    seg->pkt_len = static_cast<std::uint32_t>(piece.iov_len);
}

DpdkWorker::~DpdkWorker() {
    for (unsigned i = 0; i < tx_count_; ++i) rte_pktmbuf_free(tx_[i]);
}

void DpdkWorker::announce() {
    std::array<std::uint8_t, 64> f{};
    std::size_t n = proto::build_arp_request(f, cfg_.local, proto::Ipv4(), true);
    if (n > 0) queue_frame(f.data(), n);
    refresh_gateway(monotonic_now());
    flush();
}

void DpdkWorker::learn_gateway(const proto::FrameInfo& f) {
    if (cfg_.gateway_ip.unset() || f.src_ip != cfg_.gateway_ip) return;
    std::uint64_t packed = 0;
    for (std::uint8_t b : f.src_mac) packed = (packed << 8) | b;
    packed |= 1ULL << 63;
    if (cfg_.gateway_mac != nullptr) cfg_.gateway_mac->packed.store(packed, std::memory_order_relaxed);
    gateway_mac_ = f.src_mac;
    gateway_known_ = true;
}

void DpdkWorker::refresh_gateway(Nanos now) {
    if (cfg_.gateway_ip.unset()) return;
    if (cfg_.gateway_mac != nullptr) {  // what another worker learnt
        std::uint64_t packed = cfg_.gateway_mac->packed.load(std::memory_order_relaxed);
        if ((packed >> 63) != 0) {
            for (int i = 5; i >= 0; --i, packed >>= 8)
                gateway_mac_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(packed);
            gateway_known_ = true;
        }
    }
    if (cfg_.worker_index != 0 || now < next_gateway_arp_) return;
    std::array<std::uint8_t, 64> f{};
    std::size_t n = proto::build_arp_request(f, cfg_.local, cfg_.gateway_ip, false);
    if (n > 0 && queue_frame(f.data(), n)) service_->counters().arp_requests.add();
    next_gateway_arp_ = now + (gateway_known_ ? 60 : 1) * proto::kSecond;
}

const proto::Mac& DpdkWorker::next_hop(proto::Ipv4 ip, const proto::Mac& sender) const noexcept {
    bool off_link =
        (ip.value() & cfg_.subnet_mask) != (cfg_.local.ip.value() & cfg_.subnet_mask) && ip != proto::Ipv4::broadcast();
    return off_link && gateway_known_ ? gateway_mac_ : sender;
}

proto::Result<> DpdkWorker::attach_dhcp(const DhcpEngineConfig& cfg, std::uint16_t port) {
    cfg_.dhcp_port = port;
    auto engine = DhcpEngine::create(cfg, *this);
    if (!engine) return tl::unexpected(engine.error());
    dhcp_ = std::move(*engine);
    dhcp_->report_to(channel_->events);
    return {};
}

unsigned DpdkWorker::poll_once(Nanos now) {
    if (dhcp_) dhcp_->begin_batch(service_->counters());  // replies whose leases are now durable
    refresh_gateway(now);
    std::array<rte_mbuf*, kBurst> rx{};
    unsigned total = 0;
    // What waits in the queue is read before the timers run (up to kRxRounds bursts): an ACK
    // already here must not find its DATA resent (a spurious duplicate a Pi 4 may hang on).
    for (unsigned round = 0; cfg_.has_rx_queue && round < kRxRounds; ++round) {
        std::uint16_t n = rte_eth_rx_burst(cfg_.port_id, cfg_.queue_id, rx.data(), kBurst);
        for (std::uint16_t i = 0; i < n; ++i) {
            if (hand_off(rx[i])) continue;
            handle(rx[i], now);
            rte_pktmbuf_free(rx[i]);
        }
        total += n;
        if (n < kBurst) break;
    }
    if (cfg_.handoff != nullptr) {
        for (std::uint32_t from = 0; from < cfg_.handoff->workers(); ++from) {
            if (from == cfg_.worker_index) continue;
            unsigned n = rte_ring_sc_dequeue_burst(cfg_.handoff->ring(from, cfg_.worker_index),
                                                   reinterpret_cast<void**>(rx.data()), kBurst, nullptr);
            for (unsigned i = 0; i < n; ++i) {
                handle(rx[i], now);
                rte_pktmbuf_free(rx[i]);
            }
            total += n;
        }
    }
    if (dhcp_) {
        dhcp_->end_batch();
        dhcp_->tick(service_->counters());
    }
    service_->poll(now);
    flush();
    return total;
}

bool DpdkWorker::hand_off(rte_mbuf* m) {
    if (cfg_.handoff == nullptr) return false;
    proto::Ipv4 src_ip;
    std::uint16_t dst_port = 0;
    if (!proto::peek_udp_owner_key(proto::ConstBytes(rte_pktmbuf_mtod(m, const std::uint8_t*), rte_pktmbuf_data_len(m)),
                                   src_ip, dst_port)) {
        return false;  // ARP, ICMP and the rest are answered (or dropped) where they land
    }
    std::uint32_t owner = cfg_.worker_index;
    if (cfg_.dhcp_worker >= 0 && dst_port == cfg_.dhcp_port) {
        owner = static_cast<std::uint32_t>(cfg_.dhcp_worker);
    } else if (cfg_.steer_by_address) {
        owner = owner_of_address(src_ip, cfg_.handoff->workers());
    }
    if (owner == cfg_.worker_index) return false;
    WorkerCounters& c = service_->counters();
    if (rte_ring_sp_enqueue(cfg_.handoff->ring(cfg_.worker_index, owner), m) != 0) {
        c.drop(TransportDrop::handoff_full);
        rte_pktmbuf_free(m);
        return true;
    }
    c.handoff_frames.add();
    return true;
}

void DpdkWorker::run(const std::atomic<bool>& stop) {
    Nanos idle_since = 0;
    long sleep_us = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        service_->quiescent_point();  // holds nothing from the boot map across iterations
        Nanos now = monotonic_now();
        serve_mailbox(*channel_, *service_, dhcp_.get(), now);
        if (poll_once(now) > 0) {
            idle_since = 0;
            sleep_us = 0;
            continue;
        }
        // Idle back-off: keep spinning while the peer may still be answering (a closed loop of
        // clients pauses for tens of microseconds between bursts; sleeping then costs far more
        // than it saves), then sleep 10 us, doubling up to 1 ms, so an idle appliance does not
        // hold its cores at 100%.
        if (idle_since == 0) idle_since = now;
        if (now - idle_since < cfg_.spin_before_sleep) continue;
        sleep_us = sleep_us == 0 ? 10 : std::min<long>(sleep_us * 2, 1000);
        timespec ts{0, sleep_us * 1000};
        nanosleep(&ts, nullptr);
    }
    service_->abandon_all(monotonic_now());
    flush();
}

void DpdkWorker::handle(rte_mbuf* m, Nanos now) {
    WorkerCounters& c = service_->counters();
    c.rx_packets.add();
    if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
        c.drop(TransportDrop::unreadable_frame);  // the frame may be whole: no mbuf to join it into
        return;
    }
    proto::ConstBytes frame(rte_pktmbuf_mtod(m, const std::uint8_t*), rte_pktmbuf_data_len(m));
    // Where the port verified the UDP checksum, trust it; where it could not, check it here.
    bool l4_good = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    proto::FrameInfo f =
        proto::classify_frame(frame, cfg_.local, cfg_.subnet_broadcast, cfg_.verify_udp_checksum && !l4_good);
    std::array<std::uint8_t, 1600>& out = reply_buf_;
    switch (f.kind) {
        case proto::FrameInfo::Kind::Drop: c.frame_drops[static_cast<std::size_t>(f.drop)].add(); return;
        case proto::FrameInfo::Kind::ArpReply:
            learn_gateway(f);  // clients' MACs come with their requests; only the gateway's is asked for
            return;
        case proto::FrameInfo::Kind::ArpRequest: {
            learn_gateway(f);
            std::size_t n = proto::build_arp_reply(out, cfg_.local, f);
            if (n > 0 && queue_frame(out.data(), n)) c.arp_replies.add();
            return;
        }
        case proto::FrameInfo::Kind::IcmpEcho: {
            std::size_t n = proto::build_icmp_echo_reply(out, cfg_.local, f);
            if (n > 0 && queue_frame(out.data(), n)) c.icmp_replies.add();
            return;
        }
        case proto::FrameInfo::Kind::Udp:
            if (f.partial_checksum) c.udp_partial_checksums.add();
            break;
    }
    Endpoint from{f.src_ip, f.src_port, f.src_mac};
    if (f.dst_port == cfg_.dhcp_port && dhcp_) {
        dhcp_->on_datagram(f.payload.data(), f.payload.size(), false, DhcpOrigin{cfg_.local.ip, 0, f.src_mac}, c);
        return;
    }
    if (f.dst_port == kTftpPort) {
        service_->on_request(f.payload.data(), f.payload.size(), from, cfg_.local.ip, now);
        return;
    }
    if (f.dst_port >= cfg_.tid_base && static_cast<std::size_t>(f.dst_port - cfg_.tid_base) < tids_.size()) {
        std::uint32_t slot = f.dst_port - cfg_.tid_base;
        const Tid& t = tids_[slot];
        // RFC 1350: a TID answers only its own client address and port.
        if (t.open && t.client.ip == from.ip && t.client.port == from.port) {
            service_->on_tid_datagram(slot, f.payload.data(), f.payload.size(), now);
            return;
        }
    }
    c.drop(TransportDrop::unserved_port);
}

bool DpdkWorker::queue_frame(const std::uint8_t* data, std::size_t len) {
    rte_mbuf* m = rte_pktmbuf_alloc(cfg_.pool);
    if (m == nullptr) return false;
    char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(len));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return false;
    }
    std::memcpy(p, data, len);
    if (tx_count_ == tx_.size()) flush();
    tx_[tx_count_++] = m;
    return true;
}

std::uint16_t DpdkWorker::payload_sum(std::span<const iovec> pieces, std::span<const std::int32_t> chunks,
                                      std::size_t& len) {
    BlockCache& cache = service_->cache();
    WorkerCounters& c = service_->counters();
    proto::InetChecksum sum;
    len = 0;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const auto* p = static_cast<const std::uint8_t*>(pieces[i].iov_base);
        auto n = static_cast<std::uint32_t>(pieces[i].iov_len);
        if (chunks[i] >= 0) {
            BlockCache::Where at = cache.where(p, chunks[i]);
            bool hit = false;
            sum.add_sum(sums_.sum(at.fill, at.offset, p, n, hit), n);
            if (hit) c.tx_payload_sums_reused.add();
        } else {
            sum.add(proto::ConstBytes(p, n));
        }
        len += n;
    }
    return sum.partial();
}

bool DpdkWorker::queue_udp(const Endpoint& to, proto::Ipv4 from_ip, std::uint16_t from_port,
                           std::span<const iovec> pieces) {
    BlockCache& cache = service_->cache();
    WorkerCounters& c = service_->counters();
    // Which pieces are block-cache memory: those are chained as external buffers (zero copy)
    // where the port takes chains; the rest (headers, OACK, netascii output) is copied into the
    // head mbuf.
    std::array<std::int32_t, 3> chunks{-1, -1, -1};
    for (std::size_t i = 0; i < pieces.size(); ++i) chunks[i] = cache.chunk_of(pieces[i].iov_base);
    std::size_t first_ext = pieces.size();  // pieces [first_ext, end) are all cache memory
    while (cfg_.tx_chain && first_ext > 0 && chunks[first_ext - 1] >= 0) --first_ext;
    std::size_t head_bytes = 0;
    for (std::size_t i = 0; i < first_ext; ++i) head_bytes += pieces[i].iov_len;
    proto::Ipv4 src = from_ip;
    proto::Ipv4 dst = to.ip;
    std::size_t payload = 0;
    std::uint16_t sum = 0;
    if (cfg_.tx_checksum_offload) {
        for (const iovec& v : pieces) payload += v.iov_len;
    } else {
        std::uint16_t body = payload_sum(pieces, std::span<const std::int32_t>(chunks.data(), pieces.size()), payload);
        sum = proto::udp_checksum(src, dst, from_port, to.port, payload, body);
    }
    // The head mbuf and one per cache piece, in one call to the pool.
    const auto segs = static_cast<unsigned>(pieces.size() - first_ext);
    std::array<rte_mbuf*, 4> mbufs{};
    if (rte_pktmbuf_alloc_bulk(cfg_.pool, mbufs.data(), 1 + segs) != 0) return false;
    rte_mbuf* m = mbufs[0];
    auto* p = reinterpret_cast<std::uint8_t*>(
        rte_pktmbuf_append(m, static_cast<std::uint16_t>(proto::kUdpFrameOverhead + head_bytes)));
    if (p == nullptr) {
        rte_pktmbuf_free_bulk(mbufs.data(), 1 + segs);
        return false;
    }
    proto::MutableBytes out(p, proto::kUdpFrameOverhead + head_bytes);
    (void)proto::build_udp_headers(out, cfg_.local.mac, next_hop(dst, to.mac), src, dst, from_port, to.port, payload,
                                   ip_id_++, sum);
    if (cfg_.tx_checksum_offload) {
        // The port sums the datagram; it wants the pseudo-header's sum in the checksum field.
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
        m->l2_len = proto::kEthHeaderSize;
        m->l3_len = proto::kIpv4HeaderSize;
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + proto::kEthHeaderSize);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(p + proto::kEthHeaderSize + proto::kIpv4HeaderSize);
        udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
        c.tx_checksum_offloaded.add();
    }
    std::size_t at = proto::kUdpFrameOverhead;
    for (std::size_t i = 0; i < first_ext; ++i) {
        std::memcpy(p + at, pieces[i].iov_base, pieces[i].iov_len);
        at += pieces[i].iov_len;
    }
    if (first_ext > 1) c.tx_copied_bytes.add(head_bytes - pieces[0].iov_len);  // beyond the TFTP header
    rte_mbuf* tail = m;
    for (std::size_t i = first_ext; i < pieces.size(); ++i) {
        rte_mbuf* seg = mbufs[1 + i - first_ext];
        attach_cache_piece(seg, pieces[i], chunks[i]);
        tail->next = seg;
        tail = seg;
        m->nb_segs = static_cast<std::uint16_t>(m->nb_segs + 1);
        m->pkt_len += seg->data_len;
        c.tx_zero_copy_bytes.add(pieces[i].iov_len);
    }
    if (tx_count_ == tx_.size()) flush();
    tx_[tx_count_++] = m;
    return true;
}

void DpdkWorker::flush() {
    unsigned sent = 0;
    // A few tries while the TX ring drains; what still does not fit is dropped and counted (the
    // retransmit timer covers TFTP).
    for (int tries = 0; tries < 4 && sent < tx_count_; ++tries) {
        sent += rte_eth_tx_burst(cfg_.port_id, cfg_.queue_id, tx_.data() + sent,
                                 static_cast<std::uint16_t>(tx_count_ - sent));
    }
    WorkerCounters& c = service_->counters();
    for (unsigned i = sent; i < tx_count_; ++i) {
        rte_pktmbuf_free(tx_[i]);
        c.drop(TransportDrop::tx_failed);
    }
    tx_count_ = 0;
}

TidOpen DpdkWorker::open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) {
    if (slot >= tids_.size()) return TidOpen::failed;
    tids_[slot] = Tid{client, local_ip, true};
    return TidOpen::opened;
}

void DpdkWorker::close_tid(std::uint32_t slot) {
    tids_[slot].open = false;
}

std::uint32_t DpdkWorker::send(std::uint32_t slot, std::span<const TxDatagram> datagrams) {
    const Tid& t = tids_[slot];
    std::uint32_t n = 0;
    for (const TxDatagram& d : datagrams) {
        if (!queue_udp(t.client, t.local_ip, static_cast<std::uint16_t>(cfg_.tid_base + slot),
                       std::span<const iovec>(d.iov.data(), d.iovcnt))) {
            break;
        }
        ++n;
    }
    return n;
}

bool DpdkWorker::send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes,
                           const DhcpOrigin& origin) {
    Endpoint to;
    if (reply.dest == proto::DhcpReply::Dest::Broadcast) {
        to = Endpoint{proto::Ipv4::broadcast(), static_cast<std::uint16_t>(cfg_.dhcp_port + 1), proto::kBroadcastMac};
    } else {
        // A relay or a configured client sent the request: answer its MAC, no ARP needed.
        bool relay = reply.dest == proto::DhcpReply::Dest::Relay;
        to = Endpoint{proto::Ipv4(reply.dest_ip),
                      static_cast<std::uint16_t>(relay ? cfg_.dhcp_port : cfg_.dhcp_port + 1), origin.peer_mac};
    }
    iovec piece{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
    return queue_udp(to, cfg_.local.ip, cfg_.dhcp_port, std::span<const iovec>(&piece, 1));
}

void DpdkWorker::send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) {
    iovec piece{const_cast<std::uint8_t*>(datagram.data()), datagram.size()};
    queue_udp(to, cfg_.local.ip, kTftpPort, std::span<const iovec>(&piece, 1));
}

}  // namespace rackboot::dataplane
