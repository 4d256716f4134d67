#include "proto/dhcp_server.h"

#include <algorithm>
#include <array>

namespace rackboot::proto {

namespace {

std::optional<std::uint32_t> option_ip(const DhcpPacket& req, std::uint8_t code) noexcept {
    auto v = req.options.find(code);
    if (!v || v->size() != 4) return std::nullopt;
    return (std::uint32_t{(*v)[0]} << 24) | (std::uint32_t{(*v)[1]} << 16) | (std::uint32_t{(*v)[2]} << 8) |
           std::uint32_t{(*v)[3]};
}

}  // namespace

std::size_t DhcpServer::build(const DhcpPacket& req, DhcpMessageType type, std::uint32_t yiaddr,
                              std::uint32_t server_ip, const PiIdentity& pi, MutableBytes out) const noexcept {
    std::uint32_t tftp_ip = !cfg_.tftp_ip.unset() ? cfg_.tftp_ip.value() : server_ip;
    DhcpWriter w(out);
    bool nak = type == DhcpMessageType::Nak;
    // RFC 2131 table 3: ciaddr echoed in ACK (renewals, INFORM), siaddr the next server.
    w.header(2, req, type == DhcpMessageType::Ack ? req.ciaddr : 0, nak ? 0 : yiaddr, nak ? 0 : tftp_ip, req.giaddr);
    w.option_u8(dhcp_option::kMessageType, static_cast<std::uint8_t>(type));
    w.option_u32(dhcp_option::kServerId, server_ip);
    if (nak) {
        w.option_text(dhcp_option::kMessage, "address not available");
    } else {
        if (yiaddr != 0) {  // not for INFORM
            std::uint32_t t = leases_.lease_time();
            w.option_u32(dhcp_option::kLeaseTime, t);
            w.option_u32(dhcp_option::kRenewalTime, t / 2);
            w.option_u32(dhcp_option::kRebindingTime, t / 8 * 7);
        }
        std::uint32_t mask = leases_.subnet_mask();
        w.option_u32(dhcp_option::kSubnetMask, mask);
        std::uint32_t addr = yiaddr != 0 ? yiaddr : req.ciaddr;
        w.option_u32(dhcp_option::kBroadcast, (addr & mask) | ~mask);
        if (!cfg_.router.unset()) w.option_u32(dhcp_option::kRouter, cfg_.router.value());
        if (!cfg_.dns.empty()) {
            std::array<std::uint8_t, std::size_t{4} * 8> dns{};
            std::size_t n = std::min<std::size_t>(cfg_.dns.size(), 8);
            for (std::size_t i = 0; i < n; ++i) {
                for (int b = 0; b < 4; ++b)
                    dns[i * 4 + static_cast<std::size_t>(b)] =
                        static_cast<std::uint8_t>(cfg_.dns[i].value() >> (24 - 8 * b));
            }
            w.option(dhcp_option::kDns, ConstBytes(dns.data(), n * 4));
        }
        if (pi.is_pi) add_pi_boot_options(w, req, server_ip, tftp_ip);
    }
    if (auto relay = req.options.find(dhcp_option::kRelayAgentInfo)) w.option(dhcp_option::kRelayAgentInfo, *relay);
    return w.finish();
}

DhcpServerResult DhcpServer::handle(const DhcpPacket& req, std::uint32_t local_ip, std::int64_t now,
                                    MutableBytes out) noexcept {
    DhcpServerResult res;
    DhcpReply& r = res.reply;
    if (req.op != 1) {
        r.verdict = DhcpVerdict::not_a_request;
        return res;
    }
    Mac mac = req.mac();
    if (req.hlen == 0 || mac.unset()) {
        r.verdict = DhcpVerdict::bad_mac;
        return res;
    }
    if (req.giaddr != 0 && !leases_.in_subnet(Ipv4(req.giaddr))) {
        r.verdict = DhcpVerdict::not_our_subnet;
        return res;
    }
    r.pi = recognise_pi(req, cfg_.pi_ouis);
    std::uint32_t server_ip = !cfg_.server_ip.unset() ? cfg_.server_ip.value() : local_ip;
    std::optional<Serial> serial = r.pi.serial;
    r.dest = reply_destination(req, r.dest_ip);

    switch (req.type) {
        case DhcpMessageType::Discover: {
            // The long hold goes to Pis by their MAC's OUI or their option 97 (option 60 aside).
            bool pi = r.pi.oui_match || r.pi.guid_rpi;
            LeaseTable::Offer offer =
                leases_.offer(mac, serial, Ipv4(option_ip(req, dhcp_option::kRequestedIp).value_or(0)), pi, now);
            switch (offer.outcome) {
                case LeaseTable::Offer::Outcome::Offered: break;
                case LeaseTable::Offer::Outcome::NoFreeAddress: r.verdict = DhcpVerdict::no_free_address; return res;
                case LeaseTable::Offer::Outcome::ReservedForPis: r.verdict = DhcpVerdict::reserved_for_pis; return res;
                case LeaseTable::Offer::Outcome::RateLimited: r.verdict = DhcpVerdict::rate_limited; return res;
            }
            if (offer.changed) res.change = offer.lease;
            res.yiaddr = offer.lease.ip.value();
            res.offer_without_request = offer.unrequested_again;
            r.length = build(req, DhcpMessageType::Offer, offer.lease.ip.value(), server_ip, r.pi, out);
            break;
        }
        case DhcpMessageType::Request: {
            auto sid = option_ip(req, dhcp_option::kServerId);
            if (sid && *sid != server_ip) {
                res.change = leases_.withdraw_offer(mac, now);
                r.verdict = DhcpVerdict::other_server;
                return res;
            }
            std::uint32_t ip = option_ip(req, dhcp_option::kRequestedIp).value_or(req.ciaddr);
            LeaseTable::Request got = leases_.request(mac, serial, Ipv4(ip), now);
            if (got.outcome == LeaseTable::Request::Outcome::Ack) {
                res.change = got.lease;
                res.yiaddr = ip;
                r.length = build(req, DhcpMessageType::Ack, ip, server_ip, r.pi, out);
            } else {
                r.length = build(req, DhcpMessageType::Nak, 0, server_ip, r.pi, out);
                // A NAK goes to the relay or is broadcast, never to the refused address.
                if (r.dest == DhcpReply::Dest::Client) r.dest = DhcpReply::Dest::Broadcast;
            }
            break;
        }
        case DhcpMessageType::Release:
            res.change = leases_.release(mac, Ipv4(req.ciaddr), now);
            r.verdict = DhcpVerdict::accepted;
            return res;
        case DhcpMessageType::Decline:
            res.change = leases_.decline(mac, Ipv4(option_ip(req, dhcp_option::kRequestedIp).value_or(0)), now);
            r.verdict = DhcpVerdict::accepted;
            return res;
        case DhcpMessageType::Inform: r.length = build(req, DhcpMessageType::Ack, 0, server_ip, r.pi, out); break;
        default: r.verdict = DhcpVerdict::not_a_request; return res;
    }
    r.verdict = r.length > 0 ? DhcpVerdict::replied : DhcpVerdict::malformed;
    return res;
}

}  // namespace rackboot::proto
