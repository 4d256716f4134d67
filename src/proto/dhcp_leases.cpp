#include "proto/dhcp_leases.h"

#include <algorithm>

namespace rackboot::proto {

namespace {

std::optional<std::uint32_t> serial_number(std::optional<Serial> serial) noexcept {
    return serial ? std::optional<std::uint32_t>(serial->value()) : std::nullopt;
}

}  // namespace

std::string_view to_string(LeaseState s) noexcept {
    switch (s) {
        case LeaseState::Free: return "free";
        case LeaseState::Offered: return "offered";
        case LeaseState::Bound: return "bound";
        case LeaseState::Released: return "released";
        case LeaseState::Declined: return "declined";
    }
    return "unknown";
}

LeaseTable::LeaseTable(const LeaseConfig& cfg, std::uint32_t size)
    : cfg_(cfg),
      subnet_(cfg.subnet.value()),
      pool_start_(cfg.pool_start.value()),
      pool_end_(cfg.pool_end.value()),
      server_ip_(cfg.server_ip.value()),
      mask_(~(size - 1)),
      entries_(size),
      by_mac_(size),
      reserved_by_mac_(static_cast<std::uint32_t>(cfg.mac_reservations.size()) + 1),
      reserved_by_serial_(static_cast<std::uint32_t>(cfg.serial_reservations.size()) + 1) {
}

std::string why_never_offered(const LeaseConfig& cfg, Ipv4 address) {
    std::uint32_t mask = cfg.prefix == 0 ? 0 : ~((std::uint32_t{1} << (32 - cfg.prefix)) - 1);
    std::uint32_t ip = address.value();
    std::uint32_t subnet = cfg.subnet.value();
    if ((ip & mask) != subnet) {
        return "outside the served subnet " + cfg.subnet.to_string() + "/" + std::to_string(cfg.prefix);
    }
    if (ip == subnet) return "the subnet's network address";
    if (ip == (subnet | ~mask)) return "the subnet's broadcast address";
    if (address == cfg.server_ip) return "this server's own address";
    return {};
}

Result<LeaseTable> LeaseTable::create(const LeaseConfig& cfg) {
    if (cfg.prefix < 16 || cfg.prefix > 30) {
        return failure("--subnet: prefix /" + std::to_string(cfg.prefix) + " is outside /16../30");
    }
    std::uint32_t size = 1u << (32 - cfg.prefix);
    std::uint32_t mask = ~(size - 1);
    std::uint32_t subnet = cfg.subnet.value();
    if ((subnet & mask) != subnet) {
        return failure("--subnet: " + cfg.subnet.to_string() + " is not the network address of a /" +
                       std::to_string(cfg.prefix));
    }
    auto inside = [&](Ipv4 ip) {
        return (ip.value() & mask) == subnet && ip.value() != subnet && ip.value() != (subnet | ~mask);
    };
    if (cfg.pool_start > cfg.pool_end || !inside(cfg.pool_start) || !inside(cfg.pool_end)) {
        return failure("--pool: " + cfg.pool_start.to_string() + "-" + cfg.pool_end.to_string() +
                       " is not an ascending range of host addresses inside the subnet");
    }
    LeaseTable t(cfg, size);
    auto reserve = [&](Ipv4 ip, const std::string& who) -> Result<> {
        if (std::string why = why_never_offered(cfg, ip); !why.empty()) {
            return failure("--reserve: " + who + "=" + ip.to_string() +
                           " is not a host address of the subnet we may give out (" + why + ")");
        }
        Entry& e = t.entries_[t.offset(ip.value())];
        if (e.reserved) return failure("--reserve: " + ip.to_string() + " is reserved twice");
        e.reserved = true;
        return {};
    };
    for (const auto& [mac, ip] : cfg.mac_reservations) {
        if (Result<> ok = reserve(ip, "MAC"); !ok) return tl::unexpected(ok.error());
        t.reserved_by_mac_.put(mac.key(), ip.value());
    }
    for (const auto& [serial, ip] : cfg.serial_reservations) {
        if (Result<> ok = reserve(ip, "serial"); !ok) return tl::unexpected(ok.error());
        t.reserved_by_serial_.put(serial.value(), ip.value());
    }
    t.recount(0);
    return t;
}

void LeaseTable::restore(const Lease& l) noexcept {
    if (!in_subnet(l.ip)) return;
    Entry& e = entries_[offset(l.ip.value())];
    e.mac = l.mac.key();
    e.state = l.state;
    e.expires = l.expires;
    e.offered_at = l.state == LeaseState::Offered ? l.expires - cfg_.lease_time : 0;
    e.serial = l.serial.value_or(Serial()).value();
    e.has_serial = l.serial.has_value();
    if (!l.mac.unset()) by_mac_.put(e.mac, l.ip.value());
    counted_at_ = INT64_MIN;  // recount before the next offer
}

bool LeaseTable::available_to_anyone(std::uint32_t ip, std::int64_t now) const noexcept {
    if (ip < pool_start_ || ip > pool_end_ || ip == server_ip_) return false;
    const Entry& e = entries_[offset(ip)];
    return !is_reserved(e, ip) && (e.state == LeaseState::Free || e.expires <= now);
}

void LeaseTable::recount(std::int64_t now) noexcept {
    std::uint32_t n = 0;
    for (std::uint32_t ip = pool_start_; ip <= pool_end_ && ip >= pool_start_; ++ip) {
        n += available_to_anyone(ip, now) ? 1 : 0;
    }
    available_ = n;
    counted_at_ = now;
}

void LeaseTable::track(bool was_available, std::uint32_t ip, std::int64_t now) noexcept {
    bool is = available_to_anyone(ip, now);
    if (was_available && !is && available_ > 0) --available_;
    if (!was_available && is) ++available_;
}

std::optional<Reservation> LeaseTable::reservation(std::uint64_t mac,
                                                   std::optional<std::uint32_t> serial) const noexcept {
    std::uint32_t ip = reserved_by_mac_.find(mac);
    if (ip != FlatIndex::kNone) return Reservation{Ipv4(ip), true};
    if (serial) ip = reserved_by_serial_.find(*serial);
    if (ip != FlatIndex::kNone) return Reservation{Ipv4(ip), false};
    if (dynamic_ == nullptr) return std::nullopt;
    auto pinned =
        dynamic_->reserved_for(Mac::from_key(mac), serial ? std::optional<Serial>(Serial(*serial)) : std::nullopt);
    if (!pinned || !in_subnet(pinned->ip)) return std::nullopt;
    return pinned;
}

bool LeaseTable::usable_by(std::uint32_t ip, std::uint64_t mac, std::optional<std::uint32_t> serial,
                           std::int64_t now) const noexcept {
    if (!in_subnet(ip) || ip == subnet_ || ip == (subnet_ | ~mask_) || ip == server_ip_) return false;
    const Entry& e = entries_[offset(ip)];
    if (is_reserved(e, ip)) {
        auto mine = reservation(mac, serial);
        if (!mine || mine->ip.value() != ip) return false;
        // The MAC the operator reserved it for takes it back from any other holder (one who got
        // it by a claim, or before the reservation was made); only a DECLINE keeps it out.
        if (mine->by_mac && e.state != LeaseState::Declined) return true;
    } else if (ip < pool_start_ || ip > pool_end_) {
        return false;  // outside the pool only reservations are given out
    }
    if (e.mac == mac && e.state != LeaseState::Declined) return true;
    return e.state == LeaseState::Free || e.expires <= now;
}

void LeaseTable::assign(std::uint32_t ip, std::uint64_t mac, std::optional<std::uint32_t> serial,
                        std::int64_t now) noexcept {
    Entry& e = entries_[offset(ip)];
    if (e.mac != 0 && e.mac != mac) by_mac_.erase_if(e.mac, ip);
    if (e.mac != mac) {
        e.tokens = kDiscoverBurst;
        e.tokens_at = now;
    }
    e.written_at = now;
    e.mac = mac;
    e.has_serial = serial.has_value();
    e.serial = serial.value_or(0);
    by_mac_.put(mac, ip);
}

bool LeaseTable::takes_token(Entry& e, std::int64_t now) noexcept {
    std::int64_t gained = (now - e.tokens_at) / kDiscoverRefill;
    if (gained > 0 || now < e.tokens_at) {
        e.tokens = static_cast<std::uint8_t>(
            std::min<std::int64_t>(kDiscoverBurst, e.tokens + std::max<std::int64_t>(gained, 0)));
        e.tokens_at = now;
    }
    if (e.tokens == 0) return false;
    --e.tokens;
    return true;
}

std::uint32_t LeaseTable::pick_free(std::uint64_t mac, std::int64_t now) noexcept {
    // Never-used addresses and lapsed unrequested offers first; an expired lease or a released
    // address (whose client may come back for it) only when no such one is near.
    constexpr std::uint32_t kLookahead = 256;
    std::uint32_t n = pool_size();
    std::uint32_t fallback = 0;
    std::uint32_t fallback_i = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t cand = pool_start_ + (cursor_ + i) % n;
        if (!usable_by(cand, mac, std::nullopt, now)) continue;
        const Entry& e = entries_[offset(cand)];
        if (e.state == LeaseState::Free || e.state == LeaseState::Offered || e.state == LeaseState::Declined) {
            cursor_ = (cursor_ + i + 1) % n;
            return cand;
        }
        if (fallback == 0) {
            fallback = cand;
            fallback_i = i;
        } else if (i - fallback_i > kLookahead) {
            break;
        }
    }
    if (fallback != 0) cursor_ = (cursor_ + fallback_i + 1) % n;
    return fallback;
}

