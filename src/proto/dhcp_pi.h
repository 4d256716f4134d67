// Recognising a Raspberry Pi's boot ROM/EEPROM by its DHCP request, and the PXE vendor options it
// needs in a reply before it will go on to TFTP (PI-BOOT.md, phase 1).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "proto/dhcp_codec.h"
#include "proto/serial.h"

namespace rackboot::proto {

using Oui = std::array<std::uint8_t, 3>;

// Raspberry Pi Foundation / Raspberry Pi Trading OUIs known to PI-BOOT.md.
[[nodiscard]] std::vector<Oui> default_pi_ouis();

constexpr std::string_view kPiVendorClass = "PXEClient:Arch:00000:UNDI:002001";
constexpr std::string_view kPiBootMenuText = "Raspberry Pi Boot   ";  // three spaces: the Pi 3B ROM compares exactly

struct PiIdentity {
    bool is_pi = false;
    bool vendor_class = false;  // option 60 is the Pi's PXE string
    bool oui_match = false;
    bool guid_rpi = false;         // option 97 begins with "RPi"
    int model = 0;                 // 4 or 5 when option 97 says so, else 0
    std::optional<Serial> serial;  // from option 97 (Pi 4/5)
};

// A Pi: option 60 is kPiVendorClass, and the MAC OUI is in `ouis` or option 97 begins with "RPi".
[[nodiscard]] PiIdentity recognise_pi(const DhcpPacket& pkt, const std::vector<Oui>& ouis) noexcept;

// Option 43 (PXE vendor options) as dnsmasq sends it, with the three-space boot menu text:
// sub-option 6 discovery control = 3, 10 menu prompt (timeout 0, "PXE"), 9 boot menu, end.
[[nodiscard]] ConstBytes pi_pxe_vendor_options() noexcept;

}  // namespace rackboot::proto
