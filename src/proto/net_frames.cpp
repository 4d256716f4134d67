#include "proto/net_frames.h"

#include <cstring>

#include "proto/inet_checksum.h"

namespace rackboot::proto {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoUdp = 17;

std::uint16_t rd16(ConstBytes b, std::size_t o) noexcept {
    return static_cast<std::uint16_t>((b[o] << 8) | b[o + 1]);
}
std::uint32_t rd32(ConstBytes b, std::size_t o) noexcept {
    return (std::uint32_t{b[o]} << 24) | (std::uint32_t{b[o + 1]} << 16) | (std::uint32_t{b[o + 2]} << 8) | b[o + 3];
}

FrameInfo drop(FrameInfo f, FrameDrop why) noexcept {
    f.kind = FrameInfo::Kind::Drop;
    f.drop = why;
    return f;
}

void write_eth(ByteWriter& w, const Mac& dst, const Mac& src, std::uint16_t type) noexcept {
    w.bytes(dst);
    w.bytes(src);
    w.be16(type);
}

std::uint16_t ipv4_header_checksum(std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::uint16_t total,
                                   std::uint16_t id) noexcept {
    InetChecksum c;
    c.add16(0x4500);
    c.add16(total);
    c.add16(id);
    c.add16(0x4000);  // don't fragment
    c.add16(static_cast<std::uint16_t>((64 << 8) | proto));
    c.add32(src);
    c.add32(dst);
    return c.finish();
}

void write_ipv4(ByteWriter& w, std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::size_t payload_len,
                std::uint16_t id) noexcept {
    auto total = static_cast<std::uint16_t>(kIpv4HeaderSize + payload_len);
    w.be16(0x4500);
    w.be16(total);
    w.be16(id);
    w.be16(0x4000);
    w.u8(64);
    w.u8(proto);
    w.be16(ipv4_header_checksum(src, dst, proto, total, id));
    w.be32(src);
    w.be32(dst);
}

void put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) noexcept {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}

}  // namespace

