#include "swarm/report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "swarm/fleet.h"

namespace rackboot::swarm {

namespace {

struct Latency {
    const char* name;
    const LogLinearHistogram SwarmStats::*hist;
};
constexpr Latency kLatencies[] = {{"boot", &SwarmStats::boot_us},
                                  {"dhcp", &SwarmStats::dhcp_us},
                                  {"arp", &SwarmStats::arp_us},
                                  {"tftp", &SwarmStats::tftp_us},
                                  {"file", &SwarmStats::file_us}};
struct Pct {
    const char* name;
    double p;
};
constexpr Pct kPercentiles[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}};

double seconds(std::uint64_t microseconds) {
    return static_cast<double>(microseconds) / 1e6;
}

double per_s(std::uint64_t n, double elapsed) {
    return elapsed > 0 ? static_cast<double>(n) / elapsed : 0;
}

const char* model_name(proto::PiModel m) {
    return m == proto::PiModel::pi3 ? "pi3" : m == proto::PiModel::pi4 ? "pi4" : "pi5";
}

}  // namespace

std::string fleet_listing(const SwarmOptions& o) {
    std::string out;
    for (const proto::FakePi& pi : o.fleet.empty() ? make_fleet(o.pis, o.mix, o.seed, o.mac_offset) : o.fleet) {
        out += pi.serial.to_string() + " " + pi.mac.to_string() + " " + model_name(pi.model) + "\n";
    }
    return out;
}

namespace {

// The rack as a whole: from the first power-on to the last Pi up (-1 while any is not), attempts.
struct RackFigures {
    double all_up_s = -1;
    double attempts_max = 0;
    double attempts_mean = 0;
};

RackFigures rack_figures(const SwarmEngine& e) {
    RackFigures r;
    proto::Nanos first = 0, last = 0;
    bool all = e.size() > 0;
    double attempts = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
        const proto::PiBoot& b = e.pi(i);
        attempts += b.attempts();
        r.attempts_max = std::max<double>(r.attempts_max, b.attempts());
        if (b.phase() != proto::PiPhase::Booted) {
            all = false;
            continue;
        }
        if (first == 0 || b.first_power_at() < first) first = b.first_power_at();
        last = std::max(last, b.ended_at());
    }
    if (all) r.all_up_s = static_cast<double>(last - first) / 1e9;
    r.attempts_mean = e.size() == 0 ? 0 : attempts / static_cast<double>(e.size());
    return r;
}

}  // namespace

std::vector<std::string> metric_names() {
    std::vector<std::string> out = {"pis",
                                    "boots",
                                    "booted",
                                    "failed",
                                    "success_pct",
                                    "boots_per_s",
                                    "retried",
                                    "frames_tx",
                                    "frames_rx",
                                    "mb_per_s",
                                    "file_bytes",
                                    "retransmits",
                                    "duplicates_seen",
                                    "idle_pct",
                                    "rx_missed",
                                    "elapsed_s",
                                    "time_to_all_up_s",
                                    "attempts_max",
                                    "attempts_mean",
                                    "goodput_pct",
                                    "slowest_file_s",
                                    "file_margin_s",
                                    "link_dropped"};
    for (const proto::ReasonInfo& r : proto::kPiFailureReasons) {
        if (r.name != "none") out.push_back("failed_" + std::string(r.name));
    }
    for (const Latency& l : kLatencies) {
        for (const Pct& p : kPercentiles) out.push_back(std::string(p.name) + "_" + l.name + "_s");
        out.push_back(std::string("max_") + l.name + "_s");
    }
    return out;
}

