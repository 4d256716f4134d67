// The boot firmware DISCOVERs that boot admission held (boot_admission.h), kept for as long as
// each Pi still listens for an answer to it: when room on the path is granted to a waiting Pi,
// its last DISCOVER is answered then, not at its next one (a Pi 4 resends every 4 s, and a whole
// rack powered on together resends in step, so room freed between two resends would stand idle).
// A Pi that resent has a new transaction ID: only its latest DISCOVER is kept. Fixed memory; the
// caller's clock.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/dhcp_origin.h"
#include "proto/byte_cursor.h"
#include "proto/clock.h"
#include "proto/flat_index.h"

namespace rackboot::dataplane {

struct HeldDiscover {
    std::uint64_t mac = 0;
    proto::Nanos at = 0;  // when it arrived
    DhcpOrigin origin;
    std::uint16_t length = 0;
    std::array<std::uint8_t, 1024> bytes{};
};

class HeldDiscovers {
public:
    // How long after its DISCOVER a Pi is still answered: the Pi 4/5 EEPROM waits 4 s for an
    // OFFER (DHCP_REQ_TIMEOUT), the Pi 3 ROM 5 s; a second is left for the answer to arrive.
    static constexpr proto::Nanos kListening = 3 * proto::kSecond;

    explicit HeldDiscovers(std::uint32_t capacity);

    // Keeps `mac`'s DISCOVER in place of any earlier one. False when it is not kept (larger than a
    // slot, or every slot holds a DISCOVER still listened for).
    bool keep(std::uint64_t mac, proto::ConstBytes datagram, const DhcpOrigin& origin, proto::Nanos now) noexcept;
    // Moves `mac`'s DISCOVER into `out` if its Pi still listens for the answer; either way it is
    // kept no longer.
    [[nodiscard]] bool take(std::uint64_t mac, proto::Nanos now, HeldDiscover& out) noexcept;
    // `mac` was answered otherwise (a later DISCOVER of its own was admitted).
    void forget(std::uint64_t mac) noexcept;
    [[nodiscard]] std::uint32_t size() const noexcept { return index_.size(); }

private:
    void drop(std::uint32_t slot) noexcept;
    std::uint32_t sweep(proto::Nanos now) noexcept;  // drops those no longer listened for

    std::vector<HeldDiscover> slots_;
    std::vector<std::uint32_t> free_;
    proto::FlatIndex index_;
};

}  // namespace rackboot::dataplane