namespace {

// `us` null: a host that answers for every address (the swarm's many Pis).
FrameInfo classify(ConstBytes f, const LocalAddress* us, Ipv4 subnet_broadcast, bool verify_udp_checksum) noexcept {
    FrameInfo out;
    if (f.size() < kEthHeaderSize) return drop(out, FrameDrop::runt);
    std::memcpy(out.dst_mac.data(), f.data(), 6);
    std::memcpy(out.src_mac.data(), f.data() + 6, 6);
    std::uint16_t type = rd16(f, 12);
    bool to_us = us == nullptr || out.dst_mac == us->mac || out.dst_mac == kBroadcastMac;
    if (type == kEtherArp) {
        // htype 1, ptype IPv4, hlen 6, plen 4, op, sha, spa, tha, tpa
        if (f.size() < kEthHeaderSize + 28 || rd16(f, 14) != 1 || rd16(f, 16) != kEtherIpv4 || f[18] != 6 ||
            f[19] != 4) {
            return drop(out, FrameDrop::arp_malformed);
        }
        std::uint16_t op = rd16(f, 20);
        std::memcpy(out.src_mac.data(), f.data() + 22, 6);  // sender hardware address
        out.src_ip = Ipv4(rd32(f, 28));
        out.dst_ip = Ipv4(rd32(f, 38));
        if (op == 2) {
            out.kind = FrameInfo::Kind::ArpReply;
            return out;
        }
        if (op != 1) return drop(out, FrameDrop::arp_malformed);
        if (us != nullptr && out.dst_ip != us->ip) return drop(out, FrameDrop::arp_not_for_us);
        out.kind = FrameInfo::Kind::ArpRequest;
        return out;
    }
    if (type != kEtherIpv4) return drop(out, FrameDrop::other_ethertype);
    if (!to_us) return drop(out, FrameDrop::not_our_mac);
    ConstBytes ip = f.subspan(kEthHeaderSize);
    if (ip.size() < kIpv4HeaderSize || (ip[0] >> 4) != 4) return drop(out, FrameDrop::ip_malformed);
    std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    std::uint16_t total = rd16(ip, 2);
    if (ihl < kIpv4HeaderSize || total < ihl || total > ip.size()) return drop(out, FrameDrop::ip_malformed);
    InetChecksum hc;
    hc.add(ip.first(ihl));
    if (hc.finish() != 0) return drop(out, FrameDrop::ip_bad_checksum);
    if ((rd16(ip, 6) & 0x3fff) != 0) return drop(out, FrameDrop::ip_fragment);  // MF set or an offset
    out.src_ip = Ipv4(rd32(ip, 12));
    out.dst_ip = Ipv4(rd32(ip, 16));
    out.ip_offset = kEthHeaderSize;
    if (us != nullptr && out.dst_ip != us->ip && out.dst_ip != Ipv4::broadcast() &&
        (subnet_broadcast.unset() || out.dst_ip != subnet_broadcast)) {
        return drop(out, FrameDrop::ip_not_for_us);
    }
    ConstBytes l4 = ip.subspan(ihl, total - ihl);
    std::uint8_t proto = ip[9];
    if (proto == kProtoIcmp) {
        if (l4.size() < 8 || l4[0] != 8) return drop(out, FrameDrop::icmp_not_echo);
        InetChecksum ic;
        ic.add(l4);
        if (ic.finish() != 0) return drop(out, FrameDrop::icmp_bad_checksum);
        out.kind = FrameInfo::Kind::IcmpEcho;
        out.payload = l4;
        return out;
    }
    if (proto != kProtoUdp) return drop(out, FrameDrop::other_protocol);
    if (l4.size() < kUdpHeaderSize) return drop(out, FrameDrop::udp_malformed);
    std::uint16_t ulen = rd16(l4, 4);
    if (ulen < kUdpHeaderSize || ulen > l4.size()) return drop(out, FrameDrop::udp_malformed);
    out.src_port = rd16(l4, 0);
    out.dst_port = rd16(l4, 2);
    out.payload = l4.subspan(kUdpHeaderSize, ulen - kUdpHeaderSize);
    std::uint16_t wire_sum = rd16(l4, 6);
    if (verify_udp_checksum && wire_sum != 0) {
        InetChecksum pseudo;
        pseudo.add32(out.src_ip.value());
        pseudo.add32(out.dst_ip.value());
        pseudo.add16(kProtoUdp);
        pseudo.add16(ulen);
        InetChecksum uc = pseudo;
        uc.add(l4.first(ulen));
        if (uc.finish() != 0) {
            if (wire_sum != static_cast<std::uint16_t>(~pseudo.finish())) return drop(out, FrameDrop::udp_bad_checksum);
            out.partial_checksum = true;
        }
    }
    out.kind = FrameInfo::Kind::Udp;
    return out;
}

}  // namespace

FrameInfo classify_frame(ConstBytes frame, const LocalAddress& us, Ipv4 subnet_broadcast,
                         bool verify_udp_checksum) noexcept {
    return classify(frame, &us, subnet_broadcast, verify_udp_checksum);
}

FrameInfo classify_frame_any_address(ConstBytes frame, bool verify_udp_checksum) noexcept {
    return classify(frame, nullptr, Ipv4{}, verify_udp_checksum);
}

bool peek_udp_owner_key(ConstBytes f, Ipv4& src_ip, std::uint16_t& dst_port) noexcept {
    if (f.size() < kEthHeaderSize + kIpv4HeaderSize || rd16(f, 12) != kEtherIpv4) return false;
    ConstBytes ip = f.subspan(kEthHeaderSize);
    std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < kIpv4HeaderSize || ip[9] != kProtoUdp || ip.size() < ihl + kUdpHeaderSize)
        return false;
    if ((rd16(ip, 6) & 0x3fff) != 0) return false;  // a fragment: only the first has the port
    src_ip = Ipv4(rd32(ip, 12));
    dst_port = rd16(ip, ihl + 2);
    return true;
}

// IPv4-over-Ethernet ARP: opcode, sender and target.
static std::size_t build_arp(MutableBytes out, const Mac& eth_dst, const LocalAddress& us, std::uint16_t op,
                             const Mac& target_mac, Ipv4 target_ip) noexcept {
    ByteWriter w(out);
    write_eth(w, eth_dst, us.mac, kEtherArp);
    w.be16(1);
    w.be16(kEtherIpv4);
    w.u8(6);
    w.u8(4);
    w.be16(op);
    w.bytes(us.mac);
    w.be32(us.ip.value());
    w.bytes(target_mac);
    w.be32(target_ip.value());
    return w.ok() ? w.size() : 0;
}