LeaseTable::Offer LeaseTable::offer(Mac client, std::optional<Serial> claimed, Ipv4 asked, bool pi,
                                    std::int64_t now) noexcept {
    const std::uint64_t mac = client.key();
    const std::optional<std::uint32_t> serial = serial_number(claimed);
    const std::uint32_t requested = asked.value();
    Offer out;
    std::uint32_t old = by_mac_.find(mac);
    bool holder = old != FlatIndex::kNone && entries_[offset(old)].mac == mac;
    if (holder && !takes_token(entries_[offset(old)], now)) {
        out.outcome = Offer::Outcome::RateLimited;
        return out;
    }
    if (counted_at_ == INT64_MIN || (available_ <= pi_reserve() + 1 && now - counted_at_ >= 1)) recount(now);
    std::uint32_t ip = 0;
    auto reserved = reservation(mac, serial);
    if (reserved && usable_by(reserved->ip.value(), mac, serial, now)) {
        ip = reserved->ip.value();
    } else if (holder && usable_by(old, mac, serial, now)) {
        ip = old;
    } else if (!pi && available_ <= pi_reserve()) {
        // What is left of the pool is kept for the clients that cannot retry later: Pis.
        out.outcome = available_ == 0 ? Offer::Outcome::NoFreeAddress : Offer::Outcome::ReservedForPis;
        return out;
    } else if (available_ == 0) {
        return out;  // nothing to scan for until the next recount
    } else if (requested != 0 && usable_by(requested, mac, serial, now)) {
        ip = requested;
    } else {
        ip = pick_free(mac, now);
    }
    if (ip == 0) {
        available_ = 0;  // the scan found nothing: trust that until the next recount
        return out;
    }
    Entry& e = entries_[offset(ip)];
    bool same_holder = e.mac == mac;
    bool live = same_holder && (e.state == LeaseState::Offered || e.state == LeaseState::Bound) && e.expires > now;
    out.unrequested_again = same_holder && e.state == LeaseState::Offered && now - e.offered_at >= 2;
    out.outcome = Offer::Outcome::Offered;
    if (live && now - e.written_at < static_cast<std::int64_t>(cfg_.repeat_window)) {
        out.lease = lease_at(ip);  // a repeat: the same offer, nothing new to write
        return out;
    }
    bool was_available = available_to_anyone(ip, now);
    bool bound = live && e.state == LeaseState::Bound;
    assign(ip, mac, serial, now);
    // The Pi may use the offer without REQUESTing: hold it for the whole lease time. Others get a
    // short hold (they REQUEST, which binds the lease), so a flood cannot keep the pool.
    std::int64_t hold = pi ? cfg_.lease_time : std::min(cfg_.offer_hold, cfg_.lease_time);
    if (bound) {
        e.expires = std::max(e.expires, now + hold);
    } else {
        e.state = LeaseState::Offered;
        e.offered_at = now;
        e.expires = now + hold;
    }
    track(was_available, ip, now);
    out.changed = true;
    out.lease = lease_at(ip);
    return out;
}

