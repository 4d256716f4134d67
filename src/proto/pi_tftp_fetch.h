// One file as a Pi's boot firmware reads it over TFTP (issue 11): the RRQ with the model's
// options, the OACK answered with ACK 0 (or, for an existence probe, with ERROR 0 "Early
// terminate"), each DATA acknowledged in order across the block-number rollover, duplicates
// re-acknowledged, the last packet resent after a second of silence, the whole file bounded by
// TFTP_FILE_TIMEOUT. The firmware bugs the swarm can switch on live here too: the duplicated-DATA
// trap (firmware#1631) and the Pi 5's zero-padded ACKs. Pure: datagrams in, datagrams out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/byte_cursor.h"
#include "proto/clock.h"
#include "proto/tftp_codec.h"

namespace rackboot::proto {

struct PiFetchSpec {
    std::string_view path;       // as sent (prefix included); must outlive the fetch
    std::uint16_t blksize = 0;   // 0: no blksize option (512)
    bool tsize = true;           // "tsize 0"
    bool probe = false;          // abort after the first answer: an existence probe
    bool dup_trap = false;       // firmware#1631: a duplicated DATA N is answered with ACK N+1, then silence
    std::size_t ack_size = 4;    // > 4: ACKs zero-padded to this many bytes (Pi 5)
    Nanos retransmit = kSecond;  // resend the last packet after this much silence; 0: never
    Nanos file_timeout = 30 * kSecond;
};

enum class PiFetchState : std::uint8_t {
    Idle,
    Requested,  // RRQ sent, nothing heard
    Receiving,  // the server's TID is known
    Hung,       // the duplicated-DATA trap sprang: deaf until the file times out
    Done,       // probe answered (exists) or every byte received
    Missing,    // ERROR 1 (file not found)
    Refused,    // any other ERROR
    TimedOut,
};

struct PiFetchOutput {
    std::size_t send_len = 0;     // bytes of the caller's buffer to send (0: nothing)
    std::uint16_t send_port = 0;  // to this server port (69 for the RRQ, the TID after)
    ConstBytes data;              // file bytes newly received, in order; valid until the next call
    std::uint64_t data_offset = 0;
};

class PiTftpFetch {
public:
    // Builds the RRQ into `out`.
    PiFetchOutput start(const PiFetchSpec& spec, std::uint16_t local_port, Nanos now, MutableBytes out) noexcept;
    // A datagram from the server's `server_port` to this fetch's port.
    PiFetchOutput on_datagram(std::uint16_t server_port, ConstBytes datagram, Nanos now, MutableBytes out) noexcept;
    // Retransmits, or times the file out; call at next_deadline().
    PiFetchOutput on_timer(Nanos now, MutableBytes out) noexcept;
    // Walks away (the RRQ race's first transfer, a boot given up): no further output.
    void abandon() noexcept { state_ = PiFetchState::Idle; }

    [[nodiscard]] Nanos next_deadline() const noexcept;
    [[nodiscard]] PiFetchState state() const noexcept { return state_; }
    [[nodiscard]] bool finished() const noexcept {
        return state_ == PiFetchState::Done || state_ == PiFetchState::Missing || state_ == PiFetchState::Refused ||
               state_ == PiFetchState::TimedOut;
    }
    [[nodiscard]] std::uint16_t local_port() const noexcept { return local_port_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::uint64_t tsize() const noexcept { return tsize_; }  // from the OACK; 0 if none
    [[nodiscard]] bool oacked() const noexcept { return oacked_; }
    [[nodiscard]] std::uint16_t blksize() const noexcept { return blksize_; }
    [[nodiscard]] std::uint32_t duplicates() const noexcept { return duplicates_; }
    [[nodiscard]] std::uint32_t retransmits() const noexcept { return retransmits_; }
    [[nodiscard]] TftpErrorCode error_code() const noexcept { return error_code_; }
    [[nodiscard]] Nanos started() const noexcept { return started_; }

private:
    PiFetchOutput send_ack(std::uint16_t block, Nanos now, MutableBytes out) noexcept;
    PiFetchOutput send_abort(Nanos now, MutableBytes out) noexcept;

    PiFetchSpec spec_{};
    PiFetchState state_ = PiFetchState::Idle;
    std::uint16_t local_port_ = 0;
    std::uint16_t server_port_ = 0;
    std::uint16_t blksize_ = 512;
    std::uint16_t next_block_ = 1;
    std::uint64_t bytes_ = 0;
    std::uint64_t tsize_ = 0;
    bool oacked_ = false;
    Nanos started_ = 0;
    Nanos last_heard_ = 0;
    std::uint32_t duplicates_ = 0;
    std::uint32_t retransmits_ = 0;
    TftpErrorCode error_code_ = TftpErrorCode::NotDefined;
    // The last packet sent, for a retransmit: an RRQ (rebuilt from spec_) or an ACK of this block.
    bool last_was_rrq_ = true;
    std::uint16_t last_ack_ = 0;
    char blksize_text_[8] = {};

    PiFetchOutput send_rrq(Nanos now, MutableBytes out) noexcept;
};

}  // namespace rackboot::proto
