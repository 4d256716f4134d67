#include "dataplane/dpdk_worker.h"

#include <arpa/inet.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/monotonic_clock.h"
#include "proto/net_frames.h"

namespace rackboot::dataplane {

using proto::Nanos;

namespace {

constexpr std::uint16_t kTftpPort = 69;
constexpr unsigned kBurst = 32;

}  // namespace

DpdkWorker::DpdkWorker(const DpdkWorkerConfig& cfg) : cfg_(cfg) {}

std::unique_ptr<DpdkWorker> DpdkWorker::create(const DpdkWorkerConfig& cfg, std::string& error) {
    std::unique_ptr<DpdkWorker> w(new DpdkWorker(cfg));
    if (!w->init(error)) return nullptr;
    return w;
}

bool DpdkWorker::init(std::string& error) {
    if (std::uint32_t{cfg_.tid_base} + cfg_.tftp.max_transfers > 65536) {
        error = "the TID port range of worker " + std::to_string(cfg_.tftp.id) + " passes port 65535";
        return false;
    }
    tids_.resize(cfg_.tftp.max_transfers);
    service_ = TftpService::create(cfg_.tftp, *this, error);
    if (!service_) return false;
    std::size_t chunks = service_->cache().chunk_count();
    chunk_refs_.resize(chunks);
    shinfo_ = std::make_unique<rte_mbuf_ext_shared_info[]>(chunks);
    for (std::size_t i = 0; i < chunks; ++i) {
        chunk_refs_[i] = ChunkRef{this, static_cast<std::int32_t>(i)};
        shinfo_[i].free_cb = &DpdkWorker::release_chunk;
        shinfo_[i].fcb_opaque = &chunk_refs_[i];
        rte_mbuf_ext_refcnt_set(&shinfo_[i], 0);
    }
    return true;
}

void DpdkWorker::release_chunk(void*, void* opaque) {
    // The last mbuf pointing into the chunk was freed (by the PMD after transmit, on this
    // worker's thread): the cache may evict it again.
    auto* ref = static_cast<ChunkRef*>(opaque);
    ref->worker->service_->cache().unpin(ref->chunk);
}

rte_mbuf* DpdkWorker::attach_cache_piece(const iovec& piece, std::int32_t chunk) {
    rte_mbuf* seg = rte_pktmbuf_alloc(cfg_.pool);
    if (seg == nullptr) return nullptr;
    rte_mbuf_ext_shared_info* sh = &shinfo_[static_cast<std::size_t>(chunk)];
    BlockCache& cache = service_->cache();
    if (cache.pins(chunk) == 0) {
        rte_mbuf_ext_refcnt_set(sh, 1);
        cache.pin(chunk);
    } else {
        rte_mbuf_ext_refcnt_update(sh, 1);
    }
    // Vdevs (af_packet, memif, ring) use virtual addresses; a PCI NIC needs the arena registered
    // for DMA, which rte_mem_virt2iova then resolves.
    rte_pktmbuf_attach_extbuf(seg, piece.iov_base, rte_mem_virt2iova(piece.iov_base),
                              static_cast<std::uint16_t>(piece.iov_len), sh);
    seg->data_len = static_cast<std::uint16_t>(piece.iov_len);
    seg->pkt_len = static_cast<std::uint32_t>(piece.iov_len);
    return seg;
}

DpdkWorker::~DpdkWorker() {
    for (unsigned i = 0; i < tx_count_; ++i) rte_pktmbuf_free(tx_[i]);
}

void DpdkWorker::announce() {
    std::array<std::uint8_t, 64> f{};
    std::size_t n = proto::build_arp_request(f, cfg_.local, 0, true);
    if (n > 0) queue_frame(f.data(), n);
    flush();
}

bool DpdkWorker::attach_dhcp(const DhcpEngineConfig& cfg, std::uint16_t port, std::string& error) {
    dhcp_port_ = port;
    dhcp_ = DhcpEngine::create(cfg, *this, error);
    return dhcp_ != nullptr;
}

unsigned DpdkWorker::poll_once(Nanos now) {
    if (dhcp_) dhcp_->begin_batch(service_->counters());  // replies whose leases are now durable
    std::array<rte_mbuf*, kBurst> rx{};
    std::uint16_t n = rte_eth_rx_burst(cfg_.port_id, cfg_.queue_id, rx.data(), kBurst);
    for (std::uint16_t i = 0; i < n; ++i) {
        handle(rx[i], now);
        rte_pktmbuf_free(rx[i]);
    }
    if (dhcp_) {
        dhcp_->end_batch();
        dhcp_->tick(service_->counters());
    }
    service_->poll(now);
    flush();
    return n;
}

void DpdkWorker::run(const std::atomic<bool>& stop) {
    unsigned idle = 0;
    long sleep_us = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        if (poll_once(monotonic_now()) > 0) {
            idle = 0;
            sleep_us = 0;
            continue;
        }
        // Idle back-off: spin briefly, then sleep 10 us, doubling up to 1 ms, so an idle
        // appliance does not hold its cores at 100%.
        if (++idle < 256) continue;
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
        c.frame_drops[static_cast<std::size_t>(proto::FrameDrop::runt)].add();
        return;
    }
    proto::ConstBytes frame(rte_pktmbuf_mtod(m, const std::uint8_t*), rte_pktmbuf_data_len(m));
    // Where the port verified the UDP checksum, trust it; where it could not, check it here.
    bool l4_good = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    proto::FrameInfo f = proto::classify_frame(frame, cfg_.local, cfg_.subnet_broadcast, cfg_.verify_udp_checksum && !l4_good);
    std::array<std::uint8_t, 1600>& out = reply_buf_;
    switch (f.kind) {
    case proto::FrameInfo::Kind::Drop:
        c.frame_drops[static_cast<std::size_t>(f.drop)].add();
        return;
    case proto::FrameInfo::Kind::ArpReply:
        return;  // we learn clients' MACs from their requests; nothing to do
    case proto::FrameInfo::Kind::ArpRequest: {
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
    Endpoint from{htonl(f.src_ip), f.src_port, f.src_mac};
    if (f.dst_port == dhcp_port_ && dhcp_) {
        dhcp_->on_datagram(f.payload.data(), f.payload.size(), false, DhcpOrigin{cfg_.local.ip, 0, f.src_mac}, c);
        return;
    }
    if (f.dst_port == kTftpPort) {
        service_->on_request(f.payload.data(), f.payload.size(), from, htonl(cfg_.local.ip), now);
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
    c.drop(DropReason::unserved_port);
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

bool DpdkWorker::queue_udp(const Endpoint& to, std::uint32_t from_ip, std::uint16_t from_port,
                           std::span<const iovec> pieces) {
    std::size_t payload = 0;
    std::array<proto::ConstBytes, 3> bytes{};
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        bytes[i] = proto::ConstBytes(static_cast<const std::uint8_t*>(pieces[i].iov_base), pieces[i].iov_len);
        payload += pieces[i].iov_len;
    }
    std::uint32_t src = ntohl(from_ip);
    std::uint32_t dst = ntohl(to.ip);
    std::uint16_t sum = proto::udp_checksum(src, dst, from_port, to.port, bytes.data(), pieces.size());
    // Copy what is not block-cache memory into the head mbuf (headers, OACK, netascii output);
    // chain cache pieces as external buffers.
    BlockCache& cache = service_->cache();
    std::size_t head_bytes = 0;
    std::size_t first_ext = pieces.size();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (cache.chunk_of(pieces[i].iov_base) >= 0) {
            first_ext = i;
            break;
        }
        head_bytes += pieces[i].iov_len;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(cfg_.pool);
    if (m == nullptr) return false;
    auto* p = reinterpret_cast<std::uint8_t*>(
        rte_pktmbuf_append(m, static_cast<std::uint16_t>(proto::kUdpFrameOverhead + head_bytes)));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return false;
    }
    proto::MutableBytes out(p, proto::kUdpFrameOverhead + head_bytes);
    (void)proto::build_udp_headers(out, cfg_.local.mac, to.mac, src, dst, from_port, to.port, payload, ip_id_++, sum);
    std::size_t at = proto::kUdpFrameOverhead;
    WorkerCounters& c = service_->counters();
    for (std::size_t i = 0; i < first_ext; ++i) {
        std::memcpy(p + at, pieces[i].iov_base, pieces[i].iov_len);
        at += pieces[i].iov_len;
    }
    if (first_ext > 1) c.tx_copied_bytes.add(head_bytes - pieces[0].iov_len);  // beyond the TFTP header
    rte_mbuf* tail = m;
    for (std::size_t i = first_ext; i < pieces.size(); ++i) {
        std::int32_t chunk = cache.chunk_of(pieces[i].iov_base);
        rte_mbuf* seg = chunk >= 0 ? attach_cache_piece(pieces[i], chunk) : nullptr;
        if (seg == nullptr) {
            rte_pktmbuf_free(m);
            return false;
        }
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
        sent += rte_eth_tx_burst(cfg_.port_id, cfg_.queue_id, tx_.data() + sent, static_cast<std::uint16_t>(tx_count_ - sent));
    }
    WorkerCounters& c = service_->counters();
    for (unsigned i = sent; i < tx_count_; ++i) {
        rte_pktmbuf_free(tx_[i]);
        c.drop(DropReason::tx_failed);
    }
    tx_count_ = 0;
}

bool DpdkWorker::open_tid(std::uint32_t slot, const Endpoint& client, std::uint32_t local_ip) {
    if (slot >= tids_.size()) return false;
    tids_[slot] = Tid{client, local_ip, true};
    return true;
}

void DpdkWorker::close_tid(std::uint32_t slot) { tids_[slot].open = false; }

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
        to = Endpoint{htonl(0xffffffffu), static_cast<std::uint16_t>(dhcp_port_ + 1), proto::kBroadcastMac};
    } else {
        // A relay or a configured client sent the request: answer its MAC, no ARP needed.
        bool relay = reply.dest == proto::DhcpReply::Dest::Relay;
        to = Endpoint{htonl(reply.dest_ip), static_cast<std::uint16_t>(relay ? dhcp_port_ : dhcp_port_ + 1), origin.peer_mac};
    }
    iovec piece{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
    return queue_udp(to, htonl(cfg_.local.ip), dhcp_port_, std::span<const iovec>(&piece, 1));
}

void DpdkWorker::send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) {
    iovec piece{const_cast<std::uint8_t*>(datagram.data()), datagram.size()};
    queue_udp(to, htonl(cfg_.local.ip), kTftpPort, std::span<const iovec>(&piece, 1));
}

}  // namespace rackboot::dataplane
