// An IPv4 address, in host byte order: the one type for addresses across the code. Network byte
// order exists only where the socket API or the wire wants it, converted there with network() and
// from_network(), so a value's order is in its type, not in a comment beside it.
#pragma once

#include <bit>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rackboot::proto {

class Ipv4 {
public:
    constexpr Ipv4() noexcept = default;
    constexpr explicit Ipv4(std::uint32_t host_order) noexcept : value_(host_order) {}
    [[nodiscard]] static constexpr Ipv4 from_network(std::uint32_t network_order) noexcept {
        return Ipv4(swap(network_order));
    }
    [[nodiscard]] static constexpr Ipv4 broadcast() noexcept { return Ipv4(0xffffffffu); }

    [[nodiscard]] constexpr std::uint32_t value() const noexcept { return value_; }
    [[nodiscard]] constexpr std::uint32_t network() const noexcept { return swap(value_); }
    // 0.0.0.0: no address (unset, or a client that has none yet).
    [[nodiscard]] constexpr bool unset() const noexcept { return value_ == 0; }
    constexpr auto operator<=>(const Ipv4&) const noexcept = default;

    // Dotted quad; nullopt for anything else.
    [[nodiscard]] static std::optional<Ipv4> parse(std::string_view text) noexcept;
    [[nodiscard]] std::string to_string() const;
    // The dotted quad into `out` (room for 15 characters); its length. No allocation.
    std::size_t format(char (&out)[16]) const noexcept;

private:
    [[nodiscard]] static constexpr std::uint32_t swap(std::uint32_t v) noexcept {
        if constexpr (std::endian::native == std::endian::big) return v;
        return ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) | ((v >> 8) & 0xff00u) | (v >> 24);
    }
    std::uint32_t value_ = 0;
};

}  // namespace rackboot::proto

template <>
struct std::hash<rackboot::proto::Ipv4> {
    std::size_t operator()(rackboot::proto::Ipv4 a) const noexcept { return std::hash<std::uint32_t>{}(a.value()); }
};
