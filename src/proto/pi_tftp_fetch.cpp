#include "proto/pi_tftp_fetch.h"

#include <charconv>
#include <cstring>

namespace rackboot::proto {

namespace {

constexpr std::uint16_t kTftpPort = 69;

std::uint64_t to_u64(std::string_view s) noexcept {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size() ? v : 0;
}

}  // namespace

PiFetchOutput PiTftpFetch::start(const PiFetchSpec& spec, std::uint16_t local_port, Nanos now,
                                 MutableBytes out) noexcept {
    *this = PiTftpFetch{};
    spec_ = spec;
    local_port_ = local_port;
    started_ = now;
    state_ = PiFetchState::Requested;
    if (spec.blksize != 0) {
        auto [end, ec] = std::to_chars(blksize_text_, blksize_text_ + sizeof blksize_text_ - 1, spec.blksize);
        *end = '\0';
    }
    return send_rrq(now, out);
}

PiFetchOutput PiTftpFetch::send_rrq(Nanos now, MutableBytes out) noexcept {
    TftpOptionList opts;
    if (spec_.tsize) opts.items[opts.count++] = TftpOption{"tsize", "0"};
    if (spec_.blksize != 0) opts.items[opts.count++] = TftpOption{"blksize", blksize_text_};
    PiFetchOutput o;
    o.send_len = build_tftp_request(out, TftpOpcode::Rrq, spec_.path, "octet", opts);
    o.send_port = kTftpPort;
    last_was_rrq_ = true;
    last_heard_ = now;
    return o;
}

PiFetchOutput PiTftpFetch::send_ack(std::uint16_t block, Nanos now, MutableBytes out) noexcept {
    PiFetchOutput o;
    std::size_t n = build_tftp_ack(out, block);
    if (n != 0 && spec_.ack_size > n && out.size() >= spec_.ack_size) {
        std::memset(out.data() + n, 0, spec_.ack_size - n);
        n = spec_.ack_size;
    }
    o.send_len = n;
    o.send_port = server_port_;
    if (state_ == PiFetchState::Done) return o;
    last_was_rrq_ = false;
    last_ack_ = block;
    last_heard_ = now;
    return o;
}

PiFetchOutput PiTftpFetch::send_abort(Nanos now, MutableBytes out) noexcept {
    PiFetchOutput o;
    o.send_len = build_tftp_error(out, TftpErrorCode::NotDefined, "Early terminate");
    o.send_port = server_port_;
    last_heard_ = now;
    state_ = PiFetchState::Done;
    return o;
}

PiFetchOutput PiTftpFetch::on_datagram(std::uint16_t server_port, ConstBytes datagram, Nanos now,
                                       MutableBytes out) noexcept {
    if (state_ == PiFetchState::Done && next_block_ != 1 && !spec_.probe) {
        // The last DATA again: our final ACK was lost. Acknowledge it once more (the dally).
        TftpPacket p;
        if (server_port == server_port_ && parse_tftp(datagram, p) == TftpParseError::none &&
            p.opcode == TftpOpcode::Data && p.block == static_cast<std::uint16_t>(next_block_ - 1)) {
            ++duplicates_;
            return send_ack(p.block, now, out);
        }
        return {};
    }
    if (state_ != PiFetchState::Requested && state_ != PiFetchState::Receiving) return {};
    if (state_ == PiFetchState::Receiving && server_port != server_port_) return {};  // another TID
    TftpPacket p;
    if (parse_tftp(datagram, p) != TftpParseError::none) return {};
    if (state_ == PiFetchState::Requested) {
        if (p.opcode != TftpOpcode::Oack && p.opcode != TftpOpcode::Data && p.opcode != TftpOpcode::Error) return {};
        server_port_ = server_port;
        state_ = PiFetchState::Receiving;
        if (p.opcode == TftpOpcode::Oack) {
            oacked_ = true;
            if (const TftpOption* t = p.options.find("tsize")) tsize_ = to_u64(t->value);
            if (const TftpOption* b = p.options.find("blksize")) {
                std::uint64_t v = to_u64(b->value);
                if (v >= 8 && v <= 65464) blksize_ = static_cast<std::uint16_t>(v);
            }
            if (spec_.probe) return send_abort(now, out);
            return send_ack(0, now, out);
        }
    }
    switch (p.opcode) {
        case TftpOpcode::Error:
            error_code_ = p.error_code;
            state_ = p.error_code == TftpErrorCode::FileNotFound ? PiFetchState::Missing : PiFetchState::Refused;
            return {};
        case TftpOpcode::Data: {
            if (p.block == next_block_) {
                if (spec_.probe) return send_abort(now, out);  // DATA 1 read: it exists
                PiFetchOutput o = send_ack(p.block, now, out);
                o.data = p.payload;
                o.data_offset = bytes_;
                bytes_ += p.payload.size();
                next_block_ = static_cast<std::uint16_t>(next_block_ + 1);  // 65535 → 0: rollover
                if (p.payload.size() < blksize_) state_ = PiFetchState::Done;
                return o;
            }
            if (p.block == static_cast<std::uint16_t>(next_block_ - 1)) {
                ++duplicates_;
                if (spec_.dup_trap) {
                    PiFetchOutput o = send_ack(next_block_, now, out);  // a block it never received
                    state_ = PiFetchState::Hung;
                    return o;
                }
                return send_ack(p.block, now, out);
            }
            return {};
        }
        default: return {};
    }
}

Nanos PiTftpFetch::next_deadline() const noexcept {
    switch (state_) {
        case PiFetchState::Requested:
        case PiFetchState::Receiving: {
            Nanos deadline = started_ + spec_.file_timeout;
            if (spec_.retransmit > 0 && last_heard_ + spec_.retransmit < deadline)
                deadline = last_heard_ + spec_.retransmit;
            return deadline;
        }
        case PiFetchState::Hung: return started_ + spec_.file_timeout;
        default: return 0;
    }
}

PiFetchOutput PiTftpFetch::on_timer(Nanos now, MutableBytes out) noexcept {
    bool live = state_ == PiFetchState::Requested || state_ == PiFetchState::Receiving || state_ == PiFetchState::Hung;
    if (!live) return {};
    if (now >= started_ + spec_.file_timeout) {
        state_ = PiFetchState::TimedOut;
        return {};
    }
    if (state_ == PiFetchState::Hung || spec_.retransmit <= 0 || now < last_heard_ + spec_.retransmit) return {};
    ++retransmits_;
    if (last_was_rrq_) return send_rrq(now, out);
    return send_ack(last_ack_, now, out);
}

}  // namespace rackboot::proto
