#include "swarm/swarm_engine.h"

#include <algorithm>
#include <cstring>

#include "proto/dhcp_codec.h"
#include "proto/tftp_codec.h"
#include "swarm/fleet.h"

namespace rackboot::swarm {

using proto::ConstBytes;
using proto::Ipv4;
using proto::MutableBytes;
using proto::Nanos;
using proto::PiPhase;

namespace {

constexpr std::size_t kFrameMax = 2048;
constexpr unsigned kPowerOnsPerPoll = 64;
constexpr unsigned kTimersPerPoll = 4096;
constexpr Nanos kHoldMax = proto::kMillisecond;  // a reordered frame waits at most this long
constexpr std::size_t kFailureSamples = 20;
constexpr std::size_t kChaddrOffset = 28;

std::uint64_t us(Nanos d) noexcept {
    return d <= 0 ? 0 : static_cast<std::uint64_t>(d / proto::kMicrosecond);
}

}  // namespace

struct SwarmEngine::Slot {
    explicit Slot(const proto::PiBootConfig& c) : boot(c) {
        std::snprintf(serial_dir, sizeof serial_dir, "%s/", c.pi.serial.to_string().c_str());
    }
    proto::PiBoot boot;
    StreamDigest digest;
    Nanos armed = 0;
    PiPhase seen = PiPhase::Off;
    int seen_attempts = 0;
    std::uint32_t seen_races = 0;
    std::uint32_t seen_traps = 0;
    int image = -1;
    Ipv4 ip;
    char serial_dir[10] = {};
};

// One Pi's output, framed from its MAC and address and sent through the engine's faults.
class SwarmEngine::Sink final : public proto::PiBootSink {
public:
    Sink(SwarmEngine& e, std::uint32_t i, Nanos now, FrameTx& tx) : e_(e), s_(*e.pis_[i]), now_(now), tx_(tx) {}

    void send_dhcp(ConstBytes payload) override {
        const proto::FakePi& pi = s_.boot.config().pi;
        if (e_.trace_ != nullptr) {
            proto::DhcpPacket p;
            bool request = proto::parse_dhcp(payload, p) == proto::DhcpParseError::none &&
                           p.type == proto::DhcpMessageType::Request;
            trace(request ? "dhcp REQUEST" : "dhcp DISCOVER");
        }
        if (now_ - s_.boot.powered_at() < static_cast<Nanos>(e_.o_.late_link_s * 1e9)) {
            ++e_.stats_.late_link_dropped;  // the switch port is not forwarding yet (STP)
            return;
        }
        udp(pi.mac, proto::kBroadcastMac, Ipv4{}, Ipv4::broadcast(), 68, 67, payload);
    }

    void send_arp_request(Ipv4 target) override {
        proto::LocalAddress me{s_.boot.config().pi.mac, s_.boot.address()};
        std::size_t n = proto::build_arp_request(MutableBytes(e_.frame_.data(), kFrameMax), me, target, false);
        e_.send_frame(ConstBytes(e_.frame_.data(), n), tx_);
    }

    void send_tftp(std::uint16_t local_port, std::uint16_t server_port, ConstBytes payload) override {
        if (e_.trace_ != nullptr && payload.size() > 2 && payload[1] == 1) {
            proto::TftpPacket p;
            if (proto::parse_tftp(payload, p) == proto::TftpParseError::none) {
                std::string line = "RRQ ";
                line += p.filename;
                for (std::size_t k = 0; k < p.options.count; ++k) {
                    line += ' ';
                    line += p.options.items[k].name;
                    line += '=';
                    line += p.options.items[k].value;
                }
                trace(line.c_str());
            }
        }
        udp(s_.boot.config().pi.mac, s_.boot.server_mac(), s_.boot.address(), s_.boot.tftp_server(), local_port,
            server_port, payload);
    }

    void file_data(std::string_view, std::uint64_t offset, ConstBytes bytes) override {
        if (offset == 0) s_.digest.reset(e_.o_.verify);
        s_.digest.update(bytes);
    }

    bool file_done(const proto::PiFileResult& r) override {
        if (r.bytes == 0) s_.digest.reset(e_.o_.verify);  // an empty file: no data ever came
        FileDigest d = s_.digest.finish();
        int tree = e_.manifest_.check(r.path, s_.boot.used_prefix() ? s_.serial_dir : "", d, e_.o_.verify);
        SwarmStats& st = e_.stats_;
        ++st.files;
        st.file_bytes += r.bytes;
        st.file_us.record(us(r.elapsed));
        st.pi_retransmits += r.retransmits;
        st.duplicates_seen += r.duplicates;
        if (r.role == proto::PiFileRole::Kernel) s_.image = tree;
        if (e_.trace_ != nullptr) {
            std::string line = "got ";
            line += r.path;
            line += tree >= 0 ? " ok" : " WRONG";
            trace(line.c_str());
        }
        return tree >= 0;
    }