std::map<std::string, double> run_figures(const SwarmEngine& e, double elapsed) {
    const SwarmStats& s = e.stats();
    std::map<std::string, double> f;
    std::uint64_t ended = s.booted + s.failed;
    f["pis"] = static_cast<double>(e.size());
    f["boots"] = static_cast<double>(s.boots_started);
    f["booted"] = static_cast<double>(s.booted);
    f["failed"] = static_cast<double>(s.failed);
    f["success_pct"] = ended == 0 ? 0 : 100.0 * static_cast<double>(s.booted) / static_cast<double>(ended);
    f["boots_per_s"] = per_s(s.booted, elapsed);
    f["retried"] = static_cast<double>(s.attempts_retried);
    f["frames_tx"] = static_cast<double>(s.frames_tx);
    f["frames_rx"] = static_cast<double>(s.frames_rx);
    f["mb_per_s"] = per_s(s.file_bytes, elapsed) / 1e6;
    f["file_bytes"] = static_cast<double>(s.file_bytes);
    f["retransmits"] = static_cast<double>(s.pi_retransmits);
    f["duplicates_seen"] = static_cast<double>(s.duplicates_seen);
    f["idle_pct"] = s.polls == 0 ? 0 : 100.0 * static_cast<double>(s.idle_polls) / static_cast<double>(s.polls);
    f["rx_missed"] = static_cast<double>(s.rx_missed);
    f["elapsed_s"] = elapsed;
    RackFigures r = rack_figures(e);
    f["time_to_all_up_s"] = r.all_up_s;
    f["attempts_max"] = r.attempts_max;
    f["attempts_mean"] = r.attempts_mean;
    f["goodput_pct"] =
        s.data_bytes_sent == 0 ? 0 : 100.0 * static_cast<double>(s.file_bytes) / static_cast<double>(s.data_bytes_sent);
    f["slowest_file_s"] = seconds(s.file_us.max());
    f["file_margin_s"] = e.options().file_timeout_s - seconds(s.file_us.max());
    f["link_dropped"] = static_cast<double>(e.link(0).stats().dropped + e.link(1).stats().dropped);
    for (std::size_t i = 1; i < s.failed_by.size(); ++i) {
        f["failed_" + std::string(proto::kPiFailureReasons[i].name)] = static_cast<double>(s.failed_by[i]);
    }
    for (const Latency& l : kLatencies) {
        const LogLinearHistogram& h = s.*l.hist;
        for (const Pct& p : kPercentiles)
            f[std::string(p.name) + "_" + l.name + "_s"] = seconds(h.value_at_percentile(p.p));
        f[std::string("max_") + l.name + "_s"] = seconds(h.max());
    }
    return f;
}

