#include "proto/dhcp_responder.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace rackboot::proto {

void add_pi_boot_options(DhcpWriter& w, const DhcpPacket& req, std::uint32_t server_ip,
                         std::uint32_t tftp_ip) noexcept {
    w.option_text(dhcp_option::kVendorClass, "PXEClient");
    if (auto guid = req.options.find(dhcp_option::kClientGuid)) w.option(dhcp_option::kClientGuid, *guid);
    w.option(dhcp_option::kVendorSpecific, pi_pxe_vendor_options());
    if (tftp_ip != 0 && tftp_ip != server_ip) {
        char text[16];
        int n = std::snprintf(text, sizeof text, "%u.%u.%u.%u", tftp_ip >> 24, (tftp_ip >> 16) & 0xff,
                              (tftp_ip >> 8) & 0xff, tftp_ip & 0xff);
        w.option_text(dhcp_option::kTftpServerName, std::string_view(text, static_cast<std::size_t>(n)));
    }
}

DhcpReply::Dest reply_destination(const DhcpPacket& req, std::uint32_t& ip) noexcept {
    if (req.giaddr != 0) {
        ip = req.giaddr;
        return DhcpReply::Dest::Relay;
    }
    if (req.ciaddr != 0) {
        ip = req.ciaddr;
        return DhcpReply::Dest::Client;
    }
    ip = 0;
    return DhcpReply::Dest::Broadcast;
}

DhcpReply DhcpResponder::handle(const DhcpPacket& req, std::uint32_t local_ip, MutableBytes out) const noexcept {
    DhcpReply r;
    if (req.op != 1) {
        r.verdict = DhcpVerdict::not_a_request;
        return r;
    }
    Mac mac = req.mac();
    if (req.hlen == 0 || std::all_of(mac.begin(), mac.end(), [](std::uint8_t b) { return b == 0; })) {
        r.verdict = DhcpVerdict::bad_mac;
        return r;
    }
    r.pi = recognise_pi(req, cfg_.pi_ouis);
    if (req.type != DhcpMessageType::Discover) {
        // Proxy mode offers boot options only; the address comes from another server.
        r.verdict = DhcpVerdict::not_a_request;
        return r;
    }
    if (!r.pi.is_pi) {
        r.verdict = DhcpVerdict::not_a_pi;
        return r;
    }
    std::uint32_t server_ip = !cfg_.server_ip.unset() ? cfg_.server_ip.value() : local_ip;
    std::uint32_t tftp_ip = !cfg_.tftp_ip.unset() ? cfg_.tftp_ip.value() : server_ip;
    DhcpWriter w(out);
    // Proxy OFFER: no address (yiaddr 0), next-server is the TFTP server.
    w.header(2, req, 0, 0, tftp_ip, req.giaddr);
    w.option_u8(dhcp_option::kMessageType, static_cast<std::uint8_t>(DhcpMessageType::Offer));
    w.option_u32(dhcp_option::kServerId, server_ip);
    add_pi_boot_options(w, req, server_ip, tftp_ip);
    if (auto relay = req.options.find(dhcp_option::kRelayAgentInfo)) w.option(dhcp_option::kRelayAgentInfo, *relay);
    r.length = w.finish();
    r.verdict = r.length > 0 ? DhcpVerdict::replied : DhcpVerdict::malformed;
    r.dest = reply_destination(req, r.dest_ip);
    return r;
}

}  // namespace rackboot::proto
