// Ethernet, ARP, IPv4, UDP and ICMP echo as the DPDK backend meets them: a frame is classified
// into what it is for us (an ARP request for our address, a ping, a UDP datagram) or a named
// drop reason, and replies are built into caller buffers. Bounds-checked, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/byte_cursor.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/reason_list.h"

namespace rackboot::proto {

constexpr Mac kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::size_t kEthHeaderSize = 14;
constexpr std::size_t kIpv4HeaderSize = 20;
constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::size_t kUdpFrameOverhead = kEthHeaderSize + kIpv4HeaderSize + kUdpHeaderSize;

#define RACKBOOT_FRAME_DROPS(X)                                                 \
    X(runt, warning, "shorter than an Ethernet header")                         \
    X(other_ethertype, info, "neither IPv4 nor ARP")                            \
    X(not_our_mac, info, "unicast to another MAC")                              \
    X(arp_malformed, warning, "ARP that is not IPv4 over Ethernet")             \
    X(arp_not_for_us, info, "ARP for another address")                          \
    X(ip_malformed, warning, "bad IPv4 version, header length or total length") \
    X(ip_bad_checksum, warning, "IPv4 header checksum wrong")                   \
    X(ip_fragment, warning, "IPv4 fragment")                                    \
    X(ip_not_for_us, info, "to another IPv4 address")                           \
    X(other_protocol, info, "neither UDP nor ICMP")                             \
    X(udp_malformed, warning, "UDP length wrong")                               \
    X(udp_bad_checksum, warning, "UDP checksum wrong")                          \
    X(icmp_not_echo, info, "ICMP other than an echo request")                   \
    X(icmp_bad_checksum, warning, "ICMP checksum wrong")

RACKBOOT_DEFINE_REASONS(FrameDrop, RACKBOOT_FRAME_DROPS)

struct FrameInfo {
    enum class Kind : std::uint8_t { Drop, ArpRequest, ArpReply, IcmpEcho, Udp };
    Kind kind = Kind::Drop;
    FrameDrop drop = FrameDrop::runt;
    Mac src_mac{};
    Mac dst_mac{};
    Ipv4 src_ip;
    Ipv4 dst_ip;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    ConstBytes payload;  // UDP payload, or the ICMP message
    std::size_t ip_offset = 0;
    bool partial_checksum = false;  // UDP checksum left partial by a local kernel sender (offload)
};

struct LocalAddress {
    Mac mac{};
    Ipv4 ip;
};

// What a received frame is for us. Broadcast IPv4 (255.255.255.255 and the subnet's) and
// unicast to our address are ours; `verify_udp_checksum` false skips it (where the NIC did). A
// UDP checksum that holds only the pseudo-header sum is a kernel peer's CHECKSUM_PARTIAL on a
// veth (the rest was to be done by offload): accepted as the kernel accepts it, and flagged.
[[nodiscard]] FrameInfo classify_frame(ConstBytes frame, const LocalAddress& us, Ipv4 subnet_broadcast,
                                       bool verify_udp_checksum) noexcept;

// The same for a host that answers for every MAC and address (the swarm's many Pis): no frame is
// dropped for being someone else's; the caller finds whose it is.
[[nodiscard]] FrameInfo classify_frame_any_address(ConstBytes frame, bool verify_udp_checksum) noexcept;

// Just enough of a frame to choose the worker that owns it (software steering): true for an
// unfragmented IPv4 UDP datagram whose headers are present, with its source address (host order)
// and destination port. Nothing is validated; the owner classifies the frame in full.
[[nodiscard]] bool peek_udp_owner_key(ConstBytes frame, Ipv4& src_ip, std::uint16_t& dst_port) noexcept;

// Replies, built into `out`; each returns the frame length or 0 when `out` is too small.
[[nodiscard]] std::size_t build_arp_reply(MutableBytes out, const LocalAddress& us, const FrameInfo& request) noexcept;
[[nodiscard]] std::size_t build_arp_request(MutableBytes out, const LocalAddress& us, Ipv4 target_ip,
                                            bool gratuitous) noexcept;
[[nodiscard]] std::size_t build_icmp_echo_reply(MutableBytes out, const LocalAddress& us,
                                                const FrameInfo& echo) noexcept;

// Ethernet + IPv4 + UDP headers (42 bytes) for a datagram whose payload has `payload_len` bytes and
// whose UDP checksum is `udp_checksum` (host order; compute it with udp_checksum()).
[[nodiscard]] std::size_t build_udp_headers(MutableBytes out, const Mac& src_mac, const Mac& dst_mac, Ipv4 src_ip,
                                            Ipv4 dst_ip, std::uint16_t src_port, std::uint16_t dst_port,
                                            std::size_t payload_len, std::uint16_t ip_id,
                                            std::uint16_t udp_checksum) noexcept;
// The UDP checksum over the pseudo-header, UDP header and payload pieces (0 is sent as 0xffff).
[[nodiscard]] std::uint16_t udp_checksum(Ipv4 src_ip, Ipv4 dst_ip, std::uint16_t src_port, std::uint16_t dst_port,
                                         const ConstBytes* pieces, std::size_t npieces) noexcept;
// The same, with the payload's sum already taken (InetChecksum::partial() over `payload_len` bytes
// from an even start): lets a sender reuse the sum of a block it sends again.
[[nodiscard]] std::uint16_t udp_checksum(Ipv4 src_ip, Ipv4 dst_ip, std::uint16_t src_port, std::uint16_t dst_port,
                                         std::size_t payload_len, std::uint16_t payload_sum) noexcept;

}  // namespace rackboot::proto
