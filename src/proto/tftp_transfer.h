// One TFTP read transfer as an I/O-free state machine (RFC 1350, 2347, 2348, 2349, 7440).
//
// The caller feeds it the request's negotiated parameters, the client's ACK/ERROR packets and
// timer expiries; after each call it says what to transmit (at most one action) and when the
// next timer is due. It never sends a DATA block twice except when the retransmit timer fires,
// so duplicate ACKs cannot start the Sorcerer's Apprentice (RFC 1350) and a Pi never sees a
// duplicated block (firmware#1631).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "proto/clock.h"
#include "proto/tftp_codec.h"
#include "proto/tftp_options.h"

namespace rackboot::proto {

// Unacknowledged is never the engine's: the service says so of a transfer that ended (aborted or
// timed out) without one datagram from the client: a spoofed or flooding request, not a boot.
enum class TftpResult : std::uint8_t { Running, Complete, Aborted, Timeout, Error, Unacknowledged };

[[nodiscard]] std::string_view to_string(TftpResult r) noexcept;

// What the transfer wants sent now.
struct TftpAction {
    enum class Kind : std::uint8_t { None, Oack, Data, Error };
    Kind kind = Kind::None;
    std::uint64_t first_block = 0;  // Data: absolute block number, 1-based; wire block is & 0xffff
    std::uint32_t count = 0;        // Data: consecutive blocks to send
    bool retransmit = false;        // sent because the timer fired
    TftpErrorCode error_code = TftpErrorCode::NotDefined;
    std::string_view error_message;  // static text
};

// What happened on the last input, for counters and quirk detection.
enum class TftpEvent : std::uint8_t {
    None,
    Progress,      // an ACK moved the window
    DuplicateAck,  // an ACK for a block already acknowledged: ignored
    StrayAck,      // an ACK for a block never sent: ignored
    ClientError,   // the client sent ERROR
    ProbeAbort,    // the client left before taking any data (existence probe)
    RetriesExhausted,
};

class TftpTransfer {
public:
    // For streams whose length is only known at their end (netascii): start() with this size and
    // call set_final_block() when the sender produces the first short block.
    static constexpr std::uint64_t kUnknownSize = UINT64_MAX;

    // Starts the transfer. `negotiated` comes from negotiate_tftp_options() for this file.
    TftpAction start(const TftpNegotiated& negotiated, std::uint64_t file_size, const TftpLimits& limits,
                     Nanos now) noexcept;

    TftpAction on_ack(std::uint16_t wire_block, Nanos now) noexcept;
    TftpAction on_error(Nanos now) noexcept;
    TftpAction on_timer(Nanos now) noexcept;
    // The caller gives up on the transfer (superseded by a new request, shutdown, read failure).
    void abandon(TftpResult result) noexcept { finish(result); }
    // The stream ends with this block (it was shorter than blksize).
    void set_final_block(std::uint64_t block) noexcept { total_blocks_ = block; }
    // Restarts the retransmit timer (the caller sent the last action later than it was asked to:
    // it waited for the disk, or for room on the path), and the round trip it measures with it.
    void restart_timer(Nanos now) noexcept {
        if (sample_ok_) sample_at_ = now;
        arm(now);
    }

    // Holds a due resend back until `until`: the caller saw the whole path silent (the ACK is
    // late, not lost). Nothing is counted as a retry, and the round trip being measured is kept.
    void postpone(Nanos until) noexcept { deadline_ = until; }
    // How long the timer waits now: the retransmit timeout, backed off for the retries so far.
    [[nodiscard]] Nanos interval() const noexcept;

