// Fuzz harness for the DHCP codec and both responders (proxy and full server). Beyond "no
// crash": a reply always parses back as a BOOTREPLY with the request's xid, and no address is
// ever held by two MACs at once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "proto/dhcp_codec.h"
#include "proto/dhcp_responder.h"
#include "proto/dhcp_server.h"
#include "proto/pi_dhcp_client.h"

using namespace rackboot::proto;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

DhcpServer& server() {
    static std::optional<DhcpServer> s;
    if (!s) {
        LeaseConfig c;
        c.subnet = Ipv4(0x0a000000);
        c.prefix = 24;
        c.pool_start = Ipv4(0x0a000002);
        c.pool_end = Ipv4(0x0a000009);  // small: exhaustion is reached often
        c.server_ip = Ipv4(0x0a000001);
        c.lease_time = 60;
        c.mac_reservations = {{Mac::from_key(0xb827eb28f66dULL), Ipv4(0x0a000064)}};
        auto t = LeaseTable::create(c);
        check(t.has_value());
        s.emplace(DhcpServerConfig{Ipv4(0x0a000001), Ipv4(), Ipv4(0x0a0000fe), {Ipv4(0x0a000035)}, default_pi_ouis()},
                  std::move(*t));
    }
    return *s;
}

void check_reply(const DhcpPacket& req, const std::uint8_t* out, std::size_t len) {
    DhcpPacket rep;
    check(parse_dhcp(ConstBytes(out, len), rep) == DhcpParseError::none);
    check(rep.op == 2 && rep.xid == req.xid && rep.chaddr == req.chaddr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The fake Pi's side reads any bytes as an answer without harm, and takes only a reply to it.
    FakePi pi{PiModel::pi4, {0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03}, Serial(0x1a2b3c4d)};
    PiDhcpAnswer answer;
    if (read_pi_dhcp_answer(ConstBytes(data, size), pi,
                            size >= 8 ? (std::uint32_t{data[4]} << 24) | (std::uint32_t{data[5]} << 16) |
                                            (std::uint32_t{data[6]} << 8) | data[7]
                                      : 0,
                            answer) &&
        (size < 34 || data[0] != 2 || data[28] != 0xdc)) {
        std::abort();  // accepted something that is not a BOOTREPLY to this MAC
    }
    DhcpPacket req;
    if (parse_dhcp(ConstBytes(data, size), req) != DhcpParseError::none) return 0;
    std::vector<std::uint8_t> out(1500);
    std::vector<std::uint8_t> scratch(2048);
    for (int code : {43, 60, 82, 97}) (void)req.options.joined(static_cast<std::uint8_t>(code), scratch);

    static const DhcpResponder proxy({DhcpMode::Proxy, default_pi_ouis(), Ipv4(), Ipv4()});
    DhcpReply pr = proxy.handle(req, 0x0a000001, out);
    if (pr.verdict == DhcpVerdict::replied) check_reply(req, out.data(), pr.length);

    static std::int64_t now = 1'800'000'000;
    now += size % 7;  // time moves: leases expire during a run
    DhcpServerResult sr = server().handle(req, 0x0a000001, now, out);
    if (sr.reply.verdict == DhcpVerdict::replied) check_reply(req, out.data(), sr.reply.length);
    if (sr.change && !sr.change->mac.unset()) {
        // The changed address belongs to one MAC: no other address in the pool names it as
        // holder while both are live.
        const LeaseTable& t = server().leases();
        for (std::uint32_t ip = 0x0a000002; ip <= 0x0a000009; ++ip) {
            Lease l = t.lease_at(Ipv4(ip));
            if (Ipv4(ip) != sr.change->ip && l.mac == sr.change->mac && l.expires > now &&
                (l.state == LeaseState::Bound) && sr.change->state == LeaseState::Bound) {
                std::abort();
            }
        }
    }
    return 0;
}