namespace {

using nlohmann::json;

json scenario_json(const SwarmOptions& o) {
    return {{"pis", o.pis},
            {"mode", o.mode == SwarmMode::boot ? "boot" : "dhcp"},
            {"mix", {{"pi3", o.mix[0]}, {"pi4", o.mix[1]}, {"pi5", o.mix[2]}}},
            {"ramp_s", o.ramp_s},
            {"churn_per_s", o.churn_per_s},
            {"duration_s", o.duration_s},
            {"max_in_flight", o.max_in_flight},
            {"attempts", o.attempts},
            {"seed", o.seed},
            {"addresses", o.pool_first.unset() ? "dhcp" : "static"},
            {"verify", o.trees.empty()                  ? "first read (size, crc32)"
                       : o.verify == VerifyMode::sha256 ? "sha256"
                                                        : "crc32"}};
}

json faults_json(const SwarmOptions& o) {
    return {{"no_request", o.pi_faults.no_request},
            {"rrq_race", o.pi_faults.rrq_race},
            {"dup_trap", o.pi_faults.dup_trap},
            {"zero_pad_ack", o.pi_faults.zero_pad_ack},
            {"late_link_s", o.late_link_s},
            {"loss", {o.frame_faults.loss[0], o.frame_faults.loss[1]}},
            {"dup", {o.frame_faults.dup[0], o.frame_faults.dup[1]}},
            {"reorder", {o.frame_faults.reorder[0], o.frame_faults.reorder[1]}},
            {"corrupt", {o.frame_faults.corrupt[0], o.frame_faults.corrupt[1]}}};
}

json boots_json(const SwarmStats& s, std::map<std::string, double>& fig) {
    json failed_by = json::object();
    for (std::size_t i = 1; i < s.failed_by.size(); ++i) {
        if (s.failed_by[i] != 0) failed_by[std::string(proto::kPiFailureReasons[i].name)] = s.failed_by[i];
    }
    json samples = json::array();
    for (const FailureSample& f : s.failure_samples) {
        samples.push_back({{"serial", f.serial.to_string()},
                           {"model", model_name(f.model)},
                           {"reason", proto::reason_info(f.reason).name},
                           {"file", f.file},
                           {"at_s", f.at_s}});
    }
    return {{"started", s.boots_started},
            {"booted", s.booted},
            {"failed", s.failed},
            {"failed_by_reason", failed_by},
            {"retried", s.attempts_retried},
            {"success_pct", fig["success_pct"]},
            {"boots_per_s", fig["boots_per_s"]},
            {"failure_samples", samples}};
}

json latency_json(const SwarmStats& s) {
    json lat = json::object();
    for (const Latency& l : kLatencies) {
        const LogLinearHistogram& h = s.*l.hist;
        json one = {{"count", h.count()}, {"mean", h.mean() / 1e6}, {"min", seconds(h.min())}};
        for (const Pct& p : kPercentiles) one[p.name] = seconds(h.value_at_percentile(p.p));
        one["max"] = seconds(h.max());
        lat[l.name] = one;
    }
    return lat;
}

json traffic_json(const SwarmStats& s, std::map<std::string, double>& fig, double elapsed) {
    return {{"frames_tx", s.frames_tx},
            {"frames_rx", s.frames_rx},
            {"bytes_tx", s.bytes_tx},
            {"bytes_rx", s.bytes_rx},
            {"frames_tx_dropped", s.frames_tx_dropped},
            {"frames_ignored", s.frames_ignored},
            {"files", s.files},
            {"file_bytes", s.file_bytes},
            {"mb_per_s", fig["mb_per_s"]},
            {"frames_per_s", per_s(s.frames_tx + s.frames_rx, elapsed)},
            {"retransmits_sent", s.pi_retransmits},
            {"duplicates_seen", s.duplicates_seen}};
}

json link_json(const SwarmOptions& o, const SwarmEngine& e) {
    json link = {{"rate_bps", o.link_bps}, {"buffer_bytes", o.link_buffer}};
    for (int d = 0; d < 2; ++d) {
        const LinkStats& ls = e.link(d).stats();
        link[d == 0 ? "to_server" : "to_pis"] = {
            {"frames", ls.frames}, {"wire_bytes", ls.wire_bytes}, {"dropped", ls.dropped}, {"max_queue", ls.max_queue}};
    }
    return link;
}

// One entry per Pi (--json-pis).
json pis_json(const SwarmEngine& e) {
    json pis = json::array();
    for (std::size_t i = 0; i < e.size(); ++i) {
        const proto::PiBoot& b = e.pi(i);
        json one = {{"serial", b.config().pi.serial.to_string()},
                    {"mac", b.config().pi.mac.to_string()},
                    {"model", model_name(b.config().pi.model)},
                    {"phase", std::string(proto::to_string(b.phase()))},
                    {"address", b.address().to_string()},
                    {"attempts", b.attempts()},
                    {"prefix", b.used_prefix()},
                    {"image", e.image_of(i)}};
        if (b.phase() == proto::PiPhase::Failed) {
            one["reason"] = proto::reason_info(b.failure()).name;
            one["file"] = b.failed_file();
        }
        if (b.phase() == proto::PiPhase::Booted)
            one["boot_s"] = static_cast<double>(b.ended_at() - b.first_power_at()) / 1e9;
        pis.push_back(std::move(one));
    }
    return pis;
}

}  // namespace

