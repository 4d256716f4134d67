#include "proto/pi_dhcp_client.h"

#include <cstring>
#include <string_view>

#include "proto/ipv4.h"

namespace rackboot::proto {

namespace {

constexpr std::uint8_t kPi3Params[] = {43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66};
constexpr std::uint8_t kPi45Params[] = {43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3};
constexpr std::string_view kVendorClass = "PXEClient:Arch:00000:UNDI:002001";
constexpr std::size_t kPi3Size = 320;  // the ROM pads its DISCOVER to 320 bytes (tests/data)

std::array<std::uint8_t, 17> guid(const FakePi& pi) noexcept {
    std::array<std::uint8_t, 17> g{};
    if (pi.model == PiModel::pi3) {
        std::memset(g.data() + 1, 'D', 16);
        return g;
    }
    bool five = pi.model == PiModel::pi5;
    const std::uint8_t head[9] = {0,
                                  'R',
                                  'P',
                                  'i',
                                  static_cast<std::uint8_t>(five ? '5' : '4'),
                                  0x00,
                                  static_cast<std::uint8_t>(five ? 0xd0 : 0xc0),
                                  static_cast<std::uint8_t>(five ? 0x40 : 0x31),
                                  static_cast<std::uint8_t>(five ? 0x17 : 0x12)};
    std::memcpy(g.data(), head, sizeof head);
    std::memcpy(g.data() + 9, pi.mac.data() + 2, 4);
    for (int i = 0; i < 4; ++i)
        g[13 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(pi.serial.value() >> (24 - 8 * i));
    return g;
}

std::size_t build(const FakePi& pi, std::uint32_t xid, DhcpMessageType type, std::uint32_t ip, std::uint32_t server,
                  MutableBytes out) noexcept {
    DhcpPacket like;
    like.htype = 1;
    like.hlen = 6;
    like.xid = xid;
    like.flags = pi.model == PiModel::pi5 ? 0x8000 : 0;
    std::memcpy(like.chaddr.data(), pi.mac.data(), 6);
    DhcpWriter w(out);
    w.header(1, like, 0, 0, 0, 0);
    w.option_u8(dhcp_option::kMessageType, static_cast<std::uint8_t>(type));
    if (type == DhcpMessageType::Request) {
        w.option_u32(dhcp_option::kRequestedIp, ip);
        w.option_u32(dhcp_option::kServerId, server);
    }
    if (pi.model == PiModel::pi3) {
        w.option(dhcp_option::kParameterList, ConstBytes(kPi3Params, sizeof kPi3Params));
    } else {
        w.option(dhcp_option::kParameterList, ConstBytes(kPi45Params, sizeof kPi45Params));
    }
    const std::uint8_t arch[] = {0, 0};
    const std::uint8_t ndi[] = {1, 2, 1};
    w.option(dhcp_option::kClientArch, ConstBytes(arch, sizeof arch));
    w.option(dhcp_option::kClientNdi, ConstBytes(ndi, sizeof ndi));
    std::array<std::uint8_t, 17> g = guid(pi);
    w.option(dhcp_option::kClientGuid, ConstBytes(g.data(), g.size()));
    w.option_text(dhcp_option::kVendorClass, kVendorClass);
    std::size_t n = w.finish();
    if (n == 0 || pi.model != PiModel::pi3) return n;
    if (out.size() < kPi3Size) return 0;
    std::memset(out.data() + n, 0, kPi3Size - n);
    return kPi3Size;
}

}  // namespace

std::size_t build_pi_discover(const FakePi& pi, std::uint32_t xid, MutableBytes out) noexcept {
    return build(pi, xid, DhcpMessageType::Discover, 0, 0, out);
}

std::size_t build_pi_request(const FakePi& pi, std::uint32_t xid, std::uint32_t ip, std::uint32_t server,
                             MutableBytes out) noexcept {
    return build(pi, xid, DhcpMessageType::Request, ip, server, out);
}

bool read_pi_dhcp_answer(ConstBytes reply, const FakePi& pi, std::uint32_t xid, PiDhcpAnswer& out) noexcept {
    DhcpPacket p;
    if (parse_dhcp(reply, p) != DhcpParseError::none || p.op != 2 || p.xid != xid) return false;
    if (std::memcmp(p.chaddr.data(), pi.mac.data(), 6) != 0) return false;
    out = PiDhcpAnswer{};
    out.type = p.type;
    out.yiaddr = p.yiaddr;
    if (auto id = p.options.find(dhcp_option::kServerId); id && id->size() == 4) {
        out.server_id = (std::uint32_t{(*id)[0]} << 24) | (std::uint32_t{(*id)[1]} << 16) |
                        (std::uint32_t{(*id)[2]} << 8) | (*id)[3];
    }
    out.tftp_server = p.siaddr != 0 ? p.siaddr : out.server_id;
    if (auto name = p.options.find(dhcp_option::kTftpServerName)) {
        std::string_view text(reinterpret_cast<const char*>(name->data()), name->size());
        while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
        if (auto a = Ipv4::parse(text)) out.tftp_server = a->value();
    }
    out.pxe_menu = p.options.find(dhcp_option::kVendorSpecific).has_value();
    return true;
}

}  // namespace rackboot::proto
