#include "dataplane/dhcp_engine.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "dataplane/monotonic_clock.h"

namespace rackboot::dataplane {

namespace {

// How long a boot firmware keeps DISCOVERing before it gives up: the Pi 4/5 EEPROM's DHCP_TIMEOUT,
// the Pi 3 ROM's five DISCOVERs 5 s apart (PI-BOOT.md).
constexpr proto::Nanos kEepromDhcpWindow = 45 * proto::kSecond;
constexpr proto::Nanos kRomDhcpWindow = 25 * proto::kSecond;

std::int64_t wall_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

void fill_record(DhcpRecord& r, const proto::DhcpPacket& req, const proto::DhcpReply& reply, std::uint32_t yiaddr,
                 const DhcpOrigin& origin) noexcept {
    r.mac = req.mac();
    r.xid = req.xid;
    r.is_pi = reply.pi.is_pi;
    r.serial = reply.pi.serial;
    r.model = static_cast<std::uint8_t>(reply.pi.model);
    r.type = req.type;
    r.verdict = reply.verdict;
    r.yiaddr = proto::Ipv4(yiaddr);
    r.via = proto::Ipv4(req.giaddr);
    r.ifindex = static_cast<std::uint32_t>(origin.ifindex);
}

}  // namespace

proto::Result<std::unique_ptr<DhcpEngine>> DhcpEngine::create(const DhcpEngineConfig& cfg, DhcpTransport& transport) {
    std::unique_ptr<DhcpEngine> e(new DhcpEngine(cfg, transport));
    if (cfg.responder.mode == proto::DhcpMode::Server) {
        if (cfg.journal == nullptr || !cfg.journal->ok()) return proto::failure("DHCP server mode needs a lease store");
        auto table = proto::LeaseTable::create(cfg.leases);
        if (!table) return tl::unexpected(table.error());
        e->server_.emplace(cfg.server, std::move(*table));
        e->pending_.resize(kMaxPending);
    }
    e->tx_.resize(1500);
    if (cfg.admission.enabled) {
        e->admission_ = std::make_unique<BootAdmission>(cfg.admission, cfg.path);
        e->held_ = std::make_unique<HeldDiscovers>(std::min<std::uint32_t>(cfg.admission.room, 4096));
    }
    return e;
}

void DhcpEngine::restore(const std::vector<proto::Lease>& leases) {
    if (!server_) return;
    for (const proto::Lease& l : leases) server_->leases().restore(l);
}

void DhcpEngine::begin_batch(WorkerCounters& counters) {
    if (!server_ || pending_count_ == 0) return;
    std::uint64_t committed = cfg_.journal->committed();
    std::int64_t now_ms = monotonic_now() / proto::kMillisecond;
    while (pending_count_ > 0) {
        Pending& p = pending_[pending_head_];
        if (now_ms - p.held_since_ms >= kMaxHoldMs) {
            // Too late to be of use (durable or not): the client has retried, or will.
            p.record.verdict = proto::DhcpVerdict::store_unavailable;
            p.record.yiaddr = proto::Ipv4();
        } else if (p.seq <= committed) {
            p.record.verdict = proto::DhcpVerdict::replied;
            send(p.reply, p.bytes.data(), p.origin, counters);
        } else {
            break;  // FIFO: everything behind waits on a later change
        }
        account(p.record, counters);
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
    const BootMap* map = cfg_.maps != nullptr ? cfg_.maps->current() : nullptr;
    const bool boards = map != nullptr && map->board_count() > 0;
    // Who sent it, read once where identity or admission needs it (a reply reads it for itself).
    const proto::PiIdentity pi =
        boards || admission_ ? proto::recognise_pi(req, cfg_.responder.pi_ouis) : proto::PiIdentity{};
    if (boards) {
        ClientIdentity id = map->identify(req.mac(), pi.serial);
        proto::DhcpVerdict refusal = proto::DhcpVerdict::replied;
        // A serial claimed from a MAC its board does not list (or a board's MAC claiming another
        // serial): nothing is answered, offered, bound or learnt.
        if (id.conflict != nullptr) refusal = proto::DhcpVerdict::identity_conflict;
        // A board with netboot off: its boot firmware gets no answer, so it falls back to its
        // next boot mode as if unknown (its OS's DHCP client, not a PXE one, is still served).
        if (id.board != nullptr && pi.vendor_class && !id.board->netboot) refusal = proto::DhcpVerdict::netboot_off;
        if (refusal != proto::DhcpVerdict::replied) {
            proto::DhcpReply refused;
            refused.pi = pi;
            finish(req, refused, refusal, 0, origin, counters);
            return;
        }
    }
    if (admission_ && pi.vendor_class && req.type == proto::DhcpMessageType::Discover) {
        // A boot firmware's DISCOVER is answered when the path has room for its boot; until then
        // it asks again every few seconds, which costs it nothing (boot_admission.h).
        proto::Nanos window = pi.model >= 4 ? kEepromDhcpWindow : kRomDhcpWindow;
        std::uint64_t mac = req.mac().key();
        proto::Nanos now = monotonic_now();
        if (!admission_->admit(mac, window, now)) {
            // Kept, to be answered the moment room is granted while the Pi still listens.
            (void)held_->keep(mac, proto::ConstBytes(data, len), origin, now);
            proto::DhcpReply held;
            held.pi = pi;
            finish(req, held, proto::DhcpVerdict::held_for_room, 0, origin, counters);
            return;
        }
        held_->forget(mac);  // answered now: an older one is not answered again
    }
    if (admission_ && pi.vendor_class && req.type == proto::DhcpMessageType::Request) {
        admission_->requested(req.mac().key());  // its DHCP is ending: a later DISCOVER is a new boot
    }
    if (!server_) {
        proto::DhcpReply reply = responder_.handle(req, origin.local_ip.value(), tx_);
        if (reply.verdict == proto::DhcpVerdict::replied) send(reply, tx_.data(), origin, counters);
        finish(req, reply, reply.verdict, 0, origin, counters);
        return;
    }
    bool store_down = !cfg_.journal->store_up() && req.type != proto::DhcpMessageType::Inform;
    if (store_down || pending_count_ == kMaxPending || !cfg_.journal->has_room(1)) {
        // No new lease while the store cannot make it durable (down: it retries, and says when
        // it can; behind: too many replies wait on it). Dropped rather than answered.
        proto::DhcpReply refused;
        refused.pi = proto::recognise_pi(req, cfg_.responder.pi_ouis);  // for the record
        finish(req, refused, store_down ? proto::DhcpVerdict::store_unavailable : proto::DhcpVerdict::busy, 0, origin,
               counters);
        return;
    }
    // The boards' pinned addresses, from the map current now: not kept past the call (a later
    // map frees this one once the worker is past it).
    server_->leases().set_reservations(map);
    proto::DhcpServerResult res = server_->handle(req, origin.local_ip.value(), wall_seconds(), tx_);
    server_->leases().set_reservations(nullptr);
    const proto::DhcpReply& reply = res.reply;
    if (res.offer_without_request) {
        counters.dhcp_quirks[static_cast<std::size_t>(DhcpQuirk::offer_without_request)].add();
    }
    // The reply waits for its own change, or (an OFFER repeated from the table, no new write)
    // for whatever the table already holds to be durable.
    std::uint64_t seq = 0;
    if (res.change) {
        seq = cfg_.journal->push(*res.change);
        pushed_ = true;
        counters.dhcp_lease_changes.add();
    } else if (res.yiaddr != 0 && cfg_.journal->last_pushed() > cfg_.journal->committed()) {
        seq = cfg_.journal->last_pushed();
    }
    bool sendable =
        reply.verdict == proto::DhcpVerdict::replied && reply.length > 0 && reply.length <= sizeof(Pending::bytes);
    if (!sendable || seq == 0) {
        if (sendable) send(reply, tx_.data(), origin, counters);  // NAK, INFORM, a durable re-OFFER
        finish(req, reply, reply.verdict, res.yiaddr, origin, counters);
        return;
    }
    Pending& p = pending_[(pending_head_ + pending_count_) % kMaxPending];
    p.seq = seq;
    p.held_since_ms = monotonic_now() / proto::kMillisecond;
    p.reply = reply;
    p.origin = origin;
    std::memcpy(p.bytes.data(), tx_.data(), reply.length);
    fill_record(p.record, req, reply, res.yiaddr, origin);
    ++pending_count_;
}

void DhcpEngine::finish(const proto::DhcpPacket& req, const proto::DhcpReply& reply, proto::DhcpVerdict verdict,
                        std::uint32_t yiaddr, const DhcpOrigin& origin, WorkerCounters& counters) {
    DhcpRecord r;
    fill_record(r, req, reply, verdict == proto::DhcpVerdict::replied ? yiaddr : 0, origin);
    r.verdict = verdict;
    account(r, counters);
}

void DhcpEngine::account(const DhcpRecord& record, WorkerCounters& counters) {
    counters.dhcp_packets[static_cast<std::size_t>(record.type)][static_cast<std::size_t>(record.verdict)].add();
    if (events_ != nullptr && !events_->push(record))
        counters.drop(InternalDrop::log_overflow);  // never blocks: counted
}

void DhcpEngine::send(const proto::DhcpReply& reply, const std::uint8_t* data, const DhcpOrigin& origin,
                      WorkerCounters& counters) {
    if (transport_.send_dhcp(reply, std::span<const std::uint8_t>(data, reply.length), origin)) {
        counters.tx_packets.add();
    } else {
        counters.drop(TransportDrop::tx_failed);
    }
}

LeaseReleaseStep DhcpEngine::release_now(proto::Ipv4 ip) noexcept {
    using proto::LeaseRelease;
    if (!server_) return {LeaseRelease::not_a_server, 0};
    proto::LeaseTable& leases = server_->leases();
    proto::Lease held = leases.in_subnet(ip) ? leases.lease_at(ip) : proto::Lease{};
    bool live =
        !held.mac.unset() && (held.state == proto::LeaseState::Bound || held.state == proto::LeaseState::Offered);
    if (!live) return {LeaseRelease::no_live_lease, 0};
    if (!cfg_.journal->has_room(1)) return {LeaseRelease::not_durable_in_time, 0};  // the store is behind
    // Whether the freed address is anyone's to take reads the boards' pins: the current map's.
    leases.set_reservations(cfg_.maps != nullptr ? cfg_.maps->current() : nullptr);
    auto change = leases.release(held.mac, ip, wall_seconds());
    leases.set_reservations(nullptr);
    if (!change) return {LeaseRelease::no_live_lease, 0};
    LeaseReleaseStep step{LeaseRelease::released, cfg_.journal->push(*change)};
    pushed_ = true;
    end_batch();
    return step;
}

void DhcpEngine::answer_granted(WorkerCounters& counters) {
    std::uint64_t mac = 0;
    bool answered = false;
    proto::Nanos now = monotonic_now();
    while (admission_->next_grant(mac)) {
        if (!held_->take(mac, now, replay_)) continue;  // answered at its next DISCOVER
        // Its held DISCOVER, again: admitted now (it holds the grant), it is answered as any other.
        counters.dhcp_late_answers.add();
        on_datagram(replay_.bytes.data(), replay_.length, false, replay_.origin, counters);
        answered = true;
    }
    if (answered) end_batch();
}

void DhcpEngine::tick(WorkerCounters& counters) {
    if (admission_) {
        admission_->tick(monotonic_now());
        answer_granted(counters);
        BootAdmissionFigures f = admission_->figures();
        counters.dhcp_boots_admitted.set(f.admitted);
        counters.dhcp_boots_waiting.set(f.waiting);
        counters.dhcp_boot_room.set(f.room);
    }
    if (!server_) return;
    begin_batch(counters);  // replies given up on, even when no datagram comes
    std::int64_t now = wall_seconds();
    if (now == last_tick_) return;
    last_tick_ = now;
    counters.dhcp_leases_in_use.set(server_->leases().in_use(now));
    counters.dhcp_replies_held.set(pending_count_);
    counters.dhcp_pool_size.set(server_->leases().pool_size());
}

}  // namespace rackboot::dataplane