    [[nodiscard]] TftpResult result() const noexcept { return result_; }
    [[nodiscard]] bool finished() const noexcept { return result_ != TftpResult::Running; }
    [[nodiscard]] TftpEvent last_event() const noexcept { return event_; }
    // The last ACK moved the window for data resent on timeout, sooner after the resend than any
    // round trip this transfer has measured: it answered the original, and the resend was not
    // needed (a duplicate DATA the client got for nothing).
    [[nodiscard]] bool last_ack_spurious() const noexcept { return spurious_; }
    // The round trip the last ACK measured (-1: none; Karn's rule: none for a resent block).
    [[nodiscard]] Nanos last_rtt() const noexcept { return last_rtt_; }
    // A resend of this transfer was answered as a resend is: the path loses datagrams, and the
    // timeout's floor is TftpLimits::loss_rto from then on.
    [[nodiscard]] bool lossy() const noexcept { return lossy_; }
    // The shortest round trip measured (-1: none yet).
    [[nodiscard]] Nanos min_rtt() const noexcept { return min_rtt_; }
    [[nodiscard]] Nanos deadline() const noexcept { return deadline_; }
    [[nodiscard]] Nanos smoothed_rtt() const noexcept { return srtt_; }
    // The client has been silent past a retransmit timeout: we are resending.
    [[nodiscard]] bool retrying() const noexcept { return retries_ > 0; }
    [[nodiscard]] const TftpNegotiated& negotiated() const noexcept { return neg_; }
    [[nodiscard]] std::uint64_t total_blocks() const noexcept { return total_blocks_; }
    [[nodiscard]] std::uint64_t acked_blocks() const noexcept { return acked_; }
    [[nodiscard]] bool oack_pending() const noexcept { return awaiting_oack_ack_; }
    // True once the client has acknowledged the OACK (ACK 0) but no DATA yet: the state in which
    // a Pi may race a second RRQ for the same file.
    [[nodiscard]] bool at_block_zero() const noexcept {
        return neg_.needs_oack() && !awaiting_oack_ack_ && acked_ == 0;
    }
    [[nodiscard]] bool took_data() const noexcept { return acked_ > 0; }
    // The client has taken the transfer on: it acknowledged the OACK (ACK 0) or a block. A Pi's
    // existence probe never does (it aborts or goes silent after the OACK), so silence or an
    // ERROR after this is a failed transfer, not a probe.
    [[nodiscard]] bool committed() const noexcept { return acked_ > 0 || (neg_.needs_oack() && !awaiting_oack_ack_); }

    // Byte range of an absolute block number within the file.
    [[nodiscard]] std::uint64_t block_offset(std::uint64_t block) const noexcept { return (block - 1) * neg_.blksize; }
    [[nodiscard]] std::uint32_t block_length(std::uint64_t block) const noexcept;

private:
    TftpAction send_window(std::uint64_t from, bool retransmit, Nanos now) noexcept;
    TftpAction send_new(Nanos now) noexcept;
    void arm(Nanos now) noexcept;
    void take_sample(Nanos now) noexcept;
    void judge_resend(Nanos now) noexcept;
    void finish(TftpResult r) noexcept;

    TftpNegotiated neg_{};
    TftpLimits limits_{};
    std::uint64_t size_ = 0;
    std::uint64_t total_blocks_ = 0;
    std::uint64_t acked_ = 0;      // highest block acknowledged in order
    std::uint64_t next_send_ = 1;  // next block never sent
    [[nodiscard]] Nanos rto() const noexcept;
    // RFC 6298's SRTT + 4·RTTVAR (at least a millisecond above SRTT), before any floor.
    [[nodiscard]] Nanos estimate() const noexcept { return srtt_ + std::max<Nanos>(kMillisecond, 4 * rttvar_); }
    [[nodiscard]] Nanos patience() const noexcept;

    Nanos deadline_ = 0;
    std::uint32_t retries_ = 0;
    Nanos progress_at_ = 0;  // the send after the last progress: silence is measured from it
    Nanos srtt_ = -1;        // smoothed round trip (-1: no sample yet)
    Nanos rttvar_ = 0;
    Nanos min_rtt_ = -1;
    Nanos last_rtt_ = -1;
    Nanos resent_at_ = -1;  // when data was last resent on timeout, until an ACK moves past it
    bool spurious_ = false;
    bool lossy_ = false;      // a resend was answered as a resend (loss_rto applies)
    Nanos sample_at_ = 0;     // when the data now awaited was first sent
    bool sample_ok_ = false;  // and it was not retransmitted since (Karn)
    bool awaiting_oack_ack_ = false;
    TftpResult result_ = TftpResult::Running;
    TftpEvent event_ = TftpEvent::None;
};

}  // namespace rackboot::proto