LeaseTable::Request LeaseTable::request(Mac client, std::optional<Serial> claimed, Ipv4 asked,
                                        std::int64_t now) noexcept {
    const std::uint64_t mac = client.key();
    const std::optional<std::uint32_t> serial = serial_number(claimed);
    const std::uint32_t ip = asked.value();
    Request out;
    auto reserved = reservation(mac, serial);
    bool wrong_reserved = reserved && reserved->ip != asked && usable_by(reserved->ip.value(), mac, serial, now);
    // RFC 2131 4.3.2: a client asking for another address than the one it holds is NAKed (it
    // then starts over and is offered the one it holds); one live lease per client.
    std::uint32_t held = by_mac_.find(mac);
    bool holds_other = false;
    if (held != FlatIndex::kNone && held != ip) {
        const Entry& h = entries_[offset(held)];
        holds_other =
            h.mac == mac && (h.state == LeaseState::Offered || h.state == LeaseState::Bound) && h.expires > now;
    }
    if (ip == 0 || wrong_reserved || holds_other || !usable_by(ip, mac, serial, now)) return out;
    bool was_available = available_to_anyone(ip, now);
    assign(ip, mac, serial, now);
    Entry& e = entries_[offset(ip)];
    e.state = LeaseState::Bound;
    e.expires = now + cfg_.lease_time;
    track(was_available, ip, now);
    out.outcome = Request::Outcome::Ack;
    out.lease = lease_at(ip);
    return out;
}

