#include "proto/tftp_codec.h"

#include <algorithm>

namespace rackboot::proto {

namespace {

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

TftpParseError parse_options(ByteReader& r, TftpOptionList& out) noexcept {
    out.count = 0;
    while (!r.empty()) {
        // Some clients pad requests with NULs: what is left being all NULs is padding.
        ConstBytes rest = r.peek_rest();
        if (std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; })) return TftpParseError::none;
        auto name = r.cstring();
        if (!name) return TftpParseError::unterminated_option;
        auto value = r.cstring();
        if (!value) {
            return TftpParseError::unterminated_option;
        }
        if (name->empty()) return TftpParseError::empty_option_name;
        if (out.count == out.items.size()) return TftpParseError::too_many_options;
        out.items[out.count++] = TftpOption{*name, *value};
    }
    return TftpParseError::none;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

const TftpOption* TftpOptionList::find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        if (iequals(items[i].name, name)) return &items[i];
    }
    return nullptr;
}

TftpParseError parse_tftp(ConstBytes datagram, TftpPacket& out) noexcept {
    ByteReader r(datagram);
    auto op = r.be16();
    if (!op) return TftpParseError::truncated;
    if (*op < 1 || *op > 6) return TftpParseError::bad_opcode;
    out.opcode = static_cast<TftpOpcode>(*op);
    out.options.count = 0;

    switch (out.opcode) {
        case TftpOpcode::Rrq:
        case TftpOpcode::Wrq: {
            auto filename = r.cstring();
            if (!filename) return TftpParseError::unterminated_filename;
            if (filename->empty()) return TftpParseError::empty_filename;
            auto mode = r.cstring();
            if (!mode) return TftpParseError::unterminated_mode;
            if (iequals(*mode, "octet")) {
                out.mode = TftpMode::Octet;
            } else if (iequals(*mode, "netascii")) {
                out.mode = TftpMode::Netascii;
            } else if (iequals(*mode, "mail")) {
                out.mode = TftpMode::Mail;
            } else {
                return TftpParseError::bad_mode;
            }
            out.filename = *filename;
            return parse_options(r, out.options);
        }
        case TftpOpcode::Data:
        case TftpOpcode::Ack: {
            auto block = r.be16();
            if (!block) return TftpParseError::truncated;
            out.block = *block;
            out.payload = r.rest();
            return TftpParseError::none;
        }
        case TftpOpcode::Error: {
            auto code = r.be16();
            if (!code) return TftpParseError::truncated;
            out.error_code = static_cast<TftpErrorCode>(*code);
            // Be lenient: a message without its NUL is still a message.
            auto msg = r.cstring();
            if (msg) {
                out.error_message = *msg;
            } else {
                ConstBytes rest = r.rest();
                out.error_message = std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size());
            }
            return TftpParseError::none;
        }
        case TftpOpcode::Oack: return parse_options(r, out.options);
    }
    return TftpParseError::bad_opcode;
}

std::size_t build_tftp_data_header(MutableBytes out, std::uint16_t block) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(TftpOpcode::Data));
    w.be16(block);
    return w.ok() ? w.size() : 0;
}

std::size_t build_tftp_ack(MutableBytes out, std::uint16_t block) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(TftpOpcode::Ack));
    w.be16(block);
    return w.ok() ? w.size() : 0;
}

std::size_t build_tftp_error(MutableBytes out, TftpErrorCode code, std::string_view message) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(TftpOpcode::Error));
    w.be16(static_cast<std::uint16_t>(code));
    w.cstring(message);
    return w.ok() ? w.size() : 0;
}

std::size_t build_tftp_oack(MutableBytes out, const TftpOptionList& options) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(TftpOpcode::Oack));
    for (std::size_t i = 0; i < options.count; ++i) {
        w.cstring(options.items[i].name);
        w.cstring(options.items[i].value);
    }
    return w.ok() ? w.size() : 0;
}

std::size_t build_tftp_request(MutableBytes out, TftpOpcode op, std::string_view filename, std::string_view mode,
                               const TftpOptionList& options) noexcept {
    ByteWriter w(out);
    w.be16(static_cast<std::uint16_t>(op));
    w.cstring(filename);
    w.cstring(mode);
    for (std::size_t i = 0; i < options.count; ++i) {
        w.cstring(options.items[i].name);
        w.cstring(options.items[i].value);
    }
    return w.ok() ? w.size() : 0;
}

}  // namespace rackboot::proto