nlohmann::json run_report(const SwarmOptions& o, const SwarmEngine& e, double elapsed,
                          const std::vector<RequirementResult>& checked) {
    const SwarmStats& s = e.stats();
    std::map<std::string, double> fig = run_figures(e, elapsed);
    json j;
    j["scenario"] = scenario_json(o);
    j["faults"] = faults_json(o);
    j["boots"] = boots_json(s, fig);
    j["latency_s"] = latency_json(s);
    j["traffic"] = traffic_json(s, fig, elapsed);
    j["quirks"] = {{"offers_without_request", s.offers_without_request},
                   {"rrq_races", s.rrq_races},
                   {"dup_traps_sprung", s.dup_traps_sprung},
                   {"padded_ack_boots", s.padded_ack_boots},
                   {"probes", s.probes},
                   {"late_link_dropped", s.late_link_dropped}};
    j["faults_injected"] = {{"lost", {s.lost[0], s.lost[1]}},
                            {"duplicated", {s.duplicated[0], s.duplicated[1]}},
                            {"reordered", {s.reordered[0], s.reordered[1]}},
                            {"corrupted", {s.corrupted[0], s.corrupted[1]}}};
    j["swarm"] = {{"polls", s.polls},
                  {"idle_polls", s.idle_polls},
                  {"idle_pct", fig["idle_pct"]},
                  {"rx_missed", s.rx_missed},
                  {"max_in_flight", s.max_in_flight}};
    RackFigures rack = rack_figures(e);
    j["rack"] = {{"time_to_all_up_s", rack.all_up_s},   {"attempts_max", rack.attempts_max},
                 {"attempts_mean", rack.attempts_mean}, {"data_bytes_sent", s.data_bytes_sent},
                 {"goodput_pct", fig["goodput_pct"]},   {"slowest_file_s", fig["slowest_file_s"]},
                 {"file_timeout_s", o.file_timeout_s},  {"file_margin_s", fig["file_margin_s"]}};
    j["link"] = link_json(o, e);
    j["elapsed_s"] = elapsed;
    json reqs = json::array();
    bool all = true;
    for (const RequirementResult& r : checked) {
        reqs.push_back({{"require", r.req->text}, {"actual", r.actual}, {"ok", r.ok}});
        all = all && r.ok;
    }
    j["requirements"] = reqs;
    j["passed"] = all;
    if (o.json_pis) j["pis"] = pis_json(e);
    return j;
}

std::string board_report(const SwarmEngine& e) {
    std::string out;
    char buf[256];
    for (std::size_t i = 0; i < e.size(); ++i) {
        const proto::PiBoot& b = e.pi(i);
        const proto::FakePi& pi = b.config().pi;
        std::string what(proto::to_string(b.phase()));
        if (b.phase() == proto::PiPhase::Booted) {
            std::snprintf(buf, sizeof buf, "booted in %.2f s",
                          static_cast<double>(b.ended_at() - b.first_power_at()) / 1e9);
            what = buf;
        } else if (b.phase() == proto::PiPhase::Failed) {
            what = "failed on " + (b.failed_file().empty() ? std::string("DHCP") : b.failed_file()) + ": " +
                   std::string(proto::reason_info(b.failure()).name);
        }
        std::snprintf(buf, sizeof buf, "board %s %s %s %s, %d attempt%s, address %s\n", pi.serial.to_string().c_str(),
                      pi.mac.to_string().c_str(), model_name(pi.model), what.c_str(), b.attempts(),
                      b.attempts() == 1 ? "" : "s", b.address().to_string().c_str());
        out += buf;
    }
    return out;
}

