// TFTP option negotiation: blksize (RFC 2348), tsize and timeout (RFC 2349), windowsize
// (RFC 7440) and tftp-hpa's utimeout. Pure: the request's options and our limits in, the agreed
// parameters (and what the OACK must say) out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/clock.h"
#include "proto/tftp_codec.h"

namespace rackboot::proto {

struct TftpLimits {
    std::uint16_t max_blksize = 1468;  // MTU 1500 - IPv4 20 - UDP 8 - TFTP 4
    std::uint16_t max_windowsize = 64;
    Nanos default_timeout = kSecond;
    Nanos max_backoff = 4 * kSecond;  // retransmit interval doubles up to this
    std::uint32_t max_retries = 5;
    // Adaptive retransmit timeout (RFC 6298's estimator over each transfer's ACK round trips,
    // Karn's rule: no sample from a retransmitted block): the first retransmit comes after
    // SRTT + 4·RTTVAR, at least this and at most the timeout, instead of after the whole timeout.
    // A lost DATA on a LAN then costs milliseconds, not a second; a transfer still gives up only
    // after as long a silence as the fixed schedule allows. 0: the fixed timeout (RFC 1350).
    Nanos min_rto = 0;
    // The floor once the transfer has seen a real loss (a resend answered as a resend is, not
    // sooner than a round trip): lower than `min_rto`, so that a lossy path costs a few of its own
    // round trips per loss, while a clean one keeps `min_rto` against late ACKs, whose resends are
    // duplicates a Pi 4's start4.elf may hang on (firmware#1631). 0 or above `min_rto`: `min_rto`.
    Nanos loss_rto = 0;
    // A floor the caller moves as it learns how late ACKs come on its path (the worker's round
    // trip guard: twice the longest round trip of the last 10 s); the timeout is at least the
    // greater of it (up to a quarter of the timeout) and the floor above. Null: none.
    const Nanos* rto_floor = nullptr;

    // The largest blksize that fits an unfragmented IPv4/UDP datagram on a path of this MTU.
    [[nodiscard]] static std::uint16_t blksize_for_mtu(std::uint32_t mtu) noexcept;
};

constexpr std::uint16_t kTftpDefaultBlksize = 512;
constexpr std::uint16_t kTftpMinBlksize = 8;
constexpr std::uint16_t kTftpMaxBlksize = 65464;

struct TftpNegotiated {
    std::uint16_t blksize = kTftpDefaultBlksize;
    std::uint16_t windowsize = 1;
    Nanos timeout = kSecond;
    std::uint64_t tsize = 0;
    // Which options the OACK carries; none set means no OACK (RFC 1350 transfer).
    bool ack_blksize = false;
    bool ack_windowsize = false;
    bool ack_timeout = false;
    bool ack_utimeout = false;
    bool ack_tsize = false;
    std::uint32_t timeout_value = 0;  // as sent: seconds for timeout, microseconds for utimeout

    [[nodiscard]] bool needs_oack() const noexcept {
        return ack_blksize || ack_windowsize || ack_timeout || ack_utimeout || ack_tsize;
    }
    [[nodiscard]] bool tsize_requested() const noexcept { return ack_tsize; }
};

struct TftpNegotiationResult {
    bool ok = true;
    std::string_view refusal;  // with ok == false: the ERROR 8 message (static text)
};

// Negotiates options for a read request of a file of `file_size` bytes. Options we do not know are
// ignored (RFC 2347); a known option with a value that is not a number, or out of its range in a
// way that cannot be clamped, refuses the request with ERROR 8.
[[nodiscard]] TftpNegotiationResult negotiate_tftp_options(const TftpOptionList& requested, TftpMode mode,
                                                           std::uint64_t file_size, const TftpLimits& limits,
                                                           TftpNegotiated& out) noexcept;

// Records the file's size once it is known. An empty file's tsize is left out of the OACK: curl
// (and clients built on it) take "tsize 0" in an OACK for an error, and RFC 2349 lets a server
// leave any option unacknowledged.
void set_tftp_file_size(TftpNegotiated& negotiated, std::uint64_t file_size) noexcept;

// Writes the OACK for what was negotiated; returns bytes written or 0 when `out` is too small.
[[nodiscard]] std::size_t build_tftp_oack(MutableBytes out, const TftpNegotiated& negotiated) noexcept;

// Parses a decimal number with no sign, no spaces and no overflow past `max`.
[[nodiscard]] bool parse_decimal(std::string_view text, std::uint64_t max, std::uint64_t& out) noexcept;

}  // namespace rackboot::proto
