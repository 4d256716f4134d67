// What rackbootd answers to a DHCP message: the policy of proxy mode (answer Pis only, with the
// PXE options that make them go on to TFTP); full server mode (DhcpServer) builds on it. Pure: a parsed request
// and the address it arrived on in, reply bytes and where to send them out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proto/dhcp_codec.h"
#include "proto/dhcp_pi.h"
#include "proto/ipv4.h"
#include "proto/reason_list.h"

namespace rackboot::proto {

enum class DhcpMode : std::uint8_t { Off, Proxy, Server };

#define RACKBOOT_DHCP_VERDICTS(X)                                                                       \
    X(replied, info, "a reply was built")                                                               \
    X(accepted, info, "handled, and no reply is due (RELEASE, DECLINE)")                                \
    X(malformed, warning, "not a valid DHCP message")                                                   \
    X(not_a_pi, info, "proxy mode answers Raspberry Pis only")                                          \
    X(bad_mac, warning, "hardware address missing or all zeroes")                                       \
    X(not_a_request, info, "BOOTREPLY or a message type a server does not answer")                      \
    X(no_free_address, error, "the pool is exhausted")                                                  \
    X(other_server, info, "the client chose another server's offer")                                    \
    X(not_our_subnet, warning, "relayed from a subnet we do not serve")                                 \
    X(busy, error, "too many replies waiting for the lease store")                                      \
    X(store_unavailable, error, "the lease store cannot write: no new lease until it can")              \
    X(rate_limited, warning, "this client sent more DISCOVERs than a client needs")                     \
    X(netboot_off, info, "the board has netboot off: its boot firmware is not answered")                \
    X(identity_conflict, warning, "option 97 claims a board from a MAC it does not list: not answered") \
    X(reserved_for_pis, warning, "the pool is nearly full: what is left is kept for Raspberry Pis")     \
    X(held_for_room, info, "a Pi's boot waits for room on the path: not answered yet (its firmware asks again)")

RACKBOOT_DEFINE_REASONS(DhcpVerdict, RACKBOOT_DHCP_VERDICTS)

struct DhcpResponderConfig {
    DhcpMode mode = DhcpMode::Proxy;
    std::vector<Oui> pi_ouis = default_pi_ouis();
    Ipv4 server_ip;  // option 54; unset: the address the request arrived on
    Ipv4 tftp_ip;    // option 66 when it differs from the server; unset: the server
};

struct DhcpReply {
    DhcpVerdict verdict = DhcpVerdict::malformed;
    std::size_t length = 0;
    // Where it goes (RFC 2131 4.1): broadcast to 255.255.255.255:68 out of the ingress interface,
    // to a relay agent's giaddr on port 67, or to a configured client's ciaddr on port 68.
    enum class Dest : std::uint8_t { Broadcast, Relay, Client } dest = Dest::Broadcast;
    std::uint32_t dest_ip = 0;
    PiIdentity pi;
};

// RFC 2131 4.1: relay first, then a client that has an address, else broadcast.
[[nodiscard]] DhcpReply::Dest reply_destination(const DhcpPacket& req, std::uint32_t& ip) noexcept;

class DhcpResponder {
public:
    explicit DhcpResponder(DhcpResponderConfig cfg) : cfg_(std::move(cfg)) {}

    // `local_ip` is our address on the interface the request arrived on (host order).
    [[nodiscard]] DhcpReply handle(const DhcpPacket& req, std::uint32_t local_ip, MutableBytes out) const noexcept;

private:
    DhcpResponderConfig cfg_;
};

// Adds the options a Pi needs to continue (60 "PXEClient", 97 echoed, 43 PXE menu, 66 when the
// TFTP server is another host), for proxy and full replies alike.
void add_pi_boot_options(DhcpWriter& w, const DhcpPacket& req, std::uint32_t server_ip, std::uint32_t tftp_ip) noexcept;

}  // namespace rackboot::proto
