#include "proto/tftp_options.h"

#include <algorithm>
#include <charconv>

namespace rackboot::proto {

std::uint16_t TftpLimits::blksize_for_mtu(std::uint32_t mtu) noexcept {
    constexpr std::uint32_t overhead = 20 + 8 + 4;
    if (mtu <= overhead + kTftpMinBlksize) return kTftpMinBlksize;
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(mtu - overhead, kTftpMaxBlksize));
}

bool parse_decimal(std::string_view text, std::uint64_t max, std::uint64_t& out) noexcept {
    if (text.empty() || text.size() > 20) return false;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (v > (max - digit) / 10) return false;
        v = v * 10 + digit;
    }
    out = v;
    return true;
}

TftpNegotiationResult negotiate_tftp_options(const TftpOptionList& requested, TftpMode mode, std::uint64_t file_size,
                                             const TftpLimits& limits, TftpNegotiated& out) noexcept {
    out = TftpNegotiated{};
    out.timeout = limits.default_timeout;
    out.tsize = file_size;

    for (std::size_t i = 0; i < requested.count; ++i) {
        const TftpOption& opt = requested.items[i];
        std::uint64_t v = 0;
        if (iequals(opt.name, "blksize")) {
            if (!parse_decimal(opt.value, UINT64_MAX, v)) return {false, "blksize is not a number"};
            if (v < kTftpMinBlksize) return {false, "blksize below 8"};
            out.blksize = static_cast<std::uint16_t>(std::min<std::uint64_t>({v, kTftpMaxBlksize, limits.max_blksize}));
            out.ack_blksize = true;
        } else if (iequals(opt.name, "windowsize")) {
            if (!parse_decimal(opt.value, UINT64_MAX, v)) return {false, "windowsize is not a number"};
            if (v < 1) return {false, "windowsize below 1"};
            out.windowsize = static_cast<std::uint16_t>(std::min<std::uint64_t>({v, 65535, limits.max_windowsize}));
            // Netascii blocks are encoded one at a time from a cursor: one block in flight.
            if (mode == TftpMode::Netascii) out.windowsize = 1;
            out.ack_windowsize = true;
        } else if (iequals(opt.name, "tsize")) {
            // RFC 2349 says a reading client sends 0; atftp sends "enable". Any value asks for the size.
            // Netascii changes the size on the wire, so we only offer it for octet transfers.
            out.ack_tsize = (mode == TftpMode::Octet);
        } else if (iequals(opt.name, "timeout")) {
            if (!parse_decimal(opt.value, UINT64_MAX, v)) return {false, "timeout is not a number"};
            if (v >= 1 && v <= 255 && !out.ack_utimeout) {  // out of range: ignore, per RFC 2349
                out.timeout = static_cast<Nanos>(v) * kSecond;
                out.timeout_value = static_cast<std::uint32_t>(v);
                out.ack_timeout = true;
            }
        } else if (iequals(opt.name, "utimeout")) {
            if (!parse_decimal(opt.value, UINT64_MAX, v)) return {false, "utimeout is not a number"};
            if (v >= 10'000 && v <= 255'000'000) {  // tftp-hpa's range
                out.timeout = static_cast<Nanos>(v) * kMicrosecond;
                out.timeout_value = static_cast<std::uint32_t>(v);
                out.ack_utimeout = true;
                out.ack_timeout = false;
            }
        }
    }
    return {};
}

void set_tftp_file_size(TftpNegotiated& n, std::uint64_t file_size) noexcept {
    n.tsize = file_size;
    if (file_size == 0) n.ack_tsize = false;
}

std::size_t build_tftp_oack(MutableBytes out, const TftpNegotiated& n) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(TftpOpcode::Oack));
    char num[24];
    auto put = [&](std::string_view name, std::uint64_t value) {
        auto res = std::to_chars(num, num + sizeof num, value);
        w.cstring(name);
        w.cstring(std::string_view(num, static_cast<std::size_t>(res.ptr - num)));
    };
    if (n.ack_blksize) put("blksize", n.blksize);
    if (n.ack_tsize) put("tsize", n.tsize);
    if (n.ack_timeout) put("timeout", n.timeout_value);
    if (n.ack_utimeout) put("utimeout", n.timeout_value);
    if (n.ack_windowsize) put("windowsize", n.windowsize);
    return w.ok() ? w.size() : 0;
}

}  // namespace rackboot::proto
