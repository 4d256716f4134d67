// A Pi's serial number: the one type wherever a board is named by it (TFTP paths, DHCP option 97,
// the boot map, the inventory, the timeline), with its parsers and its one spelling. The key is
// the low 32 bits, as the firmware puts it in TFTP paths; a Pi 5's 16 digits (or a
// 10000000xxxxxxxx form) name the same board by them, the full form kept beside where it matters.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rackboot::proto {

class Serial {
public:
    constexpr Serial() noexcept = default;
    constexpr explicit Serial(std::uint32_t value) noexcept : value_(value) {}

    // Exactly 8 hex digits, either case (a TFTP path's first element): nullopt for anything else.
    [[nodiscard]] static std::optional<Serial> parse(std::string_view text) noexcept;
    // As an operator writes it: 8 or 16 hex digits, either case; the board is named by the low
    // 32 bits. `full`, when given, gets the digits as written, in lowercase.
    [[nodiscard]] static std::optional<Serial> parse_full(std::string_view text, std::string* full = nullptr);

    [[nodiscard]] constexpr std::uint32_t value() const noexcept { return value_; }
    // "8f3a21c0": 8 lowercase digits, as in TFTP paths.
    [[nodiscard]] std::string to_string() const;

    constexpr auto operator<=>(const Serial&) const noexcept = default;

private:
    std::uint32_t value_ = 0;
};

}  // namespace rackboot::proto

template <>
struct std::hash<rackboot::proto::Serial> {
    std::size_t operator()(rackboot::proto::Serial s) const noexcept { return std::hash<std::uint32_t>{}(s.value()); }
};
