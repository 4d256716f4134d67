#include "control/board_learner.h"

#include <algorithm>
#include <cstdio>

namespace rackboot::control {

void BoardLearner::learn(std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip, int model,
                         std::int64_t now) {
    if (directory_.learn(mac, serial, ip)) publisher_.notify();
    // A serial the inventory does not hold is only worth a store lookup when it would be
    // discovered: a flood of unknown Pis costs no query each (the directory holds every board).
    if (serial && store_ != nullptr && (auto_discover_ || directory_.has_board(*serial))) {
        remember(mac, *serial, model, now);
    }
}

void BoardLearner::remember(std::uint64_t mac, std::uint32_t serial, int model, std::int64_t now) {
    auto last = last_written_.find(serial);
    if (last != last_written_.end() && now - last->second < kSeenEveryS) return;
    last_written_[serial] = now;
    std::string model_text = model == 4 ? "pi4" : model == 5 ? "pi5" : "";
    Board b;
    if (!store_->get_board(serial, b).ok()) {
        if (!auto_discover_) return;
        b = Board{};
        b.serial = serial;
        b.serial_full = serial_text(serial);
        b.state = "discovered";
        b.macs.push_back(mac_from_key(mac));
        b.model = model_text;
        b.first_seen = now;
        b.last_seen = now;
        if (Outcome o = store_->create_board(b); !o.ok()) {
            std::printf("event=warning what=\"discovering board %s: %s\"\n", serial_text(serial).c_str(),
                        o.message.c_str());
            return;
        }
        ++discovered_;
        std::printf("event=board_discovered serial=%s mac=%s model=%s\n", serial_text(serial).c_str(),
                    mac_text(mac_from_key(mac)).c_str(), model_text.empty() ? "unknown" : model_text.c_str());
        directory_.put_board(b);
        publisher_.notify();
        return;
    }
    // A MAC learnt from option 97 is shown on the board (a MAC another board lists stays there).
    Mac m = mac_from_key(mac);
    if (std::find(b.macs.begin(), b.macs.end(), m) == b.macs.end() && b.macs.size() < 8) {
        b.macs.push_back(m);
        if (store_->replace_board(b, std::nullopt).ok()) {
            directory_.put_board(b);
            publisher_.notify();
        }
    }
    Observation o;
    o.model = model_text;
    o.seen = now;
    (void)store_->observe_board(serial, o);
}

void BoardLearner::boot_finished(std::uint32_t serial, const std::string& summary) {
    if (store_ == nullptr) return;
    Observation o;
    o.last_boot = summary;
    (void)store_->observe_board(serial, o);
}

}  // namespace rackboot::control
