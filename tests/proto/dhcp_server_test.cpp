// The full DHCP server over a lease table, with a fake clock: allocation, the Pi's
// offer-without-request, REQUEST states, RELEASE, DECLINE, INFORM, reservations, relays,
// exhaustion and restore.
#include "proto/dhcp_server.h"

#include <set>

#include <gtest/gtest.h>

#include "support/dhcp_vectors.h"
#include "support/unwrap.h"

namespace rackboot::proto {
namespace {

constexpr std::uint32_t ip(int a, int b, int c, int d) {
    return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
           (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}
constexpr std::uint32_t kServer = ip(10, 0, 0, 1);

LeaseConfig config(std::uint32_t first = ip(10, 0, 0, 100), std::uint32_t last = ip(10, 0, 0, 199)) {
    LeaseConfig c;
    c.subnet = Ipv4(ip(10, 0, 0, 0));
    c.prefix = 24;
    c.pool_start = Ipv4(first);
    c.pool_end = Ipv4(last);
    c.server_ip = Ipv4(kServer);
    c.lease_time = 600;
    return c;
}

struct Fixture {
    DhcpServer server;
    std::int64_t now = 1'800'000'000;
    std::vector<std::vector<std::uint8_t>> keep;
    std::vector<std::uint8_t> out = std::vector<std::uint8_t>(1500);

    explicit Fixture(LeaseConfig c = config()) : server(make(c)) {}
    static DhcpServer make(const LeaseConfig& c) {
        auto t = LeaseTable::create(c);
        EXPECT_TRUE(t) << test::reason(t);
        DhcpServerConfig sc;
        sc.server_ip = Ipv4(kServer);
        sc.router = Ipv4(ip(10, 0, 0, 254));
        sc.dns = {Ipv4(ip(10, 0, 0, 53))};
        return DhcpServer(sc, std::move(*t));
    }
    DhcpServerResult send(std::vector<std::uint8_t> raw) {
        keep.push_back(std::move(raw));
        DhcpPacket p;
        EXPECT_EQ(parse_dhcp(keep.back(), p), DhcpParseError::none);
        return server.handle(p, kServer, now, out);
    }
    DhcpPacket reply(const DhcpServerResult& r) {
        keep.emplace_back(out.begin(), out.begin() + static_cast<long>(r.reply.length));
        DhcpPacket p;
        EXPECT_EQ(parse_dhcp(keep.back(), p), DhcpParseError::none);
        return p;
    }
};

std::vector<std::uint8_t> be(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}

std::vector<std::uint8_t> discover(std::uint8_t id) {
    return test::make_request({0x02, 0, 0, 0, 0, id}, 100u + id, {{53, {1}}});
}
std::vector<std::uint8_t> request(std::uint8_t id, std::uint32_t want, std::uint32_t sid = kServer) {
    return test::make_request({0x02, 0, 0, 0, 0, id}, 200u + id, {{53, {3}}, {50, be(want)}, {54, be(sid)}});
}

TEST(DhcpServer, DiscoverRequestAck) {
    Fixture f;
    auto o = f.send(discover(1));
    ASSERT_EQ(o.reply.verdict, DhcpVerdict::replied);
    DhcpPacket offer = f.reply(o);
    EXPECT_EQ(offer.type, DhcpMessageType::Offer);
    EXPECT_EQ(offer.yiaddr, ip(10, 0, 0, 100));
    EXPECT_EQ(o.reply.dest, DhcpReply::Dest::Broadcast);
    ASSERT_TRUE(o.change);
    EXPECT_EQ(o.change->state, LeaseState::Offered);
    auto lease = offer.options.find(dhcp_option::kLeaseTime);
    EXPECT_EQ(std::vector<std::uint8_t>(lease->begin(), lease->end()), be(600));
    EXPECT_EQ(std::vector<std::uint8_t>(offer.options.find(1)->begin(), offer.options.find(1)->end()), be(0xffffff00));
    EXPECT_EQ(std::vector<std::uint8_t>(offer.options.find(3)->begin(), offer.options.find(3)->end()),
              be(ip(10, 0, 0, 254)));
    EXPECT_EQ(std::vector<std::uint8_t>(offer.options.find(28)->begin(), offer.options.find(28)->end()),
              be(ip(10, 0, 0, 255)));
    EXPECT_TRUE(offer.options.find(58) && offer.options.find(59) && offer.options.find(6));
    EXPECT_FALSE(offer.options.find(43));  // not a Pi: no PXE menu

    auto a = f.send(request(1, offer.yiaddr));
    DhcpPacket ack = f.reply(a);
    EXPECT_EQ(ack.type, DhcpMessageType::Ack);
    EXPECT_EQ(ack.yiaddr, offer.yiaddr);
    EXPECT_EQ(a.change->state, LeaseState::Bound);
    EXPECT_EQ(a.change->expires, f.now + 600);
}

TEST(DhcpServer, PiGetsBootOptionsAndItsOfferStaysBound) {
    Fixture f;
    auto pi = f.send(test::pi4_discover());
    DhcpPacket offer = f.reply(pi);
    EXPECT_TRUE(offer.options.find(43));
    EXPECT_TRUE(offer.options.find(97));
    EXPECT_EQ(std::string(offer.options.find(60)->begin(), offer.options.find(60)->end()), "PXEClient");
    // The Pi never REQUESTs. Others DISCOVERing must not be offered its address.
    std::set<std::uint32_t> seen{offer.yiaddr};
    for (std::uint8_t id = 1; id <= 50; ++id) {
        DhcpPacket o = f.reply(f.send(discover(id)));
        EXPECT_TRUE(seen.insert(o.yiaddr).second) << "address offered twice";
    }
    // Later the Pi's kernel DISCOVERs: same address, and the quirk is recognised.
    f.now += 30;
    auto again = f.send(test::pi4_discover());
    EXPECT_EQ(f.reply(again).yiaddr, offer.yiaddr);
    EXPECT_TRUE(again.offer_without_request);
    // An immediate retransmitted DISCOVER is not the quirk.
    EXPECT_FALSE(f.send(test::pi4_discover()).offer_without_request);
}

TEST(DhcpServer, UbootAndIpxeGetAddressesButNoPiMenu) {
    Fixture f;
    for (auto raw : {test::uboot_discover(), test::ipxe_discover()}) {
        auto r = f.send(raw);
        ASSERT_EQ(r.reply.verdict, DhcpVerdict::replied);
        DhcpPacket o = f.reply(r);
        EXPECT_EQ(o.type, DhcpMessageType::Offer);
        EXPECT_NE(o.yiaddr, 0u);
        EXPECT_EQ(o.siaddr, kServer);  // next-server for their TFTP
        EXPECT_FALSE(o.options.find(43));
        EXPECT_FALSE(o.options.find(60));
    }
}

TEST(DhcpServer, RequestStates) {
    Fixture f;
    std::uint32_t a = f.reply(f.send(discover(1))).yiaddr;
    std::uint32_t b = f.reply(f.send(discover(2))).yiaddr;
    // Asking for someone else's address: NAK, broadcast.
    auto nak = f.send(request(1, b));
    EXPECT_EQ(f.reply(nak).type, DhcpMessageType::Nak);
    EXPECT_FALSE(nak.change);
    // Choosing another server: our offer lapses and the address is free again.
    auto other = f.send(request(2, b, ip(10, 0, 0, 2)));
    EXPECT_EQ(other.reply.verdict, DhcpVerdict::other_server);
    ASSERT_TRUE(other.change);
    EXPECT_EQ(other.change->state, LeaseState::Free);
    // Holding one address and asking for another: NAK (one live lease per client).
    f.send(request(1, a));
    EXPECT_EQ(f.reply(f.send(request(1, ip(10, 0, 0, 150)))).type, DhcpMessageType::Nak);
    // Renewal: ciaddr set, unicast back to it.
    f.send(request(1, a));
    auto renew = f.send(test::make_request({0x02, 0, 0, 0, 0, 1}, 9, {{53, {3}}}));
    EXPECT_EQ(f.reply(renew).type, DhcpMessageType::Nak);  // no ciaddr, no option 50
    auto raw = test::make_request({0x02, 0, 0, 0, 0, 1}, 9, {{53, {3}}});
    for (int i = 0; i < 4; ++i) raw[12 + i] = static_cast<std::uint8_t>(a >> (24 - 8 * i));
    auto ok = f.send(raw);
    EXPECT_EQ(f.reply(ok).type, DhcpMessageType::Ack);
    EXPECT_EQ(ok.reply.dest, DhcpReply::Dest::Client);
    EXPECT_EQ(ok.reply.dest_ip, a);
}

TEST(DhcpServer, ReleaseDeclineInform) {
    Fixture f;
    std::uint32_t a = f.reply(f.send(discover(1))).yiaddr;
    f.send(request(1, a));
    auto rel = test::make_request({0x02, 0, 0, 0, 0, 1}, 5, {{53, {7}}, {54, be(kServer)}});
    for (int i = 0; i < 4; ++i) rel[12 + i] = static_cast<std::uint8_t>(a >> (24 - 8 * i));
    auto r = f.send(rel);
    EXPECT_EQ(r.reply.verdict, DhcpVerdict::accepted);
    EXPECT_EQ(r.change->state, LeaseState::Released);
    EXPECT_EQ(f.reply(f.send(discover(1))).yiaddr, a);  // the same client gets it back

    auto dec = f.send(test::make_request({0x02, 0, 0, 0, 0, 1}, 6, {{53, {4}}, {50, be(a)}, {54, be(kServer)}}));
    EXPECT_EQ(dec.change->state, LeaseState::Declined);
    for (std::uint8_t id = 2; id < 60; ++id) EXPECT_NE(f.reply(f.send(discover(id))).yiaddr, a);

    auto inf = test::make_request({0x02, 0, 0, 0, 0, 7}, 8, {{53, {8}}});
    for (int i = 0; i < 4; ++i) inf[12 + i] = static_cast<std::uint8_t>(ip(10, 0, 0, 50) >> (24 - 8 * i));
    auto res = f.send(inf);
    DhcpPacket ack = f.reply(res);
    EXPECT_EQ(ack.type, DhcpMessageType::Ack);
    EXPECT_EQ(ack.yiaddr, 0u);
    EXPECT_FALSE(ack.options.find(dhcp_option::kLeaseTime));
    EXPECT_FALSE(res.change);
}

TEST(DhcpServer, ReservationsByMacAndSerial) {
    LeaseConfig c = config();
    c.mac_reservations = {{Mac::from_key(0x020000000001ULL), Ipv4(ip(10, 0, 0, 20))}};
    c.serial_reservations = {{Serial(0x1a2b3c4d), Ipv4(ip(10, 0, 0, 21))}};
    Fixture f(c);
    EXPECT_EQ(f.reply(f.send(discover(1))).yiaddr, ip(10, 0, 0, 20));
    EXPECT_EQ(f.reply(f.send(test::pi4_discover())).yiaddr, ip(10, 0, 0, 21));
    // Nobody else gets a reserved address, even by asking for it.
    EXPECT_EQ(f.reply(f.send(request(9, ip(10, 0, 0, 20)))).type, DhcpMessageType::Nak);
    // The reserved client asking for another address is sent back to its own.
    EXPECT_EQ(f.reply(f.send(request(1, ip(10, 0, 0, 150)))).type, DhcpMessageType::Nak);
}

// Boards' pinned addresses (the control plane's snapshot) reserve at runtime: the board is given
// its address, inside the pool or not, nobody else gets it, and a change applies at once.
class PinnedBoards final : public ReservationSource {
public:
    std::optional<Reservation> reserved_for(Mac mac, std::optional<Serial> serial) const noexcept override {
        if (mac.key() == mac_) return Reservation{Ipv4(ip_), true};
        if (serial == Serial(serial_) && !by_mac_only_) return Reservation{Ipv4(ip_), false};
        return std::nullopt;
    }
    bool reserved(Ipv4 ip) const noexcept override { return ip.value() == ip_; }
    std::uint32_t serial_ = 0x1a2b3c4d;
    std::uint64_t mac_ = 0x020000000007ULL;
    std::uint32_t ip_ = 0;
    bool by_mac_only_ = false;
};

TEST(DhcpServer, ReservationsFromTheBoardsAtRuntime) {
    Fixture f(config(ip(10, 0, 0, 100), ip(10, 0, 0, 101)));
    PinnedBoards pins;
    pins.ip_ = ip(10, 0, 0, 100);  // inside the pool
    f.server.leases().set_reservations(&pins);
    EXPECT_EQ(f.reply(f.send(test::pi4_discover())).yiaddr, ip(10, 0, 0, 100));
    EXPECT_EQ(f.reply(f.send(discover(1))).yiaddr, ip(10, 0, 0, 101));  // not the pinned one
    EXPECT_EQ(f.reply(f.send(request(2, ip(10, 0, 0, 100)))).type, DhcpMessageType::Nak);
    pins.ip_ = ip(10, 0, 0, 30);  // moved outside the pool: the next DISCOVER gets it
    EXPECT_EQ(f.reply(f.send(discover(7))).yiaddr, ip(10, 0, 0, 30));
    f.server.leases().set_reservations(nullptr);
}

// The Pi 4 of test::pi4_discover() (serial 1a2b3c4d in option 97) asking for `want`.
std::vector<std::uint8_t> pi4_request(std::uint32_t want) {
    return test::make_request(
        {0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56}, 0x11223345,
        {{53, {3}},
         {50, be(want)},
         {54, be(kServer)},
         {97, {0, 'R', 'P', 'i', '4', 0x00, 0xc0, 0x31, 0x12, 0x32, 0x12, 0x34, 0x56, 0x1a, 0x2b, 0x3c, 0x4d}}});
}

// A reservation made to a MAC takes the address back from whoever holds it (issue 18: a client
// that held a board's address, by a claim or from before the pin, kept it against the board's
// own MAC, which then got a pool address); one made by serial leaves the first holder be.
TEST(DhcpServer, TheReservedMacTakesItsAddressBack) {
    Fixture f(config(ip(10, 0, 0, 100), ip(10, 0, 0, 101)));
    PinnedBoards pins;
    pins.ip_ = ip(10, 0, 0, 50);
    f.server.leases().set_reservations(&pins);
    // A Pi 4 claiming the board's serial holds .50 (the pin is by serial as well as by MAC here).
    auto claimed = f.send(test::pi4_discover());
    ASSERT_EQ(claimed.yiaddr, ip(10, 0, 0, 50));
    auto thief_ack = f.send(pi4_request(ip(10, 0, 0, 50)));
    ASSERT_EQ(f.reply(thief_ack).type, DhcpMessageType::Ack);
    // The board's own MAC: offered .50 all the same, and ACKed.
    EXPECT_EQ(f.reply(f.send(discover(7))).yiaddr, ip(10, 0, 0, 50));
    EXPECT_EQ(f.reply(f.send(request(7, ip(10, 0, 0, 50)))).type, DhcpMessageType::Ack);
    EXPECT_EQ(f.server.leases().lease_at(Ipv4(ip(10, 0, 0, 50))).mac, Mac::from_key(0x020000000007ULL));
    // The one that had it is refused it on renewal, and offered a pool address instead.
    EXPECT_EQ(f.reply(f.send(pi4_request(ip(10, 0, 0, 50)))).type, DhcpMessageType::Nak);
    EXPECT_EQ(f.reply(f.send(test::pi4_discover())).yiaddr, ip(10, 0, 0, 100));
    // By serial only: the first holder keeps it while its lease lives.
    pins.by_mac_only_ = false;
    pins.mac_ = 0x0200000000aaULL;  // nobody's MAC: the pin is the serial's alone
    pins.ip_ = ip(10, 0, 0, 60);
    f.now += 1000;  // every lease so far has lapsed
    ASSERT_EQ(f.reply(f.send(test::pi4_discover())).yiaddr, ip(10, 0, 0, 60));
    f.server.leases().set_reservations(nullptr);
}

TEST(DhcpServer, ExhaustionAndExpiry) {
    Fixture f(config(ip(10, 0, 0, 100), ip(10, 0, 0, 101)));
    EXPECT_EQ(f.send(discover(1)).reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(f.send(discover(2)).reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(f.send(discover(3)).reply.verdict, DhcpVerdict::no_free_address);
    EXPECT_EQ(f.server.leases().in_use(f.now), 2u);
    f.now += 601;
    EXPECT_EQ(f.server.leases().in_use(f.now), 0u);
    EXPECT_EQ(f.send(discover(3)).reply.verdict, DhcpVerdict::replied);
}

std::vector<std::uint8_t> discover_from(std::uint32_t n) {
    return test::make_request({0x02, 0x11, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                               static_cast<std::uint8_t>(n), 0},
                              n, {{53, {1}}});
}

TEST(DhcpServer, UnrequestedOffersToOthersThanPisAreHeldBriefly) {
    LeaseConfig c = config(ip(10, 0, 0, 100), ip(10, 0, 0, 109));
    c.pi_reserve_percent = 0;
    Fixture f(c);
    auto other = f.send(discover(1));
    auto pi = f.send(test::pi4_discover());
    ASSERT_TRUE(other.change && pi.change);
    EXPECT_EQ(other.change->expires, f.now + 60);  // offer_hold
    EXPECT_EQ(pi.change->expires, f.now + 600);    // the lease time: the Pi may never REQUEST
    // A REQUEST binds the short offer for the whole lease.
    auto ack = f.send(request(1, other.yiaddr));
    EXPECT_EQ(ack.change->expires, f.now + 600);
    auto dropped = f.send(discover(2));
    f.now += 61;
    // The lapsed offer is somebody else's now; the Pi's and the bound lease are not.
    std::set<std::uint32_t> taken{other.yiaddr, pi.yiaddr};
    bool reused = false;
    for (std::uint8_t id = 10; id < 18; ++id) {
        auto r = f.send(discover(id));
        ASSERT_EQ(r.reply.verdict, DhcpVerdict::replied);
        std::uint32_t a = f.reply(r).yiaddr;
        EXPECT_EQ(taken.count(a), 0u);
        reused = reused || a == dropped.yiaddr;
    }
    EXPECT_TRUE(reused);
}

TEST(DhcpServer, FloodLeavesTheLastTenthOfThePoolToPis) {
    Fixture f;  // 100 addresses, 10% kept for Pis
    int offered = 0;
    int reserved = 0;
    for (std::uint32_t n = 0; n < 10'000; ++n) {
        auto r = f.send(discover_from(n));
        offered += r.reply.verdict == DhcpVerdict::replied ? 1 : 0;
        reserved += r.reply.verdict == DhcpVerdict::reserved_for_pis ? 1 : 0;
    }
    EXPECT_EQ(offered, 90);
    EXPECT_EQ(reserved, 10'000 - 90);
    // A Pi 3 (its OUI, option 60) and a Pi 4 (option 97) still get addresses at once.
    auto pi3 = f.send(test::make_request(
        {0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56}, 7,
        {{53, {1}}, {60, {'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0',
                          '0', '0', '0', '0', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '2', '0', '0', '1'}}}));
    EXPECT_EQ(pi3.reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(f.send(test::pi4_discover()).reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(f.server.leases().in_use(f.now), 92u);
    // A minute on, the flood's offers have lapsed and are given out again.
    f.now += 61;
    EXPECT_EQ(f.send(discover_from(20'000)).reply.verdict, DhcpVerdict::replied);
    EXPECT_EQ(f.server.leases().in_use(f.now), 3u);
}

TEST(DhcpServer, RepeatedDiscoversReuseTheOfferAndAreRateLimited) {
    Fixture f;
    int changes = 0;
    int replied = 0;
    int limited = 0;
    std::set<std::uint32_t> addresses;
    // 5,000 DISCOVERs from one MAC within 2 s.
    for (int i = 0; i < 5000; ++i) {
        if (i == 2500) f.now += 1;
        auto r = f.send(discover(1));
        changes += r.change ? 1 : 0;
        if (r.reply.verdict == DhcpVerdict::replied) {
            ++replied;
            addresses.insert(r.yiaddr);
        }
        limited += r.reply.verdict == DhcpVerdict::rate_limited ? 1 : 0;
    }
    EXPECT_EQ(changes, 1);                                   // one record to write, not 5,000
    EXPECT_EQ(replied, 1 + LeaseTable::kDiscoverBurst + 1);  // the first, the burst, one more a second on
    EXPECT_EQ(limited, 5000 - replied);
    EXPECT_EQ(addresses.size(), 1u);
    // Past the repeat window the offer is renewed (one write); a client retrying at a normal pace
    // is always answered.
    for (int i = 0; i < 10; ++i) {
        f.now += 4;
        EXPECT_EQ(f.send(discover(1)).reply.verdict, DhcpVerdict::replied);
    }
}

TEST(DhcpServer, LapsedOffersAreReusedBeforeExpiredLeases) {
    Fixture f(config(ip(10, 0, 0, 100), ip(10, 0, 0, 101)));
    std::uint32_t bound = f.reply(f.send(discover(1))).yiaddr;
    f.send(request(1, bound));
    std::uint32_t lapsed = f.reply(f.send(discover(2))).yiaddr;
    f.now += 601;  // both expired
    EXPECT_EQ(f.reply(f.send(discover(3))).yiaddr, lapsed);
    EXPECT_EQ(f.reply(f.send(discover(1))).yiaddr, bound);  // the old client gets its lease back
}

TEST(DhcpServer, NeverHandsOutItsOwnAddress) {
    Fixture f(config(ip(10, 0, 0, 1), ip(10, 0, 0, 3)));  // the pool covers the server's 10.0.0.1
    std::set<std::uint32_t> given;
    for (std::uint8_t id = 1; id <= 3; ++id) {
        auto r = f.send(discover(id));
        if (r.reply.verdict == DhcpVerdict::replied) given.insert(f.reply(r).yiaddr);
    }
    EXPECT_EQ(given, (std::set<std::uint32_t>{ip(10, 0, 0, 2), ip(10, 0, 0, 3)}));
    EXPECT_EQ(f.reply(f.send(request(9, kServer))).type, DhcpMessageType::Nak);
}

TEST(DhcpServer, RelayAgents) {
    Fixture f;
    auto relayed = f.send(
        test::make_request({0x02, 0, 0, 0, 0, 1}, 3, {{53, {1}}, {82, {1, 3, 'a', 'b', 'c'}}}, 0, ip(10, 0, 0, 2), 1));
    EXPECT_EQ(relayed.reply.dest, DhcpReply::Dest::Relay);
    EXPECT_EQ(relayed.reply.dest_ip, ip(10, 0, 0, 2));
    DhcpPacket o = f.reply(relayed);
    EXPECT_EQ(o.giaddr, ip(10, 0, 0, 2));
    EXPECT_EQ(o.options.find(82)->size(), 5u);
    auto foreign = f.send(test::make_request({0x02, 0, 0, 0, 0, 1}, 3, {{53, {1}}}, 0, ip(192, 168, 9, 1), 1));
    EXPECT_EQ(foreign.reply.verdict, DhcpVerdict::not_our_subnet);
}

TEST(DhcpServer, RestoreGivesClientsTheirAddresses) {
    Fixture f;
    std::vector<Lease> saved;
    for (std::uint8_t id = 1; id <= 5; ++id) {
        auto r = f.send(discover(id));
        saved.push_back(*r.change);
    }
    Fixture g;
    for (const Lease& l : saved) g.server.leases().restore(l);
    for (std::uint8_t id = 5; id >= 1; --id) EXPECT_EQ(g.reply(g.send(discover(id))).yiaddr, saved[id - 1u].ip.value());
}

TEST(DhcpServer, BadConfigurationsAreRefused) {
    LeaseConfig c = config();
    c.prefix = 8;
    EXPECT_NE(test::reason(LeaseTable::create(c)).find("/8"), std::string::npos);
    c = config(ip(10, 0, 1, 1), ip(10, 0, 1, 9));
    EXPECT_NE(test::reason(LeaseTable::create(c)).find("--pool"), std::string::npos);
    c = config();
    c.mac_reservations = {{Mac::from_key(1), Ipv4(ip(10, 0, 0, 20))}, {Mac::from_key(2), Ipv4(ip(10, 0, 0, 20))}};
    EXPECT_NE(test::reason(LeaseTable::create(c)).find("reserved twice"), std::string::npos);
}

}  // namespace
}  // namespace rackboot::proto