std::size_t build_arp_reply(MutableBytes out, const LocalAddress& us, const FrameInfo& req) noexcept {
    return build_arp(out, req.src_mac, us, 2, req.src_mac, req.src_ip);
}

std::size_t build_arp_request(MutableBytes out, const LocalAddress& us, Ipv4 target_ip, bool gratuitous) noexcept {
    return build_arp(out, kBroadcastMac, us, 1, Mac{}, gratuitous ? us.ip : target_ip);
}

std::size_t build_icmp_echo_reply(MutableBytes out, const LocalAddress& us, const FrameInfo& echo) noexcept {
    ByteWriter w(out);
    write_eth(w, echo.src_mac, us.mac, kEtherIpv4);
    write_ipv4(w, us.ip.value(), echo.src_ip.value(), kProtoIcmp, echo.payload.size(), 0);
    std::size_t icmp_at = w.size();
    w.bytes(echo.payload);
    if (!w.ok()) return 0;
    // Type 0 (echo reply), checksum recomputed; identifier, sequence and data echoed.
    out[icmp_at] = 0;
    out[icmp_at + 2] = 0;
    out[icmp_at + 3] = 0;
    InetChecksum c;
    c.add(ConstBytes(out.data() + icmp_at, echo.payload.size()));
    std::uint16_t sum = c.finish();
    out[icmp_at + 2] = static_cast<std::uint8_t>(sum >> 8);
    out[icmp_at + 3] = static_cast<std::uint8_t>(sum);
    return w.size();
}

std::uint16_t udp_checksum(Ipv4 src_ip, Ipv4 dst_ip, std::uint16_t src_port, std::uint16_t dst_port,
                           std::size_t payload_len, std::uint16_t payload_sum) noexcept {
    auto len = static_cast<std::uint16_t>(kUdpHeaderSize + payload_len);
    InetChecksum c;
    c.add32(src_ip.value());
    c.add32(dst_ip.value());
    c.add16(kProtoUdp);
    c.add16(len);
    c.add16(src_port);
    c.add16(dst_port);
    c.add16(len);
    c.add_sum(payload_sum, 0);
    std::uint16_t sum = c.finish();
    return sum == 0 ? 0xffff : sum;
}

std::uint16_t udp_checksum(Ipv4 src_ip, Ipv4 dst_ip, std::uint16_t src_port, std::uint16_t dst_port,
                           const ConstBytes* pieces, std::size_t npieces) noexcept {
    std::size_t len = 0;
    InetChecksum payload;
    for (std::size_t i = 0; i < npieces; ++i) {
        payload.add(pieces[i]);
        len += pieces[i].size();
    }
    return udp_checksum(src_ip, dst_ip, src_port, dst_port, len, payload.partial());
}

std::size_t build_udp_headers(MutableBytes out, const Mac& src_mac, const Mac& dst_mac, Ipv4 src_ip, Ipv4 dst_ip,
                              std::uint16_t src_port, std::uint16_t dst_port, std::size_t payload_len,
                              std::uint16_t ip_id, std::uint16_t checksum) noexcept {
    // Every DATA frame's headers come from here: one bounds check, then plain stores.
    if (out.size() < kUdpFrameOverhead || payload_len > 0xffff - kIpv4HeaderSize - kUdpHeaderSize) return 0;
    std::uint8_t* p = out.data();
    std::memcpy(p, dst_mac.data(), 6);
    std::memcpy(p + 6, src_mac.data(), 6);
    put16(p + 12, kEtherIpv4);
    auto udp_len = static_cast<std::uint16_t>(kUdpHeaderSize + payload_len);
    auto total = static_cast<std::uint16_t>(kIpv4HeaderSize + udp_len);
    put16(p + 14, 0x4500);
    put16(p + 16, total);
    put16(p + 18, ip_id);
    put16(p + 20, 0x4000);  // don't fragment
    p[22] = 64;
    p[23] = kProtoUdp;
    put16(p + 24, ipv4_header_checksum(src_ip.value(), dst_ip.value(), kProtoUdp, total, ip_id));
    put32(p + 26, src_ip.value());
    put32(p + 30, dst_ip.value());
    put16(p + 34, src_port);
    put16(p + 36, dst_port);
    put16(p + 38, udp_len);
    put16(p + 40, checksum);
    return kUdpFrameOverhead;
}

}  // namespace rackboot::proto
