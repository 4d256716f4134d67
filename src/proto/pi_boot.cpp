#include "proto/pi_boot.h"

#include <array>
#include <cstdio>

namespace rackboot::proto {

namespace {

constexpr Nanos kPi3DhcpInterval = 5 * kSecond;  // the ROM: five DISCOVERs, 5 s apart
constexpr int kPi3Discovers = 5;
constexpr Nanos kDhcpReqTimeout = 4 * kSecond;  // EEPROM DHCP_REQ_TIMEOUT
constexpr Nanos kDhcpTimeout = 45 * kSecond;    // EEPROM DHCP_TIMEOUT
constexpr Nanos kArpInterval = kSecond;
constexpr int kArpTries = 10;
constexpr std::size_t kPaddedAck = 18;  // a minimum Ethernet frame's UDP payload
constexpr std::size_t kMaxConfigText = std::size_t{64} * 1024;

thread_local std::array<std::uint8_t, 1536> t_scratch;

MutableBytes scratch() noexcept {
    return {t_scratch.data(), t_scratch.size()};
}

std::uint64_t splitmix(std::uint64_t& s) noexcept {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

std::string_view to_string(PiPhase p) noexcept {
    switch (p) {
        case PiPhase::Off: return "off";
        case PiPhase::Dhcp: return "dhcp";
        case PiPhase::Arp: return "arp";
        case PiPhase::Tftp: return "tftp";
        case PiPhase::Booted: return "booted";
        case PiPhase::Failed: return "failed";
    }
    return "?";
}

std::string_view to_string(PiModel m) noexcept {
    switch (m) {
        case PiModel::pi3: return "pi3";
        case PiModel::pi4: return "pi4";
        case PiModel::pi5: return "pi5";
    }
    return "?";
}

PiBoot::PiBoot(const PiBootConfig& config) : cfg_(config), rng_(config.seed) {
}

double PiBoot::uniform() noexcept {
    return static_cast<double>(splitmix(rng_) >> 11) * 0x1.0p-53;
}

std::uint16_t PiBoot::next_port() noexcept {
    if (port_ < 49152) port_ = static_cast<std::uint16_t>(49152 + splitmix(rng_) % 8192);
    port_ = port_ == 65535 ? 49152 : static_cast<std::uint16_t>(port_ + 1);
    return port_;
}

void PiBoot::power_on(Nanos now, PiBootSink& sink) {
    attempts_ = 0;
    retry_at_ = 0;
    t_first_power_ = now;
    start_attempt(now, sink);
}

void PiBoot::start_attempt(Nanos now, PiBootSink& sink) {
    ++attempts_;
    t_power_ = now;
    t_dhcp_ = t_arp_ = t_end_ = 0;
    failure_ = PiFailure::none;
    failed_file_.clear();
    prefix_ = false;
    steps_.clear();
    step_ = 0;
    fetch_.abandon();
    previous_.abandon();
    race_at_ = 0;
    skip_request_ = cfg_.pi.model == PiModel::pi3 || uniform() < cfg_.faults.no_request;
    dup_trap_ = uniform() < cfg_.faults.dup_trap;
    pad_acks_ = uniform() < cfg_.faults.zero_pad_ack;
    have_addr_ = have_pxe_ = false;
    ip_ = Ipv4{};
    server_ = cfg_.server_override;
    if (!cfg_.static_ip.unset()) {
        ip_ = cfg_.static_ip;
        have_addr_ = true;
        if (!cfg_.dhcp_only) {
            dhcp_done(now, sink);
            return;
        }
    }
    phase_ = PiPhase::Dhcp;
    dhcp_started_ = now;
    discovers_ = 0;
    send_discover(now, sink);
}

void PiBoot::send_discover(Nanos now, PiBootSink& sink) {
    dhcp_state_ = DhcpState::Discovering;
    xid_ = static_cast<std::uint32_t>(splitmix(rng_));
    ++discovers_;
    ++dhcp_sends_;
    std::size_t n = build_pi_discover(cfg_.pi, xid_, scratch());
    sink.send_dhcp(ConstBytes(t_scratch.data(), n));
    dhcp_timer_ = now + (cfg_.pi.model == PiModel::pi3 ? kPi3DhcpInterval : kDhcpReqTimeout);
}

void PiBoot::on_dhcp(ConstBytes payload, Nanos now, PiBootSink& sink) {
    if (phase_ != PiPhase::Dhcp) return;
    PiDhcpAnswer a;
    if (!read_pi_dhcp_answer(payload, cfg_.pi, xid_, a)) return;
    if (dhcp_state_ == DhcpState::Requesting) {
        if (a.type == DhcpMessageType::Nak) {
            send_discover(now, sink);
        } else if (a.type == DhcpMessageType::Ack && a.yiaddr == ip_.value()) {
            dhcp_done(now, sink);
        }
        return;
    }
    if (a.type != DhcpMessageType::Offer) return;
    // A proxy setup answers twice: the address from one server, the PXE menu from another.
    if (a.yiaddr != 0 && !have_addr_) {
        have_addr_ = true;
        ip_ = Ipv4(a.yiaddr);
        addr_server_ = Ipv4(a.server_id);
    }
    if ((a.pxe_menu || (cfg_.dhcp_only && cfg_.static_ip.unset())) && !have_pxe_) {
        have_pxe_ = true;
        if (cfg_.server_override.unset()) server_ = Ipv4(a.tftp_server);
    }
    if (!have_addr_ || !have_pxe_) return;
    if (skip_request_ || !cfg_.static_ip.unset()) {  // the address is the Pi's own: nothing to REQUEST
        dhcp_done(now, sink);
        return;
    }
    dhcp_state_ = DhcpState::Requesting;
    ++dhcp_sends_;
    std::size_t n = build_pi_request(cfg_.pi, xid_, ip_.value(), addr_server_.value(), scratch());
    sink.send_dhcp(ConstBytes(t_scratch.data(), n));
    dhcp_timer_ = now + kDhcpReqTimeout;
}

void PiBoot::dhcp_done(Nanos now, PiBootSink& sink) {
    t_dhcp_ = now;
    if (cfg_.dhcp_only) {
        phase_ = PiPhase::Booted;
        t_end_ = now;
        return;
    }
    phase_ = PiPhase::Arp;
    arps_ = 1;
    arp_timer_ = now + kArpInterval;
    sink.send_arp_request(server_);
}

void PiBoot::on_arp_reply(Ipv4 sender_ip, const Mac& sender_mac, Nanos now, PiBootSink& sink) {
    if (phase_ != PiPhase::Arp || sender_ip != server_) return;
    server_mac_ = sender_mac;
    t_arp_ = now;
    start_tftp(now, sink);
}

void PiBoot::start_tftp(Nanos now, PiBootSink& sink) {
    phase_ = PiPhase::Tftp;
    steps_ = pi_first_steps(cfg_.pi.model, cfg_.steps);
    step_ = 0;
    start_step(now, sink);
}

void PiBoot::start_step(Nanos now, PiBootSink& sink) {
    const PiBootStep& s = steps_[step_];
    using_fallback_ = false;
    raced_ = false;
    config_text_.clear();
    probing_ = s.kind != PiStepKind::Fetch;
    start_fetch(probing_, now, sink);
}

void PiBoot::start_fetch(bool probe, Nanos now, PiBootSink& sink) {
    const PiBootStep& s = steps_[step_];
    const std::string& file = using_fallback_ ? s.fallback : s.path;
    path_.clear();
    if (s.kind == PiStepKind::PrefixProbe || prefix_) {
        char serial[9];
        std::snprintf(serial, sizeof serial, "%08x", cfg_.pi.serial.value());
        path_.append(serial, 8);
        path_ += '/';
    }
    path_ += file;
    PiFetchSpec spec;
    spec.path = path_;
    spec.blksize = s.options ? pi_blksize(cfg_.pi.model, cfg_.pi4_blksize) : 0;
    spec.tsize = s.options;
    spec.probe = probe;
    spec.dup_trap = dup_trap_;
    spec.ack_size = pad_acks_ ? kPaddedAck : 4;
    spec.file_timeout = cfg_.file_timeout;
    previous_ = fetch_;
    ++rrqs_;
    emit(fetch_.start(spec, next_port(), now, scratch()), sink);
    races_left_ = 0;
    race_at_ = 0;
}

void PiBoot::emit(const PiFetchOutput& o, PiBootSink& sink) {
    if (!o.data.empty()) sink.file_data(path_, o.data_offset, o.data);
    if (o.send_len != 0) sink.send_tftp(fetch_.local_port(), o.send_port, ConstBytes(t_scratch.data(), o.send_len));
}

void PiBoot::on_tftp(std::uint16_t local_port, std::uint16_t server_port, ConstBytes payload, Nanos now,
                     PiBootSink& sink) {
    if (phase_ != PiPhase::Tftp) return;
    if (local_port != fetch_.local_port()) {
        if (local_port == previous_.local_port()) {
            PiFetchOutput o = previous_.on_datagram(server_port, payload, now, scratch());
            if (o.send_len != 0)
                sink.send_tftp(previous_.local_port(), o.send_port, ConstBytes(t_scratch.data(), o.send_len));
        }
        return;
    }
    if (race_at_ != 0) return;  // racing: this transfer is being walked away from
    bool was_requested = fetch_.state() == PiFetchState::Requested;
    PiFetchOutput o = fetch_.on_datagram(server_port, payload, now, scratch());
    if (fetch_.state() == PiFetchState::Hung) ++traps_sprung_;
    PiFileRole role = steps_[step_].role;
    bool config = role == PiFileRole::Config || role == PiFileRole::ConfigFinal;
    if (config && !o.data.empty() && config_text_.size() + o.data.size() <= kMaxConfigText) {
        config_text_.append(reinterpret_cast<const char*>(o.data.data()), o.data.size());
    }
    emit(o, sink);
    // The RRQ race: the OACK acknowledged with ACK 0, then the same file asked again.
    if (was_requested && fetch_.oacked() && !fetch_.finished() && !probing_ && !raced_ &&
        uniform() < cfg_.faults.rrq_race) {
        raced_ = true;  // its 2-3 requests, once per file
        races_left_ = uniform() < 0.5 ? 1 : 2;
        race_at_ = now + 5 * kMillisecond + static_cast<Nanos>(uniform() * 4 * kMillisecond);
        return;
    }
    if (fetch_.finished()) fetch_finished(now, sink);
}

void PiBoot::fetch_finished(Nanos now, PiBootSink& sink) {
    const PiBootStep& s = steps_[step_];
    PiFetchState st = fetch_.state();
    PiFileResult r = result(now);
    if (st == PiFetchState::TimedOut) {
        sink.file_other(r);
        fail(PiFailure::file_timeout, path_, now, sink);
        return;
    }
    if (st == PiFetchState::Refused) {
        sink.file_other(r);
        fail(PiFailure::server_error, path_, now, sink);
        return;
    }
    if (st == PiFetchState::Missing) {
        sink.file_other(r);
        if (!using_fallback_ && !s.fallback.empty()) {
            using_fallback_ = true;
            start_fetch(probing_, now, sink);
            return;
        }
        if (s.required) {
            fail(PiFailure::file_missing, path_, now, sink);
            return;
        }
        next_step(now, sink);
        return;
    }
    // Done.
    if (probing_) {
        sink.file_other(r);
        if (s.kind == PiStepKind::PrefixProbe) {
            prefix_ = true;
        } else if (s.kind == PiStepKind::ProbeThenFetch) {
            probing_ = false;
            start_fetch(false, now, sink);  // probe, then restart from a new port
            return;
        }
        next_step(now, sink);
        return;
    }
    if (!sink.file_done(r)) {
        fail(PiFailure::wrong_bytes, path_, now, sink);
        return;
    }
    next_step(now, sink);
}

void PiBoot::next_step(Nanos now, PiBootSink& sink) {
    const PiBootStep& s = steps_[step_];
    if (s.role == PiFileRole::ConfigFinal) {
        files_ = read_pi_config_txt(config_text_, cfg_.pi.model);
        std::vector<PiBootStep> more = pi_final_steps(cfg_.pi.model, files_);
        steps_.insert(steps_.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    ++step_;
    if (step_ < steps_.size()) {
        start_step(now, sink);
        return;
    }
    phase_ = PiPhase::Booted;
    t_end_ = now;
}

void PiBoot::fail(PiFailure why, std::string_view file, Nanos now, PiBootSink& sink) {
    fetch_.abandon();
    race_at_ = 0;
    bool retry = (cfg_.max_attempts == 0 || attempts_ < cfg_.max_attempts) &&
                 !(why == PiFailure::file_timeout && cfg_.pi.model == PiModel::pi5);  // rpi-eeprom#687
    failure_ = why;
    failed_file_ = file;
    t_end_ = now;
    if (retry && cfg_.retry_delay > 0) {
        phase_ = PiPhase::Off;  // starting over: the firmware's loop back to its network boot
        retry_at_ = now + cfg_.retry_delay;
        return;
    }
    if (retry) {
        start_attempt(now, sink);
        return;
    }
    phase_ = PiPhase::Failed;
}

void PiBoot::stop(Nanos now) {
    if (phase_ == PiPhase::Booted || phase_ == PiPhase::Failed) return;
    if (phase_ == PiPhase::Off && retry_at_ == 0) return;  // never powered on
    retry_at_ = 0;
    fetch_.abandon();
    failure_ = PiFailure::stopped;
    failed_file_ = phase_ == PiPhase::Tftp ? path_ : std::string(to_string(phase_));
    t_end_ = now;
    phase_ = PiPhase::Failed;
}

PiFileResult PiBoot::result(Nanos now) const {
    PiFileResult r;
    r.elapsed = now - fetch_.started();
    r.path = path_;
    r.kind = probing_ ? PiStepKind::Probe : PiStepKind::Fetch;
    r.role = step_ < steps_.size() ? steps_[step_].role : PiFileRole::Other;
    r.state = fetch_.state();
    r.bytes = fetch_.bytes();
    r.retransmits = fetch_.retransmits();
    r.duplicates = fetch_.duplicates();
    return r;
}

Nanos PiBoot::next_deadline() const noexcept {
    switch (phase_) {
        case PiPhase::Dhcp: return dhcp_timer_;
        case PiPhase::Arp: return arp_timer_;
        case PiPhase::Tftp: return race_at_ != 0 ? race_at_ : fetch_.next_deadline();
        case PiPhase::Off: return retry_at_;
        default: return 0;
    }
}

void PiBoot::on_timer(Nanos now, PiBootSink& sink) {
    switch (phase_) {
        case PiPhase::Off:
            if (retry_at_ == 0 || now < retry_at_) return;
            retry_at_ = 0;
            start_attempt(now, sink);
            return;
        case PiPhase::Dhcp: {
            if (now < dhcp_timer_) return;
            bool pi3 = cfg_.pi.model == PiModel::pi3;
            bool out = pi3 ? discovers_ >= kPi3Discovers : now - dhcp_started_ >= kDhcpTimeout;
            if (out) {
                fail(PiFailure::dhcp_timeout, "dhcp", now, sink);
                return;
            }
            have_addr_ = !cfg_.static_ip.unset();
            have_pxe_ = false;
            send_discover(now, sink);
            return;
        }
        case PiPhase::Arp:
            if (now < arp_timer_) return;
            if (arps_ >= kArpTries) {
                fail(PiFailure::arp_timeout, "arp", now, sink);
                return;
            }
            ++arps_;
            arp_timer_ = now + kArpInterval;
            sink.send_arp_request(server_);
            return;
        case PiPhase::Tftp: {
            if (race_at_ != 0) {
                if (now < race_at_) return;
                ++races_;
                // Walk away from this transfer and ask for the file again from a new port.
                int left = races_left_ - 1;
                race_at_ = 0;
                fetch_.abandon();
                start_fetch(false, now, sink);
                if (left > 0) {
                    races_left_ = left;
                    race_at_ = now + 5 * kMillisecond + static_cast<Nanos>(uniform() * 4 * kMillisecond);
                }
                return;
            }
            emit(fetch_.on_timer(now, scratch()), sink);
            if (fetch_.finished()) fetch_finished(now, sink);
            return;
        }
        default: return;
    }
}

}  // namespace rackboot::proto
