// An Ethernet address: the one type wherever a MAC is held (frames, leases, the boot map, the
// inventory, the timeline), with its one parser, its one spelling and its 48-bit key. An
// aggregate over the six bytes, so a frame's bytes copy into it and `Mac{0xdc, 0xa6, ...}` reads
// as the address.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rackboot::proto {

struct Mac {
    std::array<std::uint8_t, 6> bytes{};

    // "dc:a6:32:01:02:03" or "dc-a6-32-01-02-03", either case; nullopt for anything else.
    [[nodiscard]] static std::optional<Mac> parse(std::string_view text) noexcept;
    // The address whose key() is `key` (its low 48 bits).
    [[nodiscard]] static constexpr Mac from_key(std::uint64_t key) noexcept {
        Mac m;
        for (std::size_t i = 6; i-- > 0; key >>= 8) m.bytes[i] = static_cast<std::uint8_t>(key & 0xff);
        return m;
    }
    // Six bytes from a frame or a DHCP chaddr.
    [[nodiscard]] static constexpr Mac from(const std::uint8_t* six) noexcept {
        Mac m;
        for (std::size_t i = 0; i < 6; ++i) m.bytes[i] = six[i];
        return m;
    }

    // The address as a 48-bit number, its first byte highest: a table key; 0 only for 00:...:00.
    [[nodiscard]] constexpr std::uint64_t key() const noexcept {
        std::uint64_t k = 0;
        for (std::uint8_t b : bytes) k = (k << 8) | b;
        return k;
    }
    [[nodiscard]] constexpr bool unset() const noexcept { return key() == 0; }
    // "dc:a6:32:01:02:03": logs, the API, the inventory.
    [[nodiscard]] std::string to_string() const;
    // "dc-a6-32-01-02-03": as the firmware puts it in TFTP paths.
    [[nodiscard]] std::string dashed() const;

    [[nodiscard]] constexpr std::uint8_t* data() noexcept { return bytes.data(); }
    [[nodiscard]] constexpr const std::uint8_t* data() const noexcept { return bytes.data(); }
    [[nodiscard]] static constexpr std::size_t size() noexcept { return 6; }
    [[nodiscard]] constexpr std::uint8_t& operator[](std::size_t i) noexcept { return bytes[i]; }
    [[nodiscard]] constexpr std::uint8_t operator[](std::size_t i) const noexcept { return bytes[i]; }
    [[nodiscard]] constexpr auto begin() const noexcept { return bytes.begin(); }
    [[nodiscard]] constexpr auto end() const noexcept { return bytes.end(); }
    [[nodiscard]] constexpr auto begin() noexcept { return bytes.begin(); }
    [[nodiscard]] constexpr auto end() noexcept { return bytes.end(); }

    friend constexpr auto operator<=>(const Mac&, const Mac&) noexcept = default;
    friend constexpr bool operator==(const Mac&, const Mac&) noexcept = default;
};

}  // namespace rackboot::proto

template <>
struct std::hash<rackboot::proto::Mac> {
    std::size_t operator()(const rackboot::proto::Mac& m) const noexcept { return std::hash<std::uint64_t>{}(m.key()); }
};