std::optional<Lease> LeaseTable::withdraw_offer(Mac client, std::int64_t now) noexcept {
    const std::uint64_t mac = client.key();
    std::uint32_t ip = by_mac_.find(mac);
    if (ip == FlatIndex::kNone) return std::nullopt;
    Entry& e = entries_[offset(ip)];
    if (e.mac != mac || e.state != LeaseState::Offered) return std::nullopt;
    bool was_available = available_to_anyone(ip, now);
    by_mac_.erase_if(mac, ip);
    e.mac = 0;
    e.state = LeaseState::Free;
    e.expires = 0;
    track(was_available, ip, now);
    return lease_at(ip);
}

std::optional<Lease> LeaseTable::release(Mac client, Ipv4 address, std::int64_t now) noexcept {
    const std::uint64_t mac = client.key();
    const std::uint32_t ip = address.value();
    if (!in_subnet(ip)) return std::nullopt;
    Entry& e = entries_[offset(ip)];
    if (e.mac != mac || (e.state != LeaseState::Bound && e.state != LeaseState::Offered)) return std::nullopt;
    bool was_available = available_to_anyone(ip, now);
    e.state = LeaseState::Released;  // kept for this MAC while nobody else needs it
    e.expires = now;
    track(was_available, ip, now);
    return lease_at(ip);
}

std::optional<Lease> LeaseTable::decline(Mac client, Ipv4 address, std::int64_t now) noexcept {
    const std::uint64_t mac = client.key();
    const std::uint32_t ip = address.value();
    if (!in_subnet(ip)) return std::nullopt;
    Entry& e = entries_[offset(ip)];
    if (e.mac != mac) return std::nullopt;
    // Someone else answers on this address: keep it out of use for a lease time.
    bool was_available = available_to_anyone(ip, now);
    by_mac_.erase_if(mac, ip);
    e.mac = 0;
    e.state = LeaseState::Declined;
    e.expires = now + cfg_.lease_time;
    track(was_available, ip, now);
    return lease_at(ip);
}

std::uint32_t LeaseTable::in_use(std::int64_t now) const noexcept {
    std::uint32_t n = 0;
    for (const Entry& e : entries_) {
        n += (e.state == LeaseState::Offered || e.state == LeaseState::Bound) && e.expires > now ? 1 : 0;
    }
    return n;
}

Lease LeaseTable::lease_at(Ipv4 ip) const noexcept {
    return lease_at(ip.value());
}

Lease LeaseTable::lease_at(std::uint32_t ip) const noexcept {
    const Entry& e = entries_[offset(ip)];
    return Lease{Ipv4(ip), Mac::from_key(e.mac), e.state, e.expires,
                 e.has_serial ? std::optional<Serial>(Serial(e.serial)) : std::nullopt};
}

}  // namespace rackboot::proto
