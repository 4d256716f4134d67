// What a new read request means given the transfers the client already has: the Pi bootloader
// quirks of PI-BOOT.md (retransmitted RRQ, RRQ race, probe then restart) decided in one place.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "proto/clock.h"
#include "proto/ipv4.h"
#include "proto/tftp_transfer.h"

namespace rackboot::proto {

enum class RrqDecision : std::uint8_t {
    Start,             // a new transfer, nothing else to do
    IgnoreRetransmit,  // same client port, same file, transfer running: do not start another
    ReplaceSamePort,   // same client port asks for another file, or for the same one after taking the
                       // transfer on and falling silent (it started over): the old one is abandoned
    SupersedeRace,     // firmware#1700: old transfer acked the OACK and sits at block 0
    SupersedeProbe,    // old transfer was a probe that went silent: probe, then restart
};

// A superseded transfer is not killed at once: another client behind the same address (NAT, a
// test host) looks the same at this moment. It is dropped, without a retransmit, when its timer
// fires with no progress; an ACK that moves it on shows it was somebody else's and clears the mark.

struct RrqContext {
    // The running transfer from the same client address and port, if any.
    const TftpTransfer* same_port = nullptr;
    bool same_port_same_file = false;
    // A running transfer of the same file from the same address but another port, if any.
    const TftpTransfer* same_file = nullptr;
};

[[nodiscard]] RrqDecision decide_rrq(const RrqContext& ctx) noexcept;

// Remembers recent probe aborts by (client address, file) so that the RRQ that follows one can be
// counted as a probe restart. Fixed size; oldest entries are overwritten.
class RecentProbes {
public:
    static constexpr std::size_t kCapacity = 256;
    static constexpr Nanos kWindow = 10 * kSecond;

    void record(Ipv4 client_ip, std::uint64_t file_hash, Nanos now) noexcept;
    // True (and forgets it) when the client probed this file within the window.
    [[nodiscard]] bool take(Ipv4 client_ip, std::uint64_t file_hash, Nanos now) noexcept;

private:
    struct Entry {
        Ipv4 ip;
        std::uint64_t file = 0;
        Nanos at = 0;
        bool used = false;
    };
    std::array<Entry, kCapacity> entries_{};
    std::size_t next_ = 0;
};

}  // namespace rackboot::proto
