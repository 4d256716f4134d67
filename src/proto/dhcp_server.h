// Full DHCP server policy (RFC 2131/2132): DISCOVER/OFFER, REQUEST/ACK/NAK, RELEASE, DECLINE,
// INFORM over a LeaseTable, with the Pi boot options added for Pis and relay agents honoured.
// Pure: each call says what to send and which lease record changed; the caller persists the
// change before it sends the reply.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "proto/dhcp_leases.h"
#include "proto/dhcp_responder.h"

namespace rackboot::proto {

struct DhcpServerConfig {
    Ipv4 server_ip;         // option 54 and never handed out; unset: the receiving interface's
    Ipv4 tftp_ip;           // unset: the server
    Ipv4 router;            // option 3 when set
    std::vector<Ipv4> dns;  // option 6 when set
    std::vector<Oui> pi_ouis = default_pi_ouis();
};

struct DhcpServerResult {
    DhcpReply reply;
    std::optional<Lease> change;         // persist before sending the reply
    std::uint32_t yiaddr = 0;            // the address an OFFER or ACK gives
    bool offer_without_request = false;  // the Pi quirk, seen again on this MAC
};

class DhcpServer {
public:
    DhcpServer(DhcpServerConfig cfg, LeaseTable leases) : cfg_(std::move(cfg)), leases_(std::move(leases)) {}

    [[nodiscard]] DhcpServerResult handle(const DhcpPacket& req, std::uint32_t local_ip, std::int64_t now,
                                          MutableBytes out) noexcept;
    [[nodiscard]] LeaseTable& leases() noexcept { return leases_; }
    [[nodiscard]] const LeaseTable& leases() const noexcept { return leases_; }

private:
    std::size_t build(const DhcpPacket& req, DhcpMessageType type, std::uint32_t yiaddr, std::uint32_t server_ip,
                      const PiIdentity& pi, MutableBytes out) const noexcept;

    DhcpServerConfig cfg_;
    LeaseTable leases_;
};

}  // namespace rackboot::proto
