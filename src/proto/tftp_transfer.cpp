#include "proto/tftp_transfer.h"

#include <algorithm>

namespace rackboot::proto {

std::string_view to_string(TftpResult r) noexcept {
    switch (r) {
        case TftpResult::Running: return "running";
        case TftpResult::Complete: return "complete";
        case TftpResult::Aborted: return "aborted";
        case TftpResult::Timeout: return "timeout";
        case TftpResult::Unacknowledged: return "unacknowledged";
        case TftpResult::Error: return "error";
    }
    return "unknown";
}

std::uint32_t TftpTransfer::block_length(std::uint64_t block) const noexcept {
    std::uint64_t off = block_offset(block);
    if (off >= size_) return 0;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(neg_.blksize, size_ - off));
}

TftpAction TftpTransfer::start(const TftpNegotiated& negotiated, std::uint64_t file_size, const TftpLimits& limits,
                               Nanos now) noexcept {
    neg_ = negotiated;
    limits_ = limits;
    size_ = file_size;
    // The last block is the first one shorter than blksize, so an exact multiple ends with an
    // empty block.
    total_blocks_ = file_size == kUnknownSize ? UINT64_MAX : file_size / neg_.blksize + 1;
    acked_ = 0;
    next_send_ = 1;
    retries_ = 0;
    result_ = TftpResult::Running;
    event_ = TftpEvent::None;
    if (neg_.needs_oack()) {
        awaiting_oack_ack_ = true;
        arm(now);
        return TftpAction{.kind = TftpAction::Kind::Oack};
    }
    awaiting_oack_ack_ = false;
    return send_new(now);
}

void TftpTransfer::arm(Nanos now) noexcept {
    // Exponential back-off from the negotiated timeout, capped (but never below the timeout the
    // client asked for).
    Nanos interval = neg_.timeout;
    Nanos cap = std::max(neg_.timeout, limits_.max_backoff);
    for (std::uint32_t i = 0; i < retries_ && interval < cap; ++i) interval *= 2;
    deadline_ = now + std::min(interval, cap);
}

void TftpTransfer::finish(TftpResult r) noexcept {
    if (result_ == TftpResult::Running) result_ = r;
}

TftpAction TftpTransfer::send_window(std::uint64_t from, bool retransmit, Nanos now) noexcept {
    std::uint64_t window_end = std::min(acked_ + neg_.windowsize, total_blocks_);
    if (from > window_end) {
        arm(now);
        return {};
    }
    auto count = static_cast<std::uint32_t>(window_end - from + 1);
    next_send_ = std::max(next_send_, window_end + 1);
    arm(now);
    return TftpAction{.kind = TftpAction::Kind::Data, .first_block = from, .count = count, .retransmit = retransmit};
}

TftpAction TftpTransfer::send_new(Nanos now) noexcept {
    return send_window(next_send_, false, now);
}

TftpAction TftpTransfer::on_ack(std::uint16_t wire_block, Nanos now) noexcept {
    event_ = TftpEvent::None;
    if (finished()) return {};
    if (awaiting_oack_ack_) {
        if (wire_block != 0) {
            event_ = TftpEvent::StrayAck;
            return {};
        }
        awaiting_oack_ack_ = false;
        retries_ = 0;
        event_ = TftpEvent::Progress;
        return send_new(now);
    }
    // Map the 16-bit wire number onto the blocks in flight: (acked_, next_send_ - 1]. Block
    // numbers roll over from 65535 to 0, so the distance is taken modulo 2^16.
    auto distance = static_cast<std::uint16_t>(wire_block - static_cast<std::uint16_t>(acked_));
    if (distance == 0) {
        event_ = TftpEvent::DuplicateAck;
        return {};
    }
    std::uint64_t block = acked_ + distance;
    if (block >= next_send_) {
        // Either an ACK for a block never sent, or a stale duplicate from before the last
        // rollover; neither may trigger a send.
        event_ = TftpEvent::StrayAck;
        return {};
    }
    acked_ = block;
    retries_ = 0;
    event_ = TftpEvent::Progress;
    if (acked_ >= total_blocks_) {
        finish(TftpResult::Complete);
        return {};
    }
    // Slide the window: send only blocks never sent before. A partial-window ACK (RFC 7440 loss
    // signal, or a client that ACKs every block) tops the window up; lost blocks are resent by the
    // timer, never by an ACK.
    return send_new(now);
}

TftpAction TftpTransfer::on_error(Nanos) noexcept {
    if (finished()) return {};
    event_ = committed() ? TftpEvent::ClientError : TftpEvent::ProbeAbort;
    finish(TftpResult::Aborted);
    return {};
}

TftpAction TftpTransfer::on_timer(Nanos now) noexcept {
    event_ = TftpEvent::None;
    if (finished() || now < deadline_) return {};
    if (retries_ >= limits_.max_retries) {
        // A client that never took the transfer on was probing for the file's existence and went
        // silent; one that acknowledged the OACK or a block and then went silent failed.
        if (committed()) {
            event_ = TftpEvent::RetriesExhausted;
            finish(TftpResult::Timeout);
        } else {
            event_ = TftpEvent::ProbeAbort;
            finish(TftpResult::Aborted);
        }
        return {};
    }
    ++retries_;
    if (awaiting_oack_ack_) {
        arm(now);
        return TftpAction{.kind = TftpAction::Kind::Oack, .retransmit = true};
    }
    // Resend what is unacknowledged, from the first missing block, as one window.
    next_send_ = acked_ + 1;
    return send_window(acked_ + 1, true, now);
}

}  // namespace rackboot::proto