std::string run_summary(const SwarmEngine& e, double elapsed, const std::vector<RequirementResult>& checked) {
    const SwarmStats& s = e.stats();
    std::map<std::string, double> f = run_figures(e, elapsed);
    char buf[512];
    std::string out;
    std::snprintf(buf, sizeof buf,
                  "rackboot-swarm: %zu Pis, %llu boots in %.2f s: %llu booted (%.1f%%), %llu failed; %.1f boots/s\n",
                  e.size(), static_cast<unsigned long long>(s.boots_started), elapsed,
                  static_cast<unsigned long long>(s.booted), f["success_pct"],
                  static_cast<unsigned long long>(s.failed), f["boots_per_s"]);
    out += buf;
    for (std::size_t i = 1; i < s.failed_by.size(); ++i) {
        if (s.failed_by[i] == 0) continue;
        std::snprintf(buf, sizeof buf, "  failed %-13s %llu (%s)\n", proto::kPiFailureReasons[i].name.data(),
                      static_cast<unsigned long long>(s.failed_by[i]), proto::kPiFailureReasons[i].description.data());
        out += buf;
    }
    for (const Latency& l : kLatencies) {
        const LogLinearHistogram& h = s.*l.hist;
        if (h.count() == 0) continue;
        std::snprintf(buf, sizeof buf, "  %-4s s  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%llu)\n",
                      l.name, seconds(h.value_at_percentile(50)), seconds(h.value_at_percentile(90)),
                      seconds(h.value_at_percentile(99)), seconds(h.value_at_percentile(99.9)), seconds(h.max()),
                      static_cast<unsigned long long>(h.count()));
        out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "  traffic  %.1f MB/s of files, %llu frames out, %llu in, %llu Pi retransmits, %llu duplicates seen\n"
                  "  swarm    %.1f%% of polls idle (it was not the bound), %llu frames missed by the port\n",
                  f["mb_per_s"], static_cast<unsigned long long>(s.frames_tx),
                  static_cast<unsigned long long>(s.frames_rx), static_cast<unsigned long long>(s.pi_retransmits),
                  static_cast<unsigned long long>(s.duplicates_seen), f["idle_pct"],
                  static_cast<unsigned long long>(s.rx_missed));
    out += buf;
    RackFigures rack = rack_figures(e);
    std::snprintf(buf, sizeof buf,
                  "  rack     all up in %s, attempts max %.0f mean %.2f; goodput %.1f%% of %.1f MB sent; slowest file "
                  "%.2f s (%.2f s inside its timeout)\n",
                  rack.all_up_s < 0 ? "- (not all booted)" : (std::to_string(rack.all_up_s) + " s").c_str(),
                  rack.attempts_max, rack.attempts_mean, f["goodput_pct"], static_cast<double>(s.data_bytes_sent) / 1e6,
                  f["slowest_file_s"], f["file_margin_s"]);
    out += buf;
    if (e.link(0).enabled()) {
        std::snprintf(
            buf, sizeof buf,
            "  link     %.1f Mb/s each way, %llu KiB queue: dropped %llu to the server, %llu to the Pis; most "
            "queued %llu KiB\n",
            static_cast<double>(e.link(0).bits_per_s()) / 1e6,
            static_cast<unsigned long long>(e.link(0).buffer_bytes() / 1024),
            static_cast<unsigned long long>(e.link(0).stats().dropped),
            static_cast<unsigned long long>(e.link(1).stats().dropped),
            static_cast<unsigned long long>(e.link(1).stats().max_queue / 1024));
        out += buf;
    }
    for (const RequirementResult& r : checked) {
        std::snprintf(buf, sizeof buf, "  require %-24s %s (actual %g)\n", r.req->text.c_str(), r.ok ? "ok" : "FAILED",
                      r.actual);
        out += buf;
    }
    return out;
}

std::string progress_line(const SwarmEngine& e, double elapsed, double mb_per_s, double frames_per_s) {
    PhaseCounts p = e.phases();
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%7.1fs  waiting %llu  dhcp %llu  arp %llu  tftp %llu  booted %llu  failed %llu  %.1f MB/s  %.0f "
                  "frames/s",
                  elapsed, static_cast<unsigned long long>(p.off), static_cast<unsigned long long>(p.dhcp),
                  static_cast<unsigned long long>(p.arp), static_cast<unsigned long long>(p.tftp),
                  static_cast<unsigned long long>(p.booted), static_cast<unsigned long long>(p.failed), mb_per_s,
                  frames_per_s);
    return buf;
}

}  // namespace rackboot::swarm
