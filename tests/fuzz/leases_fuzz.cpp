// Fuzz harness for the lease loader: rows as the store hands them back at start (any address, any
// MAC, any of the five states, any expiry: a database edited by hand, a pool that shrank since,
// duplicated MACs) restored into the lease table, which then serves a script of DISCOVERs,
// REQUESTs, RELEASEs and DECLINEs. Whatever was restored, the table must never give an address
// that another client holds unexpired (but to the MAC it is reserved for, which takes it back),
// nor the network, broadcast or server address, nor a pool
// address outside the pool, nor one reserved for someone else.
//
// Input: a row count byte, then 12 bytes per row (ip low 16 bits, MAC index, state, expiry offset
// (signed, tens of seconds), serial and has_serial), then 5-byte operations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "proto/dhcp_leases.h"

using namespace rackboot::proto;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

constexpr std::uint32_t kSubnet = 0x0a000000;  // 10.0.0.0/24
constexpr Ipv4 kServer(0x0a000001);
constexpr Ipv4 kPoolStart(0x0a000010);
constexpr Ipv4 kPoolEnd(0x0a000017);  // 8 addresses: exhaustion is reached often
constexpr Ipv4 kReservedIp(0x0a000064);
constexpr Mac kReservedMac = Mac::from_key(0xb827eb000001ULL);
constexpr Ipv4 kSerialReservedIp(0x0a000065);
constexpr Serial kReservedSerial(0x12345678);
constexpr std::int64_t kNow = 1'800'000'000;

Mac mac_of(std::uint8_t i) {
    return i % 16 == 0 ? kReservedMac : Mac::from_key(0xdca632000000ULL + i % 16);
}

Ipv4 ip_of(std::uint8_t hi, std::uint8_t lo) {
    // Mostly inside the subnet; one in eight elsewhere (a row from before a renumbering).
    return Ipv4(hi % 8 == 0 ? (std::uint32_t{hi} << 24 | std::uint32_t{lo}) : kSubnet | lo);
}

// What the server may give `mac` at `ip`, written apart from the table's own rules.
void check_given(const LeaseTable& t, const Lease& before, Ipv4 ip, Mac mac, std::optional<Serial> serial,
                 std::int64_t now) {
    check(t.in_subnet(ip) && ip != Ipv4(kSubnet) && ip != Ipv4(kSubnet | 0xff) && ip != kServer);
    if (ip == kReservedIp) {
        check(mac == kReservedMac);
    } else if (ip == kSerialReservedIp) {
        check(serial == kReservedSerial);
    } else {
        check(ip >= kPoolStart && ip <= kPoolEnd);
    }
    bool held_by_other =
        !before.mac.unset() && before.mac != mac && before.state != LeaseState::Free && before.expires > now;
    check(!held_by_other || (ip == kReservedIp && mac == kReservedMac));
    check(!(before.state == LeaseState::Declined && before.expires > now));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    LeaseConfig c;
    c.subnet = Ipv4(kSubnet);
    c.prefix = 24;
    c.pool_start = kPoolStart;
    c.pool_end = kPoolEnd;
    c.server_ip = kServer;
    c.lease_time = 600;
    c.mac_reservations = {{kReservedMac, kReservedIp}};
    c.serial_reservations = {{kReservedSerial, kSerialReservedIp}};
    auto table = LeaseTable::create(c);
    check(table.has_value());
    LeaseTable& t = *table;
    if (size < 1) return 0;
    std::size_t rows = data[0];
    std::size_t at = 1;
    for (std::size_t r = 0; r < rows && at + 12 <= size; ++r, at += 12) {
        const std::uint8_t* p = data + at;
        if (p[3] > static_cast<std::uint8_t>(LeaseState::Declined)) continue;  // the store skips those rows
        Lease l;
        l.ip = ip_of(p[0], p[1]);
        l.mac = p[2] == 0 ? Mac{} : mac_of(p[2]);
        l.state = static_cast<LeaseState>(p[3]);
        l.expires = kNow + static_cast<std::int8_t>(p[4]) * 10;
        if ((p[9] & 1) != 0) {
            l.serial =
                Serial((std::uint32_t{p[5]} << 24) | (std::uint32_t{p[6]} << 16) | (std::uint32_t{p[7]} << 8) | p[8]);
        }
        t.restore(l);
    }
    std::int64_t now = kNow;
    for (; at + 5 <= size; at += 5) {
        const std::uint8_t* p = data + at;
        Mac mac = mac_of(p[1]);
        std::optional<Serial> serial;
        if (p[1] & 0x10) serial = (p[1] & 0x20) ? kReservedSerial : Serial(0xdc000000u + p[1]);
        Ipv4 ip = ip_of(p[2], p[3]);
        now += p[4] % 16 == 0 ? p[4] * 10 : 0;
        Lease before = t.in_subnet(ip) ? t.lease_at(ip) : Lease{};
        switch (p[0] % 5) {
            case 0: {  // DISCOVER, with option 50 = ip
                // Which address it will be is only known after; record every candidate's state first.
                Lease snapshot[256];
                for (std::uint32_t i = 0; i < 256; ++i) snapshot[i] = t.lease_at(Ipv4(kSubnet | i));
                auto o = t.offer(mac, serial, ip, (p[1] & 0x40) != 0, now);
                if (o.outcome == LeaseTable::Offer::Outcome::Offered) {
                    check(o.lease.mac == mac && o.lease.expires > now);
                    check_given(t, snapshot[o.lease.ip.value() & 0xff], o.lease.ip, mac, serial, now);
                }
                break;
            }
            case 1: {  // REQUEST ip
                auto r = t.request(mac, serial, ip, now);
                if (r.outcome == LeaseTable::Request::Outcome::Ack) {
                    check(r.lease.ip == ip && r.lease.mac == mac && r.lease.state == LeaseState::Bound);
                    check_given(t, before, ip, mac, serial, now);
                }
                break;
            }
            case 2: (void)t.release(mac, ip, now); break;
            case 3: (void)t.decline(mac, ip, now); break;
            default: (void)t.withdraw_offer(mac, now); break;
        }
        check(t.in_use(now) <= 256);
    }
    return 0;
}
