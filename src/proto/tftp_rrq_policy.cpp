#include "proto/tftp_rrq_policy.h"

namespace rackboot::proto {

RrqDecision decide_rrq(const RrqContext& ctx) noexcept {
    if (ctx.same_port != nullptr && !ctx.same_port->finished()) {
        // The same file again from the same socket is the request repeated (no answer reached the
        // client yet) unless the client had taken the transfer on and then fell silent while we
        // retransmit: then it started over (a board rebooted and its firmware picked the same
        // port), and the stale transfer would hold it off until it timed out.
        if (ctx.same_port_same_file && !(ctx.same_port->committed() && ctx.same_port->retrying()))
            return RrqDecision::IgnoreRetransmit;
        return RrqDecision::ReplaceSamePort;
    }
    if (ctx.same_file != nullptr && !ctx.same_file->finished()) {
        if (ctx.same_file->oack_pending()) return RrqDecision::SupersedeProbe;
        if (ctx.same_file->at_block_zero()) return RrqDecision::SupersedeRace;
        // Sent DATA 1 without options and heard nothing back: a silent probe too.
        if (!ctx.same_file->took_data()) return RrqDecision::SupersedeProbe;
    }
    return RrqDecision::Start;
}

void RecentProbes::record(Ipv4 client_ip, std::uint64_t file_hash, Nanos now) noexcept {
    entries_[next_] = Entry{client_ip, file_hash, now, true};
    next_ = (next_ + 1) % kCapacity;
}

bool RecentProbes::take(Ipv4 client_ip, std::uint64_t file_hash, Nanos now) noexcept {
    for (Entry& e : entries_) {
        if (e.used && e.ip == client_ip && e.file == file_hash && now - e.at <= kWindow) {
            e.used = false;
            return true;
        }
    }
    return false;
}

}  // namespace rackboot::proto