    void file_other(const proto::PiFileResult& r) override {
        SwarmStats& st = e_.stats_;
        st.pi_retransmits += r.retransmits;
        if (r.kind == proto::PiStepKind::Probe && r.state == proto::PiFetchState::Done) ++st.probes;
        if (e_.trace_ != nullptr) {
            const char* what = r.state == proto::PiFetchState::Done      ? " exists"
                               : r.state == proto::PiFetchState::Missing ? " missing"
                               : r.state == proto::PiFetchState::Refused ? " refused"
                                                                         : " timed out";
            std::string line = "probe ";
            line += r.path;
            line += what;
            trace(line.c_str());
        }
    }

    void trace(const char* what) const { e_.trace(s_, now_, what); }

private:
    void udp(const proto::Mac& src_mac, const proto::Mac& dst_mac, Ipv4 src, Ipv4 dst, std::uint16_t sport,
             std::uint16_t dport, ConstBytes payload) {
        if (payload.size() + proto::kUdpFrameOverhead > kFrameMax) return;
        std::uint16_t sum = proto::udp_checksum(src, dst, sport, dport, &payload, 1);
        std::size_t h = proto::build_udp_headers(MutableBytes(e_.frame_.data(), kFrameMax), src_mac, dst_mac, src, dst,
                                                 sport, dport, payload.size(), e_.ip_id_++, sum);
        std::memcpy(e_.frame_.data() + h, payload.data(), payload.size());
        e_.send_frame(ConstBytes(e_.frame_.data(), h + payload.size()), tx_);
    }

