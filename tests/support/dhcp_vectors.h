// DHCP requests as byte arrays: the captured Pi 3B DISCOVER (shared/pi-packets/pi3b-discover.hex)
// and DISCOVERs built field by field from PI-BOOT.md (Pi 4, Pi 5), u-boot's and iPXE's.
#pragma once

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace rackboot::test {

inline std::vector<std::uint8_t> from_hex(const std::string& hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// The UDP payload of a Pi 3B ROM DISCOVER, as captured (320 bytes), read from the one stored
// copy, tests/data/pi3b-discover.hex (RACKBOOT_TEST_DATA is set by CMake).
inline std::vector<std::uint8_t> pi3b_discover() {
    static const std::vector<std::uint8_t> capture = [] {
        std::ifstream in(std::string(RACKBOOT_TEST_DATA) + "/pi3b-discover.hex");
        std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
        return from_hex(hex);
    }();
    return capture;
}

using Opt = std::pair<std::uint8_t, std::vector<std::uint8_t>>;

inline std::vector<std::uint8_t> bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// A BOOTREQUEST with the given MAC, xid, flags, giaddr and options, built byte by byte.
inline std::vector<std::uint8_t> make_request(std::vector<std::uint8_t> mac, std::uint32_t xid,
                                              std::initializer_list<Opt> opts, std::uint16_t flags = 0,
                                              std::uint32_t giaddr = 0, std::uint8_t hops = 0) {
    std::vector<std::uint8_t> p(236, 0);
    p[0] = 1;
    p[1] = 1;
    p[2] = 6;
    p[3] = hops;
    for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(xid >> (24 - 8 * i));
    p[10] = static_cast<std::uint8_t>(flags >> 8);
    p[11] = static_cast<std::uint8_t>(flags);
    for (int i = 0; i < 4; ++i) p[24 + i] = static_cast<std::uint8_t>(giaddr >> (24 - 8 * i));
    for (std::size_t i = 0; i < mac.size(); ++i) p[28 + i] = mac[i];
    for (int b : {0x63, 0x82, 0x53, 0x63}) p.push_back(static_cast<std::uint8_t>(b));
    for (const auto& [code, data] : opts) {
        p.push_back(code);
        p.push_back(static_cast<std::uint8_t>(data.size()));
        p.insert(p.end(), data.begin(), data.end());
    }
    p.push_back(0xff);
    return p;
}

inline const std::vector<std::uint8_t> kPiParams = {43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3};

// Pi 4 EEPROM: option 97 = type 0 + "RPi4" + revision c03112 + low MAC bytes + serial 1a2b3c4d.
inline std::vector<std::uint8_t> pi4_discover() {
    return make_request(
        {0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56}, 0x11223344,
        {{53, {1}},
         {55, kPiParams},
         {93, {0, 0}},
         {94, {1, 2, 1}},
         {97, {0, 'R', 'P', 'i', '4', 0x00, 0xc0, 0x31, 0x12, 0x32, 0x12, 0x34, 0x56, 0x1a, 0x2b, 0x3c, 0x4d}},
         {60, bytes_of("PXEClient:Arch:00000:UNDI:002001")}});
}

// Pi 5 EEPROM: a MAC under 2c:cf:67, "RPi5" GUID with serial deadbeef.
inline std::vector<std::uint8_t> pi5_discover() {
    return make_request(
        {0x2c, 0xcf, 0x67, 0x01, 0x02, 0x03}, 0x55667788,
        {{53, {1}},
         {55, kPiParams},
         {93, {0, 0}},
         {94, {1, 2, 1}},
         {97, {0, 'R', 'P', 'i', '5', 0x00, 0xd0, 0x40, 0x17, 0x67, 0x01, 0x02, 0x03, 0xde, 0xad, 0xbe, 0xef}},
         {60, bytes_of("PXEClient:Arch:00000:UNDI:002001")}},
        0x8000);
}

// u-boot (qemu arm64) DISCOVER: not a Pi.
inline std::vector<std::uint8_t> uboot_discover() {
    return make_request({0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 0x0badf00d,
                        {{53, {1}},
                         {57, {0x02, 0x40}},
                         {60, bytes_of("PXEClient:Arch:00011:UNDI:003000")},
                         {93, {0x00, 0x0b}},
                         {94, {1, 0, 0}},
                         {55, {1, 3, 12, 15, 6, 28, 42, 17, 66, 67}}});
}

// iPXE DISCOVER: the very vendor class a Pi sends, but neither a Pi OUI nor an "RPi" GUID.
inline std::vector<std::uint8_t> ipxe_discover() {
    return make_request(
        {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}, 0xcafe0001,
        {{53, {1}},
         {57, {0x05, 0xc0}},
         {93, {0, 0}},
         {94, {1, 2, 1}},
         {60, bytes_of("PXEClient:Arch:00000:UNDI:002001")},
         {77, bytes_of("iPXE")},
         {55, {1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203}},
         {97, {0, 0x44, 0x45, 0x4c, 0x4c, 0x00, 0x10, 0x80, 0x4b, 0x80, 0xb7, 0xc0, 0x4f, 0x39, 0x4e, 0x32, 0x12}},
         {61, {1, 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}}});
}

}  // namespace rackboot::test
