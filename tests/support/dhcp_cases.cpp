// The DHCP table: the captured Pi 3B DISCOVER and the Pi 4 and Pi 5 vectors of PI-BOOT.md with
// the exact OFFERs they must get, the clients proxy mode must leave alone, and a full server's
// DISCOVER/REQUEST exchange. Replies are written out field by field, not produced by the code
// under test.
#include "support/dhcp_table.h"

namespace rackboot::test {

namespace {

using proto::DhcpReply;

Bytes ip_bytes(std::uint32_t ip) {
    return {static_cast<std::uint8_t>(ip >> 24), static_cast<std::uint8_t>(ip >> 16),
            static_cast<std::uint8_t>(ip >> 8), static_cast<std::uint8_t>(ip)};
}

Bytes u32_bytes(std::uint32_t v) {
    return ip_bytes(v);
}

// The Pi 3B ROM's constant GUID: type 0 and sixteen 0x44 bytes.
Bytes pi3b_guid() {
    Bytes g(17, 0x44);
    g[0] = 0;
    return g;
}
const Bytes kPi4Guid = {0, 'R', 'P', 'i', '4', 0x00, 0xc0, 0x31, 0x12, 0x32, 0x12, 0x34, 0x56, 0x1a, 0x2b, 0x3c, 0x4d};
const Bytes kPi5Guid = {0, 'R', 'P', 'i', '5', 0x00, 0xd0, 0x40, 0x17, 0x67, 0x01, 0x02, 0x03, 0xde, 0xad, 0xbe, 0xef};

// A proxy OFFER (PI-BOOT.md): no address (yiaddr 0), the server as TFTP server (siaddr), option
// 53 OFFER, 54 the server, 60 "PXEClient", 97 the client's GUID echoed, 43 the boot menu.
Bytes proxy_offer(const Bytes& req, const Bytes& guid) {
    return bootreply(
        req, 0, kDhcpServerIp,
        {{53, {2}}, {54, ip_bytes(kDhcpServerIp)}, {60, bytes_of("PXEClient")}, {97, guid}, {43, pi_vendor_options()}});
}

// A full server's reply to a Pi: the address and its lease (1, 3, 6, 28, 51, 58, 59) then the
// Pi's boot options.
Bytes server_reply(const Bytes& req, std::uint8_t type, std::uint32_t yiaddr, const Bytes& guid) {
    return bootreply(req, yiaddr, kDhcpServerIp,
                     {{53, {type}},
                      {54, ip_bytes(kDhcpServerIp)},
                      {51, u32_bytes(kDhcpLeaseTime)},
                      {58, u32_bytes(kDhcpLeaseTime / 2)},
                      {59, u32_bytes(kDhcpLeaseTime * 7 / 8)},
                      {1, ip_bytes(0xffffff00u)},
                      {28, ip_bytes(kDhcpServerIp | 0xff)},
                      {3, ip_bytes(kDhcpServerIp)},
                      {6, ip_bytes(kDhcpServerIp)},
                      {60, bytes_of("PXEClient")},
                      {97, guid},
                      {43, pi_vendor_options()}});
}

// The Pi 4 vector's REQUEST for `ip` after an OFFER from us (option 54 names us).
Bytes pi4_request(std::uint32_t ip) {
    return make_request({0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56}, 0x11223344,
                        {{53, {3}},
                         {50, ip_bytes(ip)},
                         {54, ip_bytes(kDhcpServerIp)},
                         {55, kPiParams},
                         {97, kPi4Guid},
                         {60, bytes_of("PXEClient:Arch:00000:UNDI:002001")}});
}

std::vector<DhcpCase> build() {
    std::vector<DhcpCase> cases;
    Bytes pi3b = pi3b_discover();
    cases.push_back({"Proxy: the captured Pi 3B ROM DISCOVER gets the dnsmasq-shaped OFFER, broadcast",
                     proto::DhcpMode::Proxy,
                     {pi3b},
                     {{DhcpReply::Dest::Broadcast, 0, proxy_offer(pi3b, pi3b_guid())}},
                     {{"dhcp.discover.replied", 1}, {"tx_packets", 1}}});
    cases.push_back({"Proxy: Pi 4 EEPROM DISCOVER (option 97 'RPi4' GUID echoed)",
                     proto::DhcpMode::Proxy,
                     {pi4_discover()},
                     {{DhcpReply::Dest::Broadcast, 0, proxy_offer(pi4_discover(), kPi4Guid)}},
                     {{"dhcp.discover.replied", 1}}});
    cases.push_back({"Proxy: Pi 5 EEPROM DISCOVER (OUI 2c:cf:67, broadcast flag)",
                     proto::DhcpMode::Proxy,
                     {pi5_discover()},
                     {{DhcpReply::Dest::Broadcast, 0, proxy_offer(pi5_discover(), kPi5Guid)}},
                     {{"dhcp.discover.replied", 1}}});
    cases.push_back({"Proxy: u-boot and iPXE (the Pi's very vendor class, no Pi OUI or GUID) are left alone",
                     proto::DhcpMode::Proxy,
                     {uboot_discover(), ipxe_discover()},
                     {},
                     {{"dhcp.discover.not_a_pi", 2}, {"tx_packets", 0}}});
    cases.push_back({"Proxy: a truncated DISCOVER is counted and dropped",
                     proto::DhcpMode::Proxy,
                     {Bytes(pi3b.begin(), pi3b.begin() + 100)},
                     {},
                     {{"dhcp.none.malformed", 1}, {"tx_packets", 0}}});
    cases.push_back(
        {"Server: Pi 4 DISCOVER then REQUEST: the first pool address, offered then acknowledged, "
         "each only once its lease is durable",
         proto::DhcpMode::Server,
         {pi4_discover(), pi4_request(kDhcpPoolStart)},
         {{DhcpReply::Dest::Broadcast, 0, server_reply(pi4_discover(), 2, kDhcpPoolStart, kPi4Guid)},
          {DhcpReply::Dest::Broadcast, 0, server_reply(pi4_request(kDhcpPoolStart), 5, kDhcpPoolStart, kPi4Guid)}},
         {{"dhcp.discover.replied", 1}, {"dhcp.request.replied", 1}}});
    cases.push_back(
        {"Server: the Pi 3B ROM uses its OFFER without a REQUEST; its second DISCOVER gets the same "
         "address, and the quirk is counted",
         proto::DhcpMode::Server,
         {pi3b, pi3b},
         {{DhcpReply::Dest::Broadcast, 0, server_reply(pi3b, 2, kDhcpPoolStart, pi3b_guid())},
          {DhcpReply::Dest::Broadcast, 0, server_reply(pi3b, 2, kDhcpPoolStart, pi3b_guid())}},
         {{"dhcp.discover.replied", 2}}});
    return cases;
}

}  // namespace

const std::vector<DhcpCase>& dhcp_cases() {
    static const std::vector<DhcpCase> cases = build();
    return cases;
}

}  // namespace rackboot::test