    SwarmEngine& e_;
    Slot& s_;
    Nanos now_;
    FrameTx& tx_;
};

SwarmEngine::SwarmEngine(const SwarmOptions& options, Manifest& manifest, std::FILE* trace)
    : o_(options),
      manifest_(manifest),
      trace_(trace),
      rng_(options.seed),
      frame_(kFrameMax),
      links_{Link(options.link_bps, options.link_buffer), Link(options.link_bps, options.link_buffer)} {
    std::vector<proto::FakePi> fleet = o_.fleet.empty() ? make_fleet(o_.pis, o_.mix, o_.seed, o_.mac_offset) : o_.fleet;
    pis_.reserve(fleet.size());
    if (!o_.fleet.empty()) {
        // An inventory's MACs say nothing of their place: looked up.
        by_mac_.reserve(fleet.size());
        for (std::size_t i = 0; i < fleet.size(); ++i) by_mac_.emplace(fleet[i].mac.key(), i);
    }
    by_ip_.reserve(fleet.size() * 2);
    for (std::size_t i = 0; i < fleet.size(); ++i) {
        proto::PiBootConfig c;
        c.pi = fleet[i];
        c.pi4_blksize = o_.pi4_blksize;
        c.steps.config_rereads = o_.config_rereads;
        c.faults = o_.pi_faults;
        c.server_override = o_.server;
        if (!o_.pool_first.unset()) c.static_ip = Ipv4(o_.pool_first.value() + static_cast<std::uint32_t>(i));
        c.max_attempts = o_.attempts;
        c.retry_delay = static_cast<Nanos>(o_.retry_delay_s * 1e9);
        c.seed = o_.seed * 0x9e3779b97f4a7c15ull + i + 1;
        c.file_timeout = static_cast<Nanos>(o_.file_timeout_s * 1e9);
        c.dhcp_only = o_.mode == SwarmMode::dhcp;
        pis_.push_back(std::make_unique<Slot>(c));
    }
    phases_.off = pis_.size();
}

SwarmEngine::~SwarmEngine() = default;

void SwarmEngine::trace(const Slot& s, Nanos now, const char* what) {
    if (trace_ == nullptr) return;
    std::fprintf(trace_, "%.6f %s %s %s\n", elapsed_s(now), s.boot.config().pi.serial.to_string().c_str(),
                 std::string(proto::to_string(s.boot.config().pi.model)).c_str(), what);
}

const proto::PiBoot& SwarmEngine::pi(std::size_t i) const noexcept {
    return pis_[i]->boot;
}

int SwarmEngine::image_of(std::size_t i) const noexcept {
    return pis_[i]->image;
}

double SwarmEngine::elapsed_s(Nanos now) const noexcept {
    return static_cast<double>(now - started_) / 1e9;
}

bool SwarmEngine::chance(double p) {
    if (p <= 0) return false;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

void SwarmEngine::start(Nanos now) {
    started_ = now;
    deadline_ = now + static_cast<Nanos>(o_.duration_s * 1e9);
    if (o_.churn_per_s > 0) next_churn_ = now + static_cast<Nanos>(1e9 / o_.churn_per_s);
}

void SwarmEngine::count_phase(PiPhase p, int delta) noexcept {
    std::uint64_t* c = nullptr;
    switch (p) {
        case PiPhase::Off: c = &phases_.off; break;
        case PiPhase::Dhcp: c = &phases_.dhcp; break;
        case PiPhase::Arp: c = &phases_.arp; break;
        case PiPhase::Tftp: c = &phases_.tftp; break;
        case PiPhase::Booted: c = &phases_.booted; break;
        case PiPhase::Failed: c = &phases_.failed; break;
    }
    *c = static_cast<std::uint64_t>(static_cast<std::int64_t>(*c) + delta);
}

void SwarmEngine::power_on(std::uint32_t i, Nanos now, FrameTx& tx) {
    Slot& s = *pis_[i];
    s.image = -1;
    ++in_flight_;
    ++stats_.boots_started;
    stats_.max_in_flight = std::max(stats_.max_in_flight, in_flight_);
    count_phase(s.seen, -1);
    s.seen = PiPhase::Off;
    count_phase(s.seen, +1);
    s.seen_attempts = 0;
    Sink sink(*this, i, now, tx);
    s.boot.power_on(now, sink);
    after(i, now);
}

void SwarmEngine::after(std::uint32_t i, Nanos now) {
    Slot& s = *pis_[i];
    const proto::PiBoot& b = s.boot;
    Nanos d = b.next_deadline();
    if (d != 0 && (s.armed == 0 || d < s.armed)) {
        s.armed = d;
        timers_.emplace(d, i);
    }
    if (b.address() != s.ip) {
        if (!s.ip.unset()) {
            auto it = by_ip_.find(s.ip.value());
            if (it != by_ip_.end() && it->second == i) by_ip_.erase(it);
        }
        s.ip = b.address();
        if (!s.ip.unset()) by_ip_[s.ip.value()] = i;
    }
    if (b.attempts() > s.seen_attempts) {
        if (s.seen_attempts > 0) stats_.attempts_retried += static_cast<std::uint64_t>(b.attempts() - s.seen_attempts);
        s.seen_attempts = b.attempts();
    }
    PiPhase p = b.phase();
    if (p == s.seen) return;
    count_phase(s.seen, -1);
    count_phase(p, +1);
    s.seen = p;
    if (p != PiPhase::Booted && p != PiPhase::Failed) return;
    --in_flight_;
    stats_.rrq_races += b.races() - s.seen_races;
    s.seen_races = b.races();
    stats_.dup_traps_sprung += b.traps_sprung() - s.seen_traps;
    s.seen_traps = b.traps_sprung();
    if (b.skipped_request()) ++stats_.offers_without_request;
    if (b.pads_acks()) ++stats_.padded_ack_boots;
    if (p == PiPhase::Booted) {
        ++stats_.booted;
        stats_.boot_us.record(us(b.ended_at() - b.first_power_at()));
        stats_.dhcp_us.record(us(b.dhcp_done_at() - b.powered_at()));
        if (o_.mode == SwarmMode::boot) {
            stats_.arp_us.record(us(b.arp_done_at() - b.dhcp_done_at()));
            stats_.tftp_us.record(us(b.ended_at() - b.arp_done_at()));
        }
        if (trace_ != nullptr) {
            char line[96];
            std::snprintf(line, sizeof line, "booted in %.3f s (image %d)",
                          static_cast<double>(b.ended_at() - b.first_power_at()) / 1e9, s.image);
            trace(s, now, line);
        }
        return;
    }
    ++stats_.failed;
    ++stats_.failed_by[static_cast<std::size_t>(b.failure())];
    if (stats_.failure_samples.size() < kFailureSamples) {
        stats_.failure_samples.push_back(
            {b.config().pi.serial, b.config().pi.model, b.failure(), b.failed_file(), elapsed_s(now)});
    }
    if (trace_ != nullptr) {
        std::string line = "failed ";
        line += proto::reason_info(b.failure()).name;
        line += ' ';
        line += b.failed_file();
        trace(s, now, line.c_str());
    }
}

void SwarmEngine::send_frame(ConstBytes frame, FrameTx& tx) {
    const FrameFaultRates& f = o_.frame_faults;
    std::vector<std::uint8_t> copy;
    if (f.any()) {
        if (chance(f.loss[0])) {
            ++stats_.lost[0];
            return;
        }
        if (chance(f.reorder[0]) && held_[0].empty()) {
            ++stats_.reordered[0];
            held_[0].assign(frame.begin(), frame.end());
            held_at_[0] = 0;  // sent after the next frame, or by poll()
            return;
        }
        if (chance(f.corrupt[0]) && frame.size() > proto::kUdpFrameOverhead) {
            ++stats_.corrupted[0];
            copy.assign(frame.begin(), frame.end());
            copy.back() ^= 0x5a;  // the payload's last byte: the UDP checksum no longer holds
            frame = ConstBytes(copy);
        }
        if (chance(f.dup[0])) {
            ++stats_.duplicated[0];
            transmit(frame, tx);
        }
    }
    transmit(frame, tx);
    release_held(0, 0, tx);  // a frame held back goes after this one: reordered
}

void SwarmEngine::transmit(ConstBytes frame, FrameTx& tx) {
    ++stats_.frames_tx;
    stats_.bytes_tx += frame.size();
    if (links_[0].enabled()) {
        (void)links_[0].offer(frame, clock_);  // onto the port when the link has carried it (poll)
        return;
    }
    tx.send(frame);
}

void SwarmEngine::release_held(int direction, Nanos now, FrameTx& tx) {
    std::vector<std::uint8_t>& held = held_[direction];
    if (held.empty()) return;
    if (direction == 0) {
        transmit(held, tx);
    } else {
        deliver(held, now, tx);  // touches only held_[0] (a reply sent), never this one
    }
    held.clear();
}

void SwarmEngine::on_frame(ConstBytes frame, Nanos now, FrameTx& tx) {
    ++stats_.frames_rx;
    stats_.bytes_rx += frame.size();
    clock_ = now;
    // DATA payload the server sent (IPv4 header without options, UDP, TFTP opcode 3).
    if (frame.size() > proto::kUdpFrameOverhead + 4 && frame[proto::kUdpFrameOverhead + 1] == 3 &&
        frame[proto::kUdpFrameOverhead] == 0) {
        stats_.data_bytes_sent += frame.size() - proto::kUdpFrameOverhead - 4;
    }
    if (links_[1].enabled()) {
        (void)links_[1].offer(frame, now);  // reaches the Pis when the link has carried it (poll)
        return;
    }
    arrive(frame, now, tx);
}

void SwarmEngine::arrive(ConstBytes frame, Nanos now, FrameTx& tx) {
    const FrameFaultRates& f = o_.frame_faults;
    if (!f.any()) {
        deliver(frame, now, tx);
        return;
    }
    if (chance(f.loss[1])) {
        ++stats_.lost[1];
        return;
    }
    if (chance(f.reorder[1]) && held_[1].empty()) {
        ++stats_.reordered[1];
        held_[1].assign(frame.begin(), frame.end());
        held_at_[1] = now;
        return;
    }
    std::vector<std::uint8_t> copy;
    if (chance(f.corrupt[1]) && frame.size() > proto::kUdpFrameOverhead) {
        ++stats_.corrupted[1];
        copy.assign(frame.begin(), frame.end());
        copy.back() ^= 0x5a;
        frame = ConstBytes(copy);
    }
    deliver(frame, now, tx);
    if (chance(f.dup[1])) {
        ++stats_.duplicated[1];
        deliver(frame, now, tx);
    }
    release_held(1, now, tx);
}

void SwarmEngine::deliver(ConstBytes frame, Nanos now, FrameTx& tx) {
    proto::FrameInfo f = proto::classify_frame_any_address(frame, true);
    using K = proto::FrameInfo::Kind;
    if (f.kind == K::ArpRequest) {
        auto it = by_ip_.find(f.dst_ip.value());
        if (it == by_ip_.end()) {
            ++stats_.frames_ignored;
            return;
        }
        proto::LocalAddress me{pis_[it->second]->boot.config().pi.mac, f.dst_ip};
        std::size_t n = proto::build_arp_reply(MutableBytes(frame_.data(), kFrameMax), me, f);
        send_frame(ConstBytes(frame_.data(), n), tx);
        return;
    }
    if (f.kind == K::ArpReply) {
        auto it = by_ip_.find(f.dst_ip.value());
        if (it == by_ip_.end()) {
            ++stats_.frames_ignored;
            return;
        }
        Sink sink(*this, it->second, now, tx);
        pis_[it->second]->boot.on_arp_reply(f.src_ip, f.src_mac, now, sink);
        after(it->second, now);
        return;
    }
    if (f.kind != K::Udp) {
        ++stats_.frames_ignored;
        return;
    }
    if (f.dst_port == 68) {
        if (f.payload.size() < kChaddrOffset + 6) {
            ++stats_.frames_ignored;
            return;
        }
        proto::Mac mac;
        std::memcpy(mac.data(), f.payload.data() + kChaddrOffset, 6);
        std::optional<std::uint32_t> i;
        if (by_mac_.empty()) {
            i = pi_of_mac(mac, pis_.size(), o_.mac_offset,
                          [this](std::uint32_t k) { return pis_[k]->boot.config().pi.mac; });
        } else if (auto it = by_mac_.find(mac.key()); it != by_mac_.end()) {
            i = it->second;
        }
        if (!i) {
            ++stats_.frames_ignored;
            return;
        }
        Sink sink(*this, *i, now, tx);
        pis_[*i]->boot.on_dhcp(f.payload, now, sink);
        after(*i, now);
        return;
    }
    auto it = by_ip_.find(f.dst_ip.value());
    if (it == by_ip_.end() || f.src_ip != pis_[it->second]->boot.tftp_server()) {
        ++stats_.frames_ignored;
        return;
    }
    Sink sink(*this, it->second, now, tx);
    pis_[it->second]->boot.on_tftp(f.dst_port, f.src_port, f.payload, now, sink);
    after(it->second, now);
}

void SwarmEngine::poll(Nanos now, FrameTx& tx) {
    if (stopped_) return;
    clock_ = now;
    links_[0].release(now, [&](ConstBytes frame) { tx.send(frame); });
    links_[1].release(now, [&](ConstBytes frame) { arrive(frame, now, tx); });
    auto room = [&] { return o_.max_in_flight == 0 || in_flight_ < o_.max_in_flight; };
    for (unsigned k = 0; k < kPowerOnsPerPoll && next_power_ < pis_.size() && room(); ++k) {
        // --dhcp-rate paces power-ons (one DORA each in DHCP mode); else --ramp spreads them.
        Nanos at =
            o_.dhcp_rate > 0
                ? started_ + static_cast<Nanos>(1e9 * next_power_ / o_.dhcp_rate)
                : started_ + static_cast<Nanos>(o_.ramp_s * 1e9 * next_power_ / static_cast<double>(pis_.size()));
        if (now < at) break;
        power_on(next_power_++, now, tx);
    }
    if (o_.churn_per_s > 0 && next_power_ == pis_.size()) {
        for (unsigned k = 0; k < kPowerOnsPerPoll && now >= next_churn_ && room(); ++k) {
            next_churn_ += static_cast<Nanos>(1e9 / o_.churn_per_s);
            auto i = static_cast<std::uint32_t>(std::uniform_int_distribution<std::size_t>(0, pis_.size() - 1)(rng_));
            PiPhase p = pis_[i]->boot.phase();
            if (p == PiPhase::Booted || p == PiPhase::Failed) power_on(i, now, tx);  // a reboot
        }
    }
    for (unsigned k = 0; k < kTimersPerPoll && !timers_.empty() && timers_.top().first <= now; ++k) {
        auto [t, i] = timers_.top();
        timers_.pop();
        Slot& s = *pis_[i];
        if (s.armed != t) continue;  // re-armed earlier since
        s.armed = 0;
        Sink sink(*this, i, now, tx);
        s.boot.on_timer(now, sink);
        after(i, now);
    }
    if (!held_[0].empty() && held_at_[0] == 0) held_at_[0] = now;  // held by send_frame, which has no clock
    for (int direction = 0; direction < 2; ++direction) {
        if (!held_[direction].empty() && now - held_at_[direction] >= kHoldMax) release_held(direction, now, tx);
    }
}

bool SwarmEngine::finished(Nanos now) const noexcept {
    if (stopped_ || now >= deadline_) return true;
    return o_.churn_per_s <= 0 && next_power_ == pis_.size() && in_flight_ == 0;
}

void SwarmEngine::stop(Nanos now) {
    for (std::uint32_t i = 0; i < pis_.size(); ++i) {
        pis_[i]->boot.stop(now);
        after(i, now);
    }
    stopped_ = true;
}

}  // namespace rackboot::swarm
