// The client side of a Raspberry Pi's network boot DHCP (issue 11: the swarm's synthetic Pis, and
// the "fake Pi" tests use): the DISCOVER and REQUEST each model's boot ROM or EEPROM sends, byte
// for byte as PI-BOOT.md and tests/data describe them, and what a Pi reads from the answer. Pure:
// bytes in, bytes out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "proto/byte_cursor.h"
#include "proto/dhcp_codec.h"
#include "proto/serial.h"

namespace rackboot::proto {

enum class PiModel : std::uint8_t { pi3, pi4, pi5 };

struct FakePi {
    PiModel model = PiModel::pi4;
    Mac mac{};
    Serial serial;  // pi4 and pi5 carry it in option 97; the Pi 3 ROM does not
};

// The boot firmware's DISCOVER (UDP payload); 0 when `out` is too small.
// - pi3 (ROM): parameter list 43,60,67,128..135,66; option 97 = 0 + sixteen 'D'; padded to 320.
// - pi4 (EEPROM): parameters 43,60,67,128..135,66,1,3; option 97 = 0, "RPi4", revision c03112,
//   the MAC's low 4 bytes, the serial.
// - pi5: as pi4 with "RPi5", revision d04017, and the broadcast flag set.
[[nodiscard]] std::size_t build_pi_discover(const FakePi& pi, std::uint32_t xid, MutableBytes out) noexcept;
// The REQUEST for `ip` from `server` (the Pi 4/5 EEPROM's; the Pi 3 ROM sends none).
[[nodiscard]] std::size_t build_pi_request(const FakePi& pi, std::uint32_t xid, std::uint32_t ip, std::uint32_t server,
                                           MutableBytes out) noexcept;

// What a Pi takes from an answer to it (host byte order).
struct PiDhcpAnswer {
    DhcpMessageType type = DhcpMessageType::None;
    std::uint32_t yiaddr = 0;
    std::uint32_t server_id = 0;
    std::uint32_t tftp_server = 0;  // option 66 as an address, else siaddr, else the server id
    bool pxe_menu = false;          // option 43 present (the Pi boots only when the menu is there)
};

// False when the bytes are not a BOOTREPLY to this Pi's MAC and `xid`.
[[nodiscard]] bool read_pi_dhcp_answer(ConstBytes reply, const FakePi& pi, std::uint32_t xid,
                                       PiDhcpAnswer& out) noexcept;

}  // namespace rackboot::proto
