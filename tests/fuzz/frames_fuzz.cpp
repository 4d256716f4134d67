// Fuzz harness for what a DPDK worker meets first: every received frame goes through
// classify_frame (and, on a port without RSS, peek_udp_owner_key to pick its owner). Input: one
// byte of settings (bit 0: verify UDP checksums; bit 1: a subnet broadcast address is set), then
// the frame. Beyond "no crash, no read outside the frame":
// - a datagram classified as UDP has its payload inside the frame, and the steering peek agrees
//   with the owner's classification (same source address and port), or frames would be handed to
//   a worker that does not own the client;
// - a verified UDP checksum is the one udp_checksum() computes for the same datagram;
// - the ARP and ICMP replies we build fit, and read back on the asker's side as what they are.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "proto/net_frames.h"

using namespace rackboot::proto;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

constexpr LocalAddress kUs{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, Ipv4(0x0a000001)};  // 10.0.0.1
constexpr Ipv4 kSubnetBroadcast{0x0a0000ff};                                         // 10.0.0.0/24

bool inside(ConstBytes part, ConstBytes whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    bool verify = (data[0] & 1) != 0;
    Ipv4 broadcast = (data[0] & 2) != 0 ? kSubnetBroadcast : Ipv4();
    ConstBytes frame(data + 1, size - 1);

    FrameInfo f = classify_frame(frame, kUs, broadcast, verify);
    Ipv4 peek_ip;
    std::uint16_t peek_port = 0;
    bool peeked = peek_udp_owner_key(frame, peek_ip, peek_port);
    switch (f.kind) {
        case FrameInfo::Kind::Drop:
            check(f.drop < FrameDrop::count_);
            check(!to_string(f.drop).empty() && to_string(f.drop) != "unknown");
            break;
        case FrameInfo::Kind::Udp: {
            check(inside(f.payload, frame));
            check(peeked && peek_ip == f.src_ip && peek_port == f.dst_port);
            const std::uint8_t* sum = f.payload.data() - 2;  // the UDP header's last field
            auto wire = static_cast<std::uint16_t>((sum[0] << 8) | sum[1]);
            if (verify && wire != 0 && !f.partial_checksum) {
                check(udp_checksum(f.src_ip, f.dst_ip, f.src_port, f.dst_port, &f.payload, 1) == wire);
            }
            break;
        }
        case FrameInfo::Kind::ArpRequest: {
            check(f.dst_ip == kUs.ip);
            std::uint8_t out[64];
            std::size_t n = build_arp_reply(MutableBytes(out, 42), kUs, f);
            check(n == 42);
            check(build_arp_reply(MutableBytes(out, 41), kUs, f) == 0);
            FrameInfo back = classify_frame(ConstBytes(out, n), LocalAddress{f.src_mac, f.src_ip}, Ipv4(), true);
            check(back.kind == FrameInfo::Kind::ArpReply && back.src_ip == kUs.ip && back.src_mac == kUs.mac);
            break;
        }
        case FrameInfo::Kind::IcmpEcho: {
            check(inside(f.payload, frame) && f.payload.size() >= 8);
            static std::uint8_t out[kEthHeaderSize + kIpv4HeaderSize + 65536];
            std::size_t n = build_icmp_echo_reply(MutableBytes(out, sizeof out), kUs, f);
            check(n == kEthHeaderSize + kIpv4HeaderSize + f.payload.size());
            check(build_icmp_echo_reply(MutableBytes(out, n - 1), kUs, f) == 0);
            // On the asker's side the reply passes every header check and is an echo reply (type 0),
            // which a server drops as not an echo request.
            FrameInfo back = classify_frame(ConstBytes(out, n), LocalAddress{f.src_mac, f.src_ip}, Ipv4(), true);
            check(back.kind == FrameInfo::Kind::Drop && back.drop == FrameDrop::icmp_not_echo);
            break;
        }
        case FrameInfo::Kind::ArpReply: break;
    }
    return 0;
}
