#include "proto/dhcp_codec.h"

#include <algorithm>
#include <cstring>

namespace rackboot::proto {

namespace {

std::uint32_t read_be32(ConstBytes b, std::size_t off) noexcept {
    return (std::uint32_t{b[off]} << 24) | (std::uint32_t{b[off + 1]} << 16) | (std::uint32_t{b[off + 2]} << 8) |
           std::uint32_t{b[off + 3]};
}

// Walks one options area. `allow_overload`: option 52 may only appear in the options field.
DhcpParseError walk(ConstBytes area, DhcpOptions& out, bool allow_overload, std::uint8_t& overload) noexcept {
    ByteReader r(area);
    while (!r.empty()) {
        std::uint8_t code = *r.u8();
        if (code == dhcp_option::kPad) continue;
        if (code == dhcp_option::kEnd) return DhcpParseError::none;
        auto len = r.u8();
        if (!len) return DhcpParseError::option_truncated;
        auto data = r.bytes(*len);
        if (!data) return DhcpParseError::option_truncated;
        if (code == dhcp_option::kOverload) {
            if (!allow_overload || *len != 1 || (*data)[0] < 1 || (*data)[0] > 3) return DhcpParseError::bad_overload;
            overload = (*data)[0];
        }
        if (!out.add(code, *data)) return DhcpParseError::too_many_options;
    }
    // An area may end without END (the file/sname fields are fixed size): accept it.
    return DhcpParseError::none;
}

}  // namespace

std::string_view to_string(DhcpMessageType t) noexcept {
    switch (t) {
        case DhcpMessageType::None: return "none";
        case DhcpMessageType::Discover: return "discover";
        case DhcpMessageType::Offer: return "offer";
        case DhcpMessageType::Request: return "request";
        case DhcpMessageType::Decline: return "decline";
        case DhcpMessageType::Ack: return "ack";
        case DhcpMessageType::Nak: return "nak";
        case DhcpMessageType::Release: return "release";
        case DhcpMessageType::Inform: return "inform";
    }
    return "unknown";
}

std::string_view to_string(DhcpParseError e) noexcept {
    switch (e) {
        case DhcpParseError::none: return "none";
#define X(name, text) \
    case DhcpParseError::name: return #name;
            RACKBOOT_DHCP_PARSE_ERRORS(X)
#undef X
    }
    return "unknown";
}

std::optional<ConstBytes> DhcpOptions::find(std::uint8_t code) const noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
        if (refs_[i].code == code) return refs_[i].data;
    }
    return std::nullopt;
}

std::size_t DhcpOptions::instances(std::uint8_t code) const noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) n += refs_[i].code == code ? 1 : 0;
    return n;
}

std::optional<ConstBytes> DhcpOptions::joined(std::uint8_t code, MutableBytes scratch) const noexcept {
    std::size_t n = instances(code);
    if (n == 0) return std::nullopt;
    if (n == 1) return find(code);
    std::size_t used = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        if (refs_[i].code != code) continue;
        if (scratch.size() - used < refs_[i].data.size()) return std::nullopt;
        if (!refs_[i].data.empty()) std::memcpy(scratch.data() + used, refs_[i].data.data(), refs_[i].data.size());
        used += refs_[i].data.size();
    }
    return ConstBytes(scratch.data(), used);
}

DhcpParseError parse_dhcp(ConstBytes d, DhcpPacket& out) noexcept {
    if (d.size() < kBootpFixedSize + 4) return DhcpParseError::truncated_header;
    out.op = d[0];
    if (out.op != 1 && out.op != 2) return DhcpParseError::bad_op;
    out.htype = d[1];
    out.hlen = d[2];
    if (out.hlen > 16) return DhcpParseError::bad_hlen;
    out.hops = d[3];
    out.xid = read_be32(d, 4);
    out.secs = static_cast<std::uint16_t>((d[8] << 8) | d[9]);
    out.flags = static_cast<std::uint16_t>((d[10] << 8) | d[11]);
    out.ciaddr = read_be32(d, 12);
    out.yiaddr = read_be32(d, 16);
    out.siaddr = read_be32(d, 20);
    out.giaddr = read_be32(d, 24);
    std::memcpy(out.chaddr.data(), d.data() + 28, 16);
    out.sname = d.subspan(44, 64);
    out.file = d.subspan(108, 128);
    if (read_be32(d, kBootpFixedSize) != kDhcpMagicCookie) return DhcpParseError::bad_cookie;

    out.options.clear();
    std::uint8_t overload = 0;
    std::uint8_t ignored = 0;
    DhcpParseError e = walk(d.subspan(kBootpFixedSize + 4), out.options, true, overload);
    if (e != DhcpParseError::none) return e;
    // RFC 3396 order: options field, then file, then sname. Each is walked once: no loops.
    out.file_overloaded = (overload & 1) != 0;
    out.sname_overloaded = (overload & 2) != 0;
    if (out.file_overloaded && (e = walk(out.file, out.options, false, ignored)) != DhcpParseError::none) return e;
    if (out.sname_overloaded && (e = walk(out.sname, out.options, false, ignored)) != DhcpParseError::none) return e;

    auto mt = out.options.find(dhcp_option::kMessageType);
    if (!mt || mt->size() != 1 || (*mt)[0] < 1 || (*mt)[0] > 8) return DhcpParseError::bad_message_type;
    out.type = static_cast<DhcpMessageType>((*mt)[0]);
    return DhcpParseError::none;
}

void DhcpWriter::header(std::uint8_t op, const DhcpPacket& like, std::uint32_t ciaddr, std::uint32_t yiaddr,
                        std::uint32_t siaddr, std::uint32_t giaddr) noexcept {
    w_.u8(op);
    w_.u8(like.htype);
    w_.u8(like.hlen);
    w_.u8(0);  // hops
    w_.be32(like.xid);
    w_.be16(0);  // secs
    w_.be16(like.flags);
    w_.be32(ciaddr);
    w_.be32(yiaddr);
    w_.be32(siaddr);
    w_.be32(giaddr);
    w_.bytes(like.chaddr);
    std::array<std::uint8_t, 192> zeros{};  // sname (64) + file (128)
    w_.bytes(zeros);
    w_.be32(kDhcpMagicCookie);
}

void DhcpWriter::option(std::uint8_t code, ConstBytes data) noexcept {
    do {
        std::size_t n = std::min<std::size_t>(data.size(), 255);
        w_.u8(code);
        w_.u8(static_cast<std::uint8_t>(n));
        w_.bytes(data.first(n));
        data = data.subspan(n);
    } while (!data.empty());
}

void DhcpWriter::option_u8(std::uint8_t code, std::uint8_t v) noexcept {
    option(code, ConstBytes(&v, 1));
}

void DhcpWriter::option_u32(std::uint8_t code, std::uint32_t v) noexcept {
    std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                  static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    option(code, b);
}

void DhcpWriter::option_text(std::uint8_t code, std::string_view text) noexcept {
    option(code, ConstBytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::size_t DhcpWriter::finish() noexcept {
    w_.u8(dhcp_option::kEnd);
    while (w_.ok() && w_.size() < kBootpMinSize) w_.u8(dhcp_option::kPad);
    return w_.ok() ? w_.size() : 0;
}

}  // namespace rackboot::proto
