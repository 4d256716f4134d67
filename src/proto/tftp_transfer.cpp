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
    srtt_ = -1;
    rttvar_ = 0;
    min_rtt_ = -1;
    resent_at_ = -1;
    last_rtt_ = -1;
    spurious_ = false;
    lossy_ = false;
    result_ = TftpResult::Running;
    event_ = TftpEvent::None;
    if (neg_.needs_oack()) {
        awaiting_oack_ack_ = true;
        sample_at_ = now;
        sample_ok_ = true;
        arm(now);
        return TftpAction{.kind = TftpAction::Kind::Oack};
    }
    awaiting_oack_ack_ = false;
    return send_new(now);
}

Nanos TftpTransfer::rto() const noexcept {
    // A timeout the client asked for (RFC 2349) is kept as asked; so is the fixed one when
    // adaptation is off or nothing has been measured yet.
    if (limits_.min_rto <= 0 || srtt_ < 0 || neg_.ack_timeout || neg_.ack_utimeout) return neg_.timeout;
    Nanos rto = estimate();
    Nanos floor = lossy_ && limits_.loss_rto > 0 ? std::min(limits_.loss_rto, limits_.min_rto) : limits_.min_rto;
    // The worker's floor guards against jitter, never up to the client's own timeout.
    if (limits_.rto_floor != nullptr) floor = std::max(floor, std::min(*limits_.rto_floor, neg_.timeout / 4));
    return std::clamp(rto, std::min(floor, neg_.timeout), neg_.timeout);
}

Nanos TftpTransfer::patience() const noexcept {
    // The silence the fixed schedule tolerates: the timeout, doubling to the cap, once more than
    // there are retries.
    Nanos cap = std::max(neg_.timeout, limits_.max_backoff);
    Nanos interval = neg_.timeout;
    Nanos total = 0;
    for (std::uint32_t i = 0; i <= limits_.max_retries; ++i) {
        total += std::min(interval, cap);
        if (interval < cap) interval *= 2;
    }
    return total;
}

Nanos TftpTransfer::interval() const noexcept {
    // Exponential back-off from the retransmit timeout, capped (but never below the timeout the
    // client asked for).
    Nanos interval = rto();
    Nanos cap = std::max(neg_.timeout, limits_.max_backoff);
    for (std::uint32_t i = 0; i < retries_ && interval < cap; ++i) interval *= 2;
    return std::min(interval, cap);
}

void TftpTransfer::arm(Nanos now) noexcept {
    if (retries_ == 0) progress_at_ = now;
    deadline_ = now + interval();
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
    if (retransmit) {
        sample_ok_ = false;  // Karn: an ACK now may answer either copy
    } else if (!sample_ok_) {
        sample_at_ = now;
        sample_ok_ = true;
    }
    arm(now);
    return TftpAction{.kind = TftpAction::Kind::Data, .first_block = from, .count = count, .retransmit = retransmit};
}

TftpAction TftpTransfer::send_new(Nanos now) noexcept {
    return send_window(next_send_, false, now);
}

TftpAction TftpTransfer::on_ack(std::uint16_t wire_block, Nanos now) noexcept {
    event_ = TftpEvent::None;
    spurious_ = false;
    last_rtt_ = -1;
    if (finished()) return {};
    if (awaiting_oack_ack_) {
        if (wire_block != 0) {
            event_ = TftpEvent::StrayAck;
            return {};
        }
        awaiting_oack_ack_ = false;
        take_sample(now);
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
    if (resent_at_ >= 0) judge_resend(now);
    take_sample(now);
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

void TftpTransfer::judge_resend(Nanos now) noexcept {
    Nanos since = now - resent_at_;
    resent_at_ = -1;
    if (min_rtt_ < 0 || srtt_ < 0) return;  // nothing measured to judge by
    // Sooner than any round trip: the ACK answered the original, and the resend was a duplicate.
    // (Counted, not acted on: a round trip of tens of microseconds varies by more than itself, so
    // a resend answered quickly may still have been needed.)
    spurious_ = since < min_rtt_;
    // About one of this transfer's round trips after the resend: it answered the resend, so
    // something was lost. Later than that it may answer either copy, and proves nothing.
    if (!spurious_ && since <= 2 * estimate()) lossy_ = true;
}

void TftpTransfer::take_sample(Nanos now) noexcept {
    if (!sample_ok_) return;
    sample_ok_ = false;
    Nanos rtt = std::max<Nanos>(0, now - sample_at_);
    // An ACK as late as a client's own timeout may be the client's resend (a Pi repeats its last
    // ACK after 1 s of silence when the first was lost, and may beat our timer while nothing is
    // measured yet): no sample. Taken, it would teach every transfer on the worker (RttGuard) to
    // wait as long.
    if (rtt >= neg_.timeout - neg_.timeout / 4) return;
    last_rtt_ = rtt;
    min_rtt_ = min_rtt_ < 0 ? rtt : std::min(min_rtt_, rtt);
    if (srtt_ < 0) {
        srtt_ = rtt;
        rttvar_ = rtt / 2;
        return;
    }
    Nanos err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + err) / 4;  // RFC 6298: beta 1/4, alpha 1/8
    srtt_ = (7 * srtt_ + rtt) / 8;
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
    // Out of retries, and silent as long as the fixed schedule allows (an adaptive timeout
    // retries sooner, not for less time).
    if (retries_ >= limits_.max_retries && now - progress_at_ >= patience()) {
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
        sample_ok_ = false;
        arm(now);
        return TftpAction{.kind = TftpAction::Kind::Oack, .retransmit = true};
    }
    // Resend what is unacknowledged, from the first missing block, as one window.
    next_send_ = acked_ + 1;
    resent_at_ = now;
    return send_window(acked_ + 1, true, now);
}

}  // namespace rackboot::proto
