#include "dataplane/dhcp_engine.h"

#include <cstring>
#include <ctime>

namespace rackboot::dataplane {

namespace {

std::int64_t wall_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

}  // namespace

std::unique_ptr<DhcpEngine> DhcpEngine::create(const DhcpEngineConfig& cfg, DhcpTransport& transport,
                                               std::string& error) {
    std::unique_ptr<DhcpEngine> e(new DhcpEngine(cfg, transport));
    if (cfg.responder.mode == proto::DhcpMode::Server) {
        if (cfg.journal == nullptr || !cfg.journal->ok()) {
            error = "DHCP server mode needs a lease store";
            return nullptr;
        }
        auto table = proto::LeaseTable::create(cfg.leases, error);
        if (!table) return nullptr;
        e->server_.emplace(cfg.server, std::move(*table));
        e->pending_.resize(kMaxPending);
    }
    e->tx_.resize(1500);
    return e;
}

void DhcpEngine::restore(const std::vector<proto::Lease>& leases) {
    if (!server_) return;
    for (const proto::Lease& l : leases) server_->leases().restore(l);
}

void DhcpEngine::begin_batch(WorkerCounters& counters) {
    if (!server_ || pending_count_ == 0) return;
    std::uint64_t committed = cfg_.journal->committed();
    while (pending_count_ > 0 && pending_[pending_head_].seq <= committed) {
        Pending& p = pending_[pending_head_];
        send(p.reply, p.bytes.data(), p.origin, counters);
        pending_head_ = (pending_head_ + 1) % kMaxPending;
        --pending_count_;
    }
}

void DhcpEngine::end_batch() {
    if (pushed_) cfg_.journal->notify_store();
    pushed_ = false;
}

void DhcpEngine::on_datagram(const std::uint8_t* data, std::size_t len, bool truncated, const DhcpOrigin& origin,
                             WorkerCounters& counters) {
    proto::DhcpPacket req;
    if (truncated || proto::parse_dhcp(proto::ConstBytes(data, len), req) != proto::DhcpParseError::none) {
        counters.dhcp_packets[0][static_cast<std::size_t>(proto::DhcpVerdict::malformed)].add();
        return;
    }
    proto::DhcpReply reply;
    std::uint32_t yiaddr = 0;
    if (!server_) {
        reply = responder_.handle(req, origin.local_ip.value(), tx_);
        if (reply.verdict == proto::DhcpVerdict::replied) send(reply, tx_.data(), origin, counters);
    } else if (pending_count_ == kMaxPending || !cfg_.journal->has_room(1)) {
        // The lease store is behind: drop rather than answer what cannot be made durable.
        reply.verdict = proto::DhcpVerdict::busy;
    } else {
        proto::DhcpServerResult res = server_->handle(req, origin.local_ip.value(), wall_seconds(), tx_);
        reply = res.reply;
        if (res.offer_without_request) {
            counters.dhcp_quirks[static_cast<std::size_t>(DhcpQuirk::offer_without_request)].add();
        }
        std::uint64_t seq = 0;
        if (res.change) {
            seq = cfg_.journal->push(*res.change);
            pushed_ = true;
        }
        if (reply.length > 0 && reply.length <= sizeof(Pending::bytes)) {
            if (seq == 0) {
                send(reply, tx_.data(), origin, counters);  // NAK, INFORM: nothing to make durable
            } else {
                Pending& p = pending_[(pending_head_ + pending_count_) % kMaxPending];
                p.seq = seq;
                p.reply = reply;
                p.origin = origin;
                std::memcpy(p.bytes.data(), tx_.data(), reply.length);
                ++pending_count_;
            }
        }
        if (res.change && reply.verdict == proto::DhcpVerdict::replied) yiaddr = res.change->ip;
    }
    counters.dhcp_packets[static_cast<std::size_t>(req.type)][static_cast<std::size_t>(reply.verdict)].add();

    DhcpRecord r;
    r.mac = req.mac();
    r.xid = req.xid;
    r.is_pi = reply.pi.is_pi;
    r.has_serial = reply.pi.serial.has_value();
    r.serial = reply.pi.serial.value_or(0);
    r.model = static_cast<std::uint8_t>(reply.pi.model);
    r.type = static_cast<std::uint8_t>(req.type);
    r.verdict = static_cast<std::uint8_t>(reply.verdict);
    r.yiaddr = proto::Ipv4(yiaddr);
    r.via = proto::Ipv4(req.giaddr);
    r.ifindex = static_cast<std::uint32_t>(origin.ifindex);
    records_.push(r);
}

void DhcpEngine::send(const proto::DhcpReply& reply, const std::uint8_t* data, const DhcpOrigin& origin,
                      WorkerCounters& counters) {
    if (transport_.send_dhcp(reply, std::span<const std::uint8_t>(data, reply.length), origin)) {
        counters.tx_packets.add();
    } else {
        counters.drop(TransportDrop::tx_failed);
    }
}

void DhcpEngine::tick(WorkerCounters& counters) {
    if (!server_) return;
    std::int64_t now = wall_seconds();
    if (now == last_tick_) return;
    last_tick_ = now;
    counters.dhcp_leases_in_use.set(server_->leases().in_use(now));
    counters.dhcp_pool_size.set(server_->leases().pool_size());
}

}  // namespace rackboot::dataplane
