// DHCP/BOOTP wire format (RFC 2131, 2132): the fixed header, the options walk with option
// overload (52) into the file and sname fields, and long options split across several instances
// (RFC 3396). Parsing yields views into the datagram with no allocation; the writer splits options
// longer than 255 bytes and pads replies to the BOOTP minimum of 300 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/byte_cursor.h"
#include "proto/mac.h"

namespace rackboot::proto {

constexpr std::size_t kBootpFixedSize = 236;  // through the file field
constexpr std::uint32_t kDhcpMagicCookie = 0x63825363;
constexpr std::size_t kBootpMinSize = 300;

enum class DhcpMessageType : std::uint8_t {
    None = 0,
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
};

[[nodiscard]] std::string_view to_string(DhcpMessageType t) noexcept;

namespace dhcp_option {
constexpr std::uint8_t kPad = 0;
constexpr std::uint8_t kSubnetMask = 1;
constexpr std::uint8_t kRouter = 3;
constexpr std::uint8_t kDns = 6;
constexpr std::uint8_t kBroadcast = 28;
constexpr std::uint8_t kVendorSpecific = 43;
constexpr std::uint8_t kRequestedIp = 50;
constexpr std::uint8_t kLeaseTime = 51;
constexpr std::uint8_t kOverload = 52;
constexpr std::uint8_t kMessageType = 53;
constexpr std::uint8_t kServerId = 54;
constexpr std::uint8_t kParameterList = 55;
constexpr std::uint8_t kMessage = 56;
constexpr std::uint8_t kMaxMessageSize = 57;
constexpr std::uint8_t kRenewalTime = 58;
constexpr std::uint8_t kRebindingTime = 59;
constexpr std::uint8_t kVendorClass = 60;
constexpr std::uint8_t kClientId = 61;
constexpr std::uint8_t kTftpServerName = 66;
constexpr std::uint8_t kBootfileName = 67;
constexpr std::uint8_t kRelayAgentInfo = 82;
constexpr std::uint8_t kClientArch = 93;
constexpr std::uint8_t kClientNdi = 94;
constexpr std::uint8_t kClientGuid = 97;
constexpr std::uint8_t kEnd = 255;
}  // namespace dhcp_option

#define RACKBOOT_DHCP_PARSE_ERRORS(X)                                     \
    X(truncated_header, "shorter than the BOOTP header and magic cookie") \
    X(bad_cookie, "no DHCP magic cookie")                                 \
    X(bad_op, "op is neither BOOTREQUEST nor BOOTREPLY")                  \
    X(bad_hlen, "hardware address length over 16")                        \
    X(option_truncated, "an option's length runs past its field")         \
    X(too_many_options, "more option instances than the parser keeps")    \
    X(bad_overload, "option 52 malformed or outside the options field")   \
    X(bad_message_type, "option 53 missing, malformed or out of range")

enum class DhcpParseError : std::uint8_t {
    none = 0,
#define X(name, text) name,
    RACKBOOT_DHCP_PARSE_ERRORS(X)
#undef X
};

[[nodiscard]] std::string_view to_string(DhcpParseError e) noexcept;

struct DhcpOptionRef {
    std::uint8_t code = 0;
    ConstBytes data;
};

// Option instances in wire order: options field, then file, then sname (RFC 3396 order).
class DhcpOptions {
public:
    static constexpr std::size_t kMaxInstances = 128;

    // The first instance's bytes (most options appear once).
    [[nodiscard]] std::optional<ConstBytes> find(std::uint8_t code) const noexcept;
    // All instances of `code` joined (RFC 3396), copied into `scratch` when there is more than
    // one. nullopt when absent or when `scratch` is too small.
    [[nodiscard]] std::optional<ConstBytes> joined(std::uint8_t code, MutableBytes scratch) const noexcept;
    [[nodiscard]] std::size_t instances(std::uint8_t code) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    void clear() noexcept { count_ = 0; }
    bool add(std::uint8_t code, ConstBytes data) noexcept {
        if (count_ == refs_.size()) return false;
        refs_[count_++] = DhcpOptionRef{code, data};
        return true;
    }

private:
    std::array<DhcpOptionRef, kMaxInstances> refs_{};
    std::size_t count_ = 0;
};

struct DhcpPacket {
    std::uint8_t op = 0;
    std::uint8_t htype = 0;
    std::uint8_t hlen = 0;
    std::uint8_t hops = 0;
    std::uint32_t xid = 0;
    std::uint16_t secs = 0;
    std::uint16_t flags = 0;
    std::uint32_t ciaddr = 0;  // all addresses in host byte order
    std::uint32_t yiaddr = 0;
    std::uint32_t siaddr = 0;
    std::uint32_t giaddr = 0;
    std::array<std::uint8_t, 16> chaddr{};
    ConstBytes sname;  // raw 64-byte field
    ConstBytes file;   // raw 128-byte field
    DhcpOptions options;
    DhcpMessageType type = DhcpMessageType::None;
    bool file_overloaded = false;
    bool sname_overloaded = false;

    [[nodiscard]] bool broadcast_flag() const noexcept { return (flags & 0x8000) != 0; }
    // The first 6 bytes of chaddr (Ethernet).
    [[nodiscard]] Mac mac() const noexcept { return Mac::from(chaddr.data()); }
};

// Parses a DHCP message (BOOTP without a message type is refused: bad_message_type).
[[nodiscard]] DhcpParseError parse_dhcp(ConstBytes datagram, DhcpPacket& out) noexcept;

// Builds a reply or request. Call header(), then option()s, then finish().
class DhcpWriter {
public:
    explicit DhcpWriter(MutableBytes out) noexcept : w_(out), out_(out) {}

    void header(std::uint8_t op, const DhcpPacket& like, std::uint32_t ciaddr, std::uint32_t yiaddr,
                std::uint32_t siaddr, std::uint32_t giaddr) noexcept;
    // Writes one option; data longer than 255 bytes becomes several instances (RFC 3396).
    void option(std::uint8_t code, ConstBytes data) noexcept;
    void option_u8(std::uint8_t code, std::uint8_t v) noexcept;
    void option_u32(std::uint8_t code, std::uint32_t v) noexcept;  // host order in, network order out
    void option_text(std::uint8_t code, std::string_view text) noexcept;
    // Writes END and pads to kBootpMinSize; returns the size, or 0 when it did not fit.
    [[nodiscard]] std::size_t finish() noexcept;

private:
    ByteWriter w_;
    MutableBytes out_;
};

}  // namespace rackboot::proto
