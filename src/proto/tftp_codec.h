// TFTP wire format (RFC 1350) with option extension (RFC 2347): parsing into views over the
// datagram (no copies, no allocation) and building into caller-provided buffers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/byte_cursor.h"
#include "proto/reason_list.h"

namespace rackboot::proto {

enum class TftpOpcode : std::uint16_t { Rrq = 1, Wrq = 2, Data = 3, Ack = 4, Error = 5, Oack = 6 };

// RFC 1350 section 5 and RFC 2347 (code 8).
enum class TftpErrorCode : std::uint16_t {
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionRefused = 8,
};

enum class TftpMode : std::uint8_t { Octet, Netascii, Mail };

// Why a datagram is not a valid TFTP packet. Each value names a drop reason.
#define RACKBOOT_TFTP_PARSE_ERRORS(X)                                             \
    X(none, info, "a valid packet")                                               \
    X(truncated, warning, "shorter than its opcode and fixed fields")             \
    X(bad_opcode, warning, "opcode outside 1..6")                                 \
    X(unterminated_filename, warning, "filename has no NUL terminator")           \
    X(unterminated_mode, warning, "mode has no NUL terminator")                   \
    X(empty_filename, warning, "filename is empty")                               \
    X(bad_mode, warning, "mode is not octet, netascii or mail")                   \
    X(unterminated_option, warning, "option name or value has no NUL terminator") \
    X(too_many_options, warning, "more options than the parser keeps")            \
    X(empty_option_name, warning, "option with an empty name")

RACKBOOT_DEFINE_REASONS(TftpParseError, RACKBOOT_TFTP_PARSE_ERRORS)

struct TftpOption {
    std::string_view name;
    std::string_view value;
};

constexpr std::size_t kMaxTftpOptions = 16;

struct TftpOptionList {
    std::array<TftpOption, kMaxTftpOptions> items{};
    std::size_t count = 0;

    // Case-insensitive lookup (RFC 2347: option names are case insensitive).
    [[nodiscard]] const TftpOption* find(std::string_view name) const noexcept;
};

// A parsed datagram. Views point into the datagram, which must outlive this struct.
struct TftpPacket {
    TftpOpcode opcode{};
    // RRQ / WRQ
    std::string_view filename;
    TftpMode mode = TftpMode::Octet;
    TftpOptionList options;  // also OACK
    // DATA / ACK
    std::uint16_t block = 0;
    ConstBytes payload;
    // ERROR
    TftpErrorCode error_code = TftpErrorCode::NotDefined;
    std::string_view error_message;
};

// Parses one datagram. On failure `out` is left in an unspecified but safe state.
[[nodiscard]] TftpParseError parse_tftp(ConstBytes datagram, TftpPacket& out) noexcept;

// Builders return the number of bytes written, or 0 when the buffer is too small.
[[nodiscard]] std::size_t build_tftp_data_header(MutableBytes out, std::uint16_t block) noexcept;
[[nodiscard]] std::size_t build_tftp_ack(MutableBytes out, std::uint16_t block) noexcept;
[[nodiscard]] std::size_t build_tftp_error(MutableBytes out, TftpErrorCode code, std::string_view message) noexcept;
[[nodiscard]] std::size_t build_tftp_oack(MutableBytes out, const TftpOptionList& options) noexcept;
[[nodiscard]] std::size_t build_tftp_request(MutableBytes out, TftpOpcode op, std::string_view filename,
                                             std::string_view mode, const TftpOptionList& options) noexcept;

constexpr std::size_t kTftpDataHeaderSize = 4;

// Case-insensitive ASCII comparison.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace rackboot::proto
