#include "proto/dhcp_pi.h"

#include <algorithm>
#include <cstring>

namespace rackboot::proto {

namespace {

constexpr std::array<std::uint8_t, 35> kPxeVendorOptions = {
    0x06, 0x01, 0x03,                   // discovery control: 3
    0x0a, 0x04, 0x00, 'P',  'X',  'E',  // menu prompt: timeout 0, "PXE"
    0x09, 0x17, 0x00, 0x00, 0x14,       // boot menu: type 0, 20 bytes of text
    'R',  'a',  's',  'p',  'b',  'e', 'r', 'r', 'y', ' ', 'P', 'i', ' ', 'B', 'o', 'o', 't', ' ', ' ', ' ', 0xff,
};

}  // namespace

std::vector<Oui> default_pi_ouis() {
    return {{0xb8, 0x27, 0xeb}, {0xdc, 0xa6, 0x32}, {0xe4, 0x5f, 0x01}, {0xd8, 0x3a, 0xdd},
            {0x2c, 0xcf, 0x67}, {0x28, 0xcd, 0xc1}, {0x88, 0xa2, 0x9e}};
}

ConstBytes pi_pxe_vendor_options() noexcept {
    return kPxeVendorOptions;
}

PiIdentity recognise_pi(const DhcpPacket& pkt, const std::vector<Oui>& ouis) noexcept {
    PiIdentity id;
    auto vc = pkt.options.find(dhcp_option::kVendorClass);
    id.vendor_class = vc && std::string_view(reinterpret_cast<const char*>(vc->data()), vc->size()) == kPiVendorClass;
    if (pkt.htype == 1 && pkt.hlen == 6) {
        Oui oui{pkt.chaddr[0], pkt.chaddr[1], pkt.chaddr[2]};
        id.oui_match = std::find(ouis.begin(), ouis.end(), oui) != ouis.end();
    }
    if (auto guid = pkt.options.find(dhcp_option::kClientGuid)) {
        ConstBytes g = *guid;
        // Option 97 is a type byte (0) and a 16-byte GUID; accept the GUID with or without it.
        if (g.size() == 17 && g[0] == 0) g = g.subspan(1);
        if (g.size() >= 3 && std::memcmp(g.data(), "RPi", 3) == 0) {
            id.guid_rpi = true;
            if (g.size() >= 4 && (g[3] == '4' || g[3] == '5')) id.model = g[3] - '0';
            // "RPi4" + board revision (4) + low MAC bytes (4) + serial (4).
            if (g.size() == 16) {
                id.serial = Serial((std::uint32_t{g[12]} << 24) | (std::uint32_t{g[13]} << 16) |
                                   (std::uint32_t{g[14]} << 8) | std::uint32_t{g[15]});
            }
        }
    }
    id.is_pi = id.vendor_class && (id.oui_match || id.guid_rpi);
    return id;
}

}  // namespace rackboot::proto
