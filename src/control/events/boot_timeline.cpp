#include "control/events/boot_timeline.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <net/if.h>

#include "control/metrics/families.h"
#include "dataplane/counters.h"
#include "proto/dhcp_codec.h"
#include "proto/dhcp_leases.h"
#include "proto/dhcp_responder.h"
#include "proto/mac.h"
#include "proto/serial.h"
#include "proto/tftp_transfer.h"

namespace rackboot::control {

using nlohmann::json;

namespace {

// A transfer's result that stops a boot (a normal step, or the client's own leaving, does not).
bool fails_boot(dataplane::ResultLabel r) {
    using dataplane::ResultLabel;
    return r == ResultLabel::refused || r == ResultLabel::busy || r == ResultLabel::timeout || r == ResultLabel::error;
}

}  // namespace

void BootTimeline::publish(const std::string& kind, std::optional<proto::Serial> serial, proto::Mac mac,
                           const json& event) {
    // No stream (the API is off): no JSON text made (a flood of Pis costs no serializing).
    if (!streamed()) return;
    BusEvent e;
    e.kind = kind;
    e.serial = serial;
    e.mac = mac;
    e.json = event.dump();
    bus_->publish(std::move(e));
}

void BootTimeline::record(Board& b, const std::string& kind, json event, std::int64_t now_ms, proto::Mac mac) {
    if (!mac.unset()) b.mac = mac;
    event["at_ms"] = now_ms;
    event["kind"] = kind;
    b.events.push_back(std::move(event));
    while (b.events.size() > per_board_) b.events.pop_front();
}

json BootTimeline::summary(const Boot& boot, const std::string& result) {
    json files = json::array();
    for (const File& f : boot.files) {
        files.push_back({{"file", f.name}, {"ms", f.ms}, {"bytes", f.bytes}, {"result", f.result}});
    }
    json s = {{"started_ms", boot.started_ms},
              {"result", result},
              {"total_ms", boot.last_ms - boot.started_ms},
              {"dhcp_ms", boot.dhcp_done_ms != 0 ? json(boot.dhcp_done_ms - boot.started_ms) : json(nullptr)},
              {"files", files}};
    if (result == "failed") {
        s["failed_file"] = boot.failed_file;
        s["reason"] = boot.failed_reason;
    }
    return s;
}

BootResult BootTimeline::stopped(const Boot& boot) noexcept {
    if (!boot.failed_file.empty()) return BootResult::failed;
    return boot.netboot_off ? BootResult::netboot_off : BootResult::abandoned;
}

void BootTimeline::count(const Boot& boot, BootResult result) {
    std::array<double, kPhases> phase_s{};
    phase_s.fill(-1);
    if (boot.dhcp_done_ms != 0) phase_s[0] = static_cast<double>(boot.dhcp_done_ms - boot.started_ms) / 1e3;
    // Each role's phase: from its first request to its last transfer's end.
    std::array<std::int64_t, kPhases> first{};
    std::array<std::int64_t, kPhases> last{};
    first.fill(INT64_MAX);
    last.fill(INT64_MIN);
    for (const File& f : boot.files) {
        std::size_t p = phase_of(file_role(f.name));
        first[p] = std::min(first[p], f.started_ms);
        last[p] = std::max(last[p], f.started_ms + f.ms);
    }
    for (std::size_t p = 1; p < kPhases; ++p) {
        if (first[p] != INT64_MAX) phase_s[p] = static_cast<double>(last[p] - first[p]) / 1e3;
    }
    stats_.on_boot(boot.model, result, static_cast<double>(boot.last_ms - boot.started_ms) / 1e3, phase_s);
}

void BootTimeline::finish(proto::Serial serial, Board& b, BootResult ended) {
    if (!b.boot) return;
    count(*b.boot, ended);
    std::string result(to_string(ended));
    json s = summary(*b.boot, result);
    b.last_boot = s;
    b.boot.reset();
    json event = s;
    event["serial"] = serial.to_string();
    event["at_ms"] = s["started_ms"].get<std::int64_t>() + s["total_ms"].get<std::int64_t>();
    event["kind"] = "boot_finished";
    b.events.push_back(event);
    while (b.events.size() > per_board_) b.events.pop_front();
    publish("boot", serial, b.mac, event);
    if (hooks_.on_boot) hooks_.on_boot(serial, s);
}

std::string dhcp_origin(const dataplane::DhcpRecord& r) {
    if (!r.via.unset()) return "relay " + r.via.to_string();
    char name[IF_NAMESIZE] = {};
    if (r.ifindex != 0 && if_indextoname(r.ifindex, name) != nullptr) return std::string("interface ") + name;
    return "direct";
}

void BootTimeline::on_dhcp(const dataplane::DhcpRecord& r, std::int64_t now_ms) {
    proto::Mac mac = r.mac;
    std::optional<proto::Serial> serial = r.serial;
    proto::DhcpVerdict verdict = r.verdict;
    if (verdict == proto::DhcpVerdict::identity_conflict) {
        on_conflict(r, now_ms);
        return;
    }
    if (!serial && hooks_.serial_of_mac) serial = hooks_.serial_of_mac(mac);
    // No board and no stream: nothing to record (a DISCOVER flood costs no JSON here).
    bool live = streamed();
    if (!serial && !live) return;
    proto::DhcpMessageType type = r.type;
    json event = {{"type", std::string(to_string(type))},
                  {"mac", r.mac.to_string()},
                  {"result", std::string(to_string(verdict))}};
    if (serial) event["serial"] = serial->to_string();
    if (!r.yiaddr.unset()) event["ip"] = r.yiaddr.to_string();
    if (r.model != 0) event["model"] = r.model;
    std::lock_guard lock(mutex_);
    if (serial) {
        if (!r.yiaddr.unset()) join_address(r.yiaddr, *serial);
        Board& b = board(*serial);
        bool discover = type == proto::DhcpMessageType::Discover;
        if (discover && b.boot && (b.boot->last_ms + kNewBootGapMs < now_ms || !b.boot->files.empty())) {
            // The board starts over: the boot in progress has ended without the kernel.
            finish(*serial, b, stopped(*b.boot));
        }
        if (discover && !b.boot) {
            b.boot = Boot{};
            b.boot->started_ms = now_ms;
            json started = {{"serial", serial->to_string()}, {"mac", r.mac.to_string()}};
            record(b, "boot_started", started, now_ms, mac);
            started["at_ms"] = now_ms;
            started["kind"] = "boot_started";
            publish("boot", serial, mac, started);
        }
        if (b.boot) {
            b.boot->last_ms = now_ms;
            if (verdict == proto::DhcpVerdict::netboot_off) b.boot->netboot_off = true;
            if (r.model == 4) b.boot->model = BootModel::pi4;
            if (r.model == 5) b.boot->model = BootModel::pi5;
            if (verdict == proto::DhcpVerdict::replied && b.boot->files.empty()) b.boot->dhcp_done_ms = now_ms;
        }
        if (!live) {
            record(b, "dhcp", std::move(event), now_ms, mac);
            return;
        }
        record(b, "dhcp", event, now_ms, mac);
    }
    event["at_ms"] = now_ms;
    event["kind"] = "dhcp";
    publish("dhcp", serial, mac, event);
}

void BootTimeline::on_conflict(const dataplane::DhcpRecord& r, std::int64_t now_ms) {
    std::optional<proto::Serial> serial = r.serial;
    json board_macs = json::array();
    if (serial && hooks_.configured_macs) {
        for (proto::Mac m : hooks_.configured_macs(*serial)) board_macs.push_back(m.to_string());
    }
    // The board the claiming MAC belongs to, when another than the one it claimed.
    std::optional<proto::Serial> owner = hooks_.serial_of_mac ? hooks_.serial_of_mac(r.mac) : std::nullopt;
    json event = {{"type", std::string(to_string(r.type))},
                  {"mac", r.mac.to_string()},
                  {"result", "identity_conflict"},
                  {"board_macs", board_macs},
                  {"from", dhcp_origin(r)}};
    if (serial) event["serial"] = serial->to_string();
    if (owner && owner != serial) event["mac_belongs_to"] = owner->to_string();
    if (serial) {
        std::lock_guard lock(mutex_);
        // On the claimed board's timeline (no boot starts), bounded like every board's.
        record(board(*serial), "dhcp", event, now_ms, proto::Mac{});
    }
    event["at_ms"] = now_ms;
    event["kind"] = "dhcp";
    publish("dhcp", serial, r.mac, event);
}

void BootTimeline::on_transfer(const dataplane::TransferRecord& r, std::int64_t now_ms) {
    bool live = streamed();
    std::string_view name(r.file, strnlen(r.file, sizeof r.file));
    if (r.outcome == dataplane::ResultLabel::complete) {
        std::lock_guard lock(mutex_);
        stats_.on_complete_transfer(file_role(name), static_cast<double>(r.duration_ns) / 1e9, r.file_size);
    }
    if (!r.serial && !live) {
        std::lock_guard lock(mutex_);
        if (serial_by_ip_.find(r.client_ip) == serial_by_ip_.end()) return;  // no board, no stream
    }
    std::string file(name);
    proto::TftpResult result = r.result;
    std::int64_t ms = r.duration_ns / 1'000'000;
    json event = {{"file", file},
                  {"role", std::string(to_string(file_role(name)))},
                  {"client", r.client_ip.to_string()},
                  {"result", std::string(dataplane::result_name(r))},
                  {"bytes", r.bytes},
                  {"size", r.file_size},
                  {"ms", ms}};
    if (r.error_code != 0 || result == proto::TftpResult::Error) event["error_code"] = r.error_code;
    if (r.quirks != 0) {
        // Which Pi bootloader quirks the transfer met (probe then restart, RRQ races, ...).
        json quirks = json::array();
        for (unsigned q = 0; q < static_cast<unsigned>(dataplane::Quirk::count_); ++q) {
            if ((r.quirks & (1u << q)) != 0) quirks.push_back(std::string(to_string(static_cast<dataplane::Quirk>(q))));
        }
        event["quirks"] = quirks;
    }
    std::lock_guard lock(mutex_);
    std::optional<proto::Serial> serial = r.serial;
    if (serial) {
        join_address(r.client_ip, *serial);
    } else if (auto it = serial_by_ip_.find(r.client_ip); it != serial_by_ip_.end()) {
        serial = it->second;
    }
    proto::Mac mac = r.client_mac;
    if (serial) {
        event["serial"] = serial->to_string();
        Board& b = board(*serial);
        if (mac.unset()) mac = b.mac;
        if (!b.boot) {
            // A transfer with no DHCP seen first (a Pi that kept its address, u-boot's second
            // stage): its boot starts here.
            b.boot = Boot{};
            b.boot->started_ms = now_ms - ms;
        }
        Boot& boot = *b.boot;
        boot.last_ms = now_ms;
        boot.files.push_back({file, now_ms - ms, ms, r.bytes, std::string(dataplane::result_name(r))});
        bool whole = result == proto::TftpResult::Complete;
        if (whole && is_kernel(file)) boot.kernel = true;
        if (whole && is_cmdline(file)) boot.cmdline = true;
        if (boot.model == BootModel::unknown) boot.model = model_of_file(file);
        if (r.outcome == dataplane::ResultLabel::netboot_off) boot.netboot_off = true;
        if (fails_boot(r.outcome)) {
            boot.failed_file = file;
            boot.failed_reason = result == proto::TftpResult::Error
                                     ? "ERROR " + std::to_string(r.error_code) + " from the server"
                                     : "the transfer timed out";
        } else if (whole && boot.failed_file == file) {
            boot.failed_file.clear();  // retried, and arrived
            boot.failed_reason.clear();
        }
        bool done = boot.kernel && boot.cmdline;
        if (!live) {
            record(b, "tftp", std::move(event), now_ms, r.client_mac);
            if (done) finish(*serial, b, BootResult::booted);
            return;
        }
        record(b, "tftp", event, now_ms, r.client_mac);
        // The transfer, then the boot it ended: a reader sees them in the order they happened.
        event["at_ms"] = now_ms;
        event["kind"] = "tftp";
        publish("tftp", serial, mac, event);
        if (done) finish(*serial, b, BootResult::booted);
        return;
    }
    event["at_ms"] = now_ms;
    event["kind"] = "tftp";
    publish("tftp", serial, mac, event);
}

BootTimeline::Board& BootTimeline::board(proto::Serial serial) {
    auto [it, made] = boards_.try_emplace(serial);
    if (!made || !hooks_.is_board || hooks_.is_board(serial)) return it->second;
    strangers_.push_back(serial);
    while (strangers_.size() > kMaxStrangers) {
        proto::Serial oldest = strangers_.front();
        strangers_.pop_front();
        // Made a board since (discovered, or added over the API): kept like every board.
        if (oldest == serial || hooks_.is_board(oldest)) continue;
        boards_.erase(oldest);
        ++forgotten_;
    }
    return it->second;  // erasing other entries leaves this one where it is
}

void BootTimeline::join_address(proto::Ipv4 ip, proto::Serial serial) {
    if (serial_by_ip_.size() >= kMaxAddresses && serial_by_ip_.find(ip) == serial_by_ip_.end()) {
        // Spoofed sources can name any address: keep the joins to timelines still kept, and if
        // that is not enough, start over (an unprefixed request then joins no board until DHCP
        // or a prefixed request names it again).
        std::erase_if(serial_by_ip_, [this](const auto& e) { return boards_.find(e.second) == boards_.end(); });
        if (serial_by_ip_.size() >= kMaxAddresses / 2) serial_by_ip_.clear();
    }
    serial_by_ip_[ip] = serial;
}

std::size_t BootTimeline::kept() const {
    std::lock_guard lock(mutex_);
    return boards_.size();
}

std::size_t BootTimeline::joined_addresses() const {
    std::lock_guard lock(mutex_);
    return serial_by_ip_.size();
}

std::string BootTimeline::render_metrics() const {
    std::lock_guard lock(mutex_);
    std::array<std::uint64_t, kPhases> in_progress{};
    for (const auto& [serial, b] : boards_) {
        if (b.boot) ++in_progress[b.boot->files.empty() ? 0 : phase_of(file_role(b.boot->files.back().name))];
    }
    std::string out;
    stats_.render(out, in_progress);
    out += metric_header("rackboot_timelines") + "rackboot_timelines " + std::to_string(boards_.size()) + "\n";
    out += metric_header("rackboot_timelines_forgotten_total") + "rackboot_timelines_forgotten_total " +
           std::to_string(forgotten_) + "\n";
    return out;
}

std::uint64_t BootTimeline::forgotten() const {
    std::lock_guard lock(mutex_);
    return forgotten_;
}

void BootTimeline::tick(std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    for (auto& [serial, b] : boards_) {
        if (b.boot && b.boot->last_ms + kIdleMs < now_ms) {
            finish(serial, b, stopped(*b.boot));
        }
    }
}

std::optional<json> BootTimeline::timeline(proto::Serial serial) const {
    std::lock_guard lock(mutex_);
    auto it = boards_.find(serial);
    if (it == boards_.end()) return std::nullopt;
    const Board& b = it->second;
    json events = json::array();
    for (const json& e : b.events) events.push_back(e);
    json boot = b.boot ? summary(*b.boot, "in_progress") : json(nullptr);
    return json{{"serial", serial.to_string()},
                {"events", events},
                {"boot", boot},
                {"last_boot", b.last_boot ? *b.last_boot : json(nullptr)}};
}

}  // namespace rackboot::control
