#include "swarm/fleet.h"

#include <cstring>

namespace rackboot::swarm {

namespace {

constexpr std::uint8_t kOui[3][3] = {{0xb8, 0x27, 0xeb}, {0xdc, 0xa6, 0x32}, {0x2c, 0xcf, 0x67}};

// A bijection on 32 bits (an odd multiply and xor-shifts): distinct indexes, distinct serials.
std::uint32_t mix32(std::uint32_t x) noexcept {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

}  // namespace

std::vector<proto::FakePi> make_fleet(unsigned count, const unsigned (&mix)[3], std::uint64_t seed,
                                      std::uint32_t mac_offset) {
    std::vector<proto::FakePi> fleet(count);
    std::int64_t total = std::int64_t{mix[0]} + mix[1] + mix[2];
    std::int64_t acc[3] = {0, 0, 0};
    auto salt = static_cast<std::uint32_t>(seed * 0x9e3779b9U);
    for (unsigned i = 0; i < count; ++i) {
        int m = 0;
        for (int k = 0; k < 3; ++k) acc[k] += mix[k];
        for (int k = 1; k < 3; ++k) {
            if (acc[k] > acc[m]) m = k;
        }
        acc[m] -= total;
        proto::FakePi& pi = fleet[i];
        pi.model = static_cast<proto::PiModel>(m);
        std::memcpy(pi.mac.data(), kOui[m], 3);
        std::uint32_t id = i + 1 + mac_offset;
        pi.mac[3] = static_cast<std::uint8_t>(id >> 16);
        pi.mac[4] = static_cast<std::uint8_t>(id >> 8);
        pi.mac[5] = static_cast<std::uint8_t>(id);
        std::uint32_t serial = mix32(i ^ salt);
        pi.serial = proto::Serial(serial != 0 ? serial : 0x5a5a5a5a);  // never 0 (the bijection keeps it unique)
    }
    return fleet;
}

}  // namespace rackboot::swarm
