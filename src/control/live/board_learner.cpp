#include "control/live/board_learner.h"

#include <algorithm>
#include <cstdio>

#include "control/metrics/families.h"

namespace rackboot::control {

void BoardLearner::learn(proto::Mac mac, std::optional<proto::Serial> serial, proto::Ipv4 ip, int model,
                         std::int64_t now, const std::string& from) {
    bool fresh = directory_.learn(mac, serial, ip);
    if (fresh) publisher_.notify();
    // A serial the inventory does not hold is only worth a store lookup when it would be
    // discovered: a flood of unknown Pis costs no query each (the directory holds every board).
    if (serial && writes_ != nullptr && (auto_discover_ || directory_.has_board(*serial))) {
        remember(mac, *serial, model, now, from, fresh);
    }
}

void BoardLearner::remember(proto::Mac mac, proto::Serial serial, int model, std::int64_t now, const std::string& from,
                            bool fresh) {
    auto last = last_written_.find(serial);
    if (!fresh && last != last_written_.end() && now - last->second < kSeenEveryS) return;
    last_written_[serial] = now;
    std::string model_text = model == 4 ? "pi4" : model == 5 ? "pi5" : "";
    LearntMac seen{mac, now, now, from};
    if (!directory_.has_board(serial)) {
        if (auto_discover_) discover(serial, seen, model_text, now);
        return;
    }
    // The sighting, the learnt MAC (when the board lists none and learns) and the model, in one
    // transaction that leaves the configuration and its generation alone.
    Observation o;
    o.model = model_text;
    o.seen = now;
    o.learnt_mac = seen;
    bool learnt = false;
    if (Outcome out = writes_->store().observe_board(serial, o, &learnt); !out.ok()) {
        std::printf("event=warning what=\"recording board %s: %s\"\n", serial.to_string().c_str(), out.message.c_str());
    } else if (learnt && fresh) {
        std::printf("event=mac_learnt serial=%s mac=%s from=\"%s\"\n", serial.to_string().c_str(),
                    seen.mac.to_string().c_str(), from.c_str());
    }
}

bool BoardLearner::may_discover(std::int64_t now) {
    double burst = static_cast<double>(limits_.per_second) * kBurstSeconds;
    if (now > refilled_) {
        tokens_ = std::min(burst, tokens_ + static_cast<double>(now - refilled_) * limits_.per_second);
        refilled_ = now;
    }
    // The boards waiting in state "discovered": counted once, then kept up to date here; at the
    // bound, asked again now and then (the operator may have configured or deleted some).
    if (!waiting_ || (*waiting_ >= limits_.max && now - counted_ >= kRecountEveryS)) {
        BoardFilter f;
        f.state = BoardState::discovered;
        std::size_t n = 0;
        if (Outcome o = writes_->store().count_boards(f, n); !o.ok()) {
            std::printf("event=warning what=\"counting discovered boards: %s\"\n", o.message.c_str());
            return false;
        }
        waiting_ = n;
        counted_ = now;
    }
    if (*waiting_ >= limits_.max) {
        refused_limit_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (tokens_ < 1.0) {
        refused_rate_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    tokens_ -= 1.0;
    return true;
}

void BoardLearner::discover(proto::Serial serial, const LearntMac& seen, const std::string& model, std::int64_t now) {
    if (!may_discover(now)) {
        last_written_.erase(serial);  // asked again when it next comes, not a minute later
        return;
    }
    Board b;
    b.serial = serial;
    b.serial_full = serial.to_string();
    b.state = BoardState::discovered;
    b.learnt_macs.push_back(seen);
    b.model = model;
    b.first_seen = now;
    b.last_seen = now;
    if (Outcome o = writes_->discover_board(b, Actor{Actor::Kind::learner, {}, "discover"}); !o.ok()) {
        std::printf("event=warning what=\"discovering board %s: %s\"\n", serial.to_string().c_str(), o.message.c_str());
        return;
    }
    discovered_.fetch_add(1, std::memory_order_relaxed);
    ++*waiting_;
    std::printf("event=board_discovered serial=%s mac=%s model=%s\n", serial.to_string().c_str(),
                seen.mac.to_string().c_str(), model.empty() ? "unknown" : model.c_str());
}

std::string BoardLearner::render_metrics() const {
    return metric_header("rackboot_boards_discovered_total") + "rackboot_boards_discovered_total " +
           std::to_string(discovered_.load(std::memory_order_relaxed)) + "\n" +
           metric_header("rackboot_discover_refused_total") + "rackboot_discover_refused_total{reason=\"rate\"} " +
           std::to_string(refused_rate_.load(std::memory_order_relaxed)) +
           "\nrackboot_discover_refused_total{reason=\"limit\"} " +
           std::to_string(refused_limit_.load(std::memory_order_relaxed)) + "\n";
}

void BoardLearner::boot_finished(proto::Serial serial, const std::string& summary) {
    if (writes_ == nullptr) return;
    Observation o;
    o.last_boot = summary;
    (void)writes_->store().observe_board(serial, o);
}

}  // namespace rackboot::control
