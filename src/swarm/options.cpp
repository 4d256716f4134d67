#include "swarm/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rackboot::swarm {

namespace {

using proto::failure;
using proto::FlagShape;
using proto::Result;
using Row = proto::FlagRow<SwarmOptions>;

bool to_double(std::string_view text, double& out) {
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    out = std::strtod(s.c_str(), &end);
    return !s.empty() && end != nullptr && *end == '\0' && errno == 0 && std::isfinite(out);
}

// A count with an optional k, m or g suffix (powers of 1000 for rates, 1024 for sizes).
bool to_scaled(std::string_view text, std::uint64_t unit, std::uint64_t& out) {
    if (text.empty()) return false;
    std::uint64_t scale = 1;
    switch (text.back()) {
        case 'k':
        case 'K': scale = unit; break;
        case 'm':
        case 'M': scale = unit * unit; break;
        case 'g':
        case 'G': scale = unit * unit * unit; break;
        default: break;
    }
    if (scale != 1) text.remove_suffix(1);
    double v = 0;
    if (!to_double(text, v) || v <= 0 || v * static_cast<double>(scale) > 1e15) return false;
    out = static_cast<std::uint64_t>(v * static_cast<double>(scale));
    return out > 0;
}

bool to_u64(std::string_view text, std::uint64_t& out) {
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    if (s.empty() || s[0] == '-') return false;
    out = std::strtoull(s.c_str(), &end, 0);
    return end != nullptr && *end == '\0' && errno == 0;
}

// A whole count in [min, max] into `out`, or `why`.
template <typename T>
Result<> count(std::string_view text, std::uint64_t min, std::uint64_t max, T& out, const char* why) {
    std::uint64_t n = 0;
    if (!to_u64(text, n) || n < min || n > max) return failure(why);
    out = static_cast<T>(n);
    return {};
}

// Seconds (or another real) in [min, max]; `open_min`: min itself refused.
Result<> real(std::string_view text, double min, double max, bool open_min, double& out, const char* why) {
    double d = 0;
    if (!to_double(text, d) || d < min || d > max || (open_min && d == min)) return failure(why);
    out = d;
    return {};
}

// One of two words, the first giving `first`.
template <typename T>
Result<> either(std::string_view text, std::string_view a, std::string_view b, T first, T second, T& out) {
    if (text != a && text != b) return failure("is not " + std::string(a) + " or " + std::string(b));
    out = text == a ? first : second;
    return {};
}

Result<> text_to(std::string_view text, std::string& out) {
    out = std::string(text);
    return {};
}

Result<> parse_mix(std::string_view text, unsigned (&mix)[3]) {
    unsigned m[3] = {0, 0, 0};
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        std::size_t eq = item.find('=');
        std::uint64_t w = 0;
        if (eq == std::string_view::npos || !to_u64(item.substr(eq + 1), w) || w > 1'000'000) {
            return failure("has '" + proto::printable(item) + "', not MODEL=WEIGHT");
        }
        std::string_view model = item.substr(0, eq);
        int i = model == "pi3" ? 0 : model == "pi4" ? 1 : model == "pi5" ? 2 : -1;
        if (i < 0) return failure("names an unknown model '" + proto::printable(model) + "' (pi3, pi4, pi5)");
        m[i] = static_cast<unsigned>(w);
    }
    if (m[0] + m[1] + m[2] == 0) return failure("leaves every weight 0");
    for (int i = 0; i < 3; ++i) mix[i] = m[i];
    return {};
}

// A fault's rate: a probability, 1 when none is given.
Result<> rate(std::string_view value, double& out) {
    if (value.empty()) {
        out = 1;
        return {};
    }
    return real(value, 0, 1, false, out, "gives a rate not in [0, 1]");
}

Result<> parse_fault(std::string_view text, SwarmOptions& o) {
    std::size_t eq = text.find('=');
    std::string_view name = text.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : text.substr(eq + 1);
    if (name == "no-request") return rate(value, o.pi_faults.no_request);
    if (name == "rrq-race") return rate(value, o.pi_faults.rrq_race);
    if (name == "dup-trap") return rate(value, o.pi_faults.dup_trap);
    if (name == "zero-pad-ack") return rate(value, o.pi_faults.zero_pad_ack);
    if (name == "late-link") {
        return real(value.empty() ? "5" : value, 0, 600, false, o.late_link_s,
                    "gives late-link a time that is not seconds (0-600)");
    }
    FrameFaultRates& f = o.frame_faults;
    struct Knob {
        std::string_view name;
        double* both;
    } knobs[] = {{"loss", f.loss}, {"dup", f.dup}, {"reorder", f.reorder}, {"corrupt", f.corrupt}};
    for (const Knob& k : knobs) {
        if (name.substr(0, k.name.size()) != k.name) continue;
        std::string_view dir = name.substr(k.name.size());
        if (!dir.empty() && dir != "-tx" && dir != "-rx") continue;
        double r = 0;
        if (Result<> ok = rate(value, r); !ok) return ok;
        if (dir != "-rx") k.both[0] = r;
        if (dir != "-tx") k.both[1] = r;
        return {};
    }
    return failure("names an unknown fault '" + proto::printable(name) +
                   "' (no-request, rrq-race, dup-trap, zero-pad-ack, late-link, loss, dup, reorder, corrupt; "
                   "the last four also as NAME-tx or NAME-rx)");
}

Result<> parse_pool(std::string_view text, SwarmOptions& o) {
    std::size_t dash = text.find('-');
    auto a = proto::Ipv4::parse(text.substr(0, dash));
    auto b = dash == std::string_view::npos ? std::nullopt : proto::Ipv4::parse(text.substr(dash + 1));
    if (!a || !b || *b < *a) return failure("is not A-B, two addresses in order");
    o.pool_first = *a;
    o.pool_last = *b;
    return {};
}

// The usage's order; a row with no name is a line of the usage alone.
const Row kRows[] = {
    {"--eal", "\"ARGS\"", FlagShape::Value,
     "the DPDK EAL's arguments, the port among them (required; for example\n"
     "\"--no-huge -m 1024 --no-pci --vdev=net_memif0,role=client\")",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.eal); }},
    {"--port", "NAME", FlagShape::Value, "the DPDK port, when the EAL finds several",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.port); }},
    {"--mode", "boot|dhcp", FlagShape::Value,
     "dhcp ends each boot at its DHCP answer: a DORA, or with --static-pool\n"
     "the proxy OFFER with the PXE menu (default boot)",
     [](SwarmOptions& o, std::string_view v) {
         return either(v, "boot", "dhcp", SwarmMode::boot, SwarmMode::dhcp, o.mode);
     }},
    {"--pis", "N", FlagShape::Value, "Pis in the fleet (default 1)",
     [](SwarmOptions& o, std::string_view v) {
         o.fleet_given = true;
         return count(v, 1, 1'000'000, o.pis, "is not a count of 1 to 1000000");
     }},
    {"--mix", "pi3=W,pi4=W,pi5=W", FlagShape::Value, "the fleet's models by weight (default pi4=100)",
     [](SwarmOptions& o, std::string_view v) {
         o.fleet_given = true;
         return parse_mix(v, o.mix);
     }},
    {"--boards", "FILE", FlagShape::Value,
     "boot the boards FILE lists, with their serials, MACs and models, in\nplace of --pis and --mix: "
     "rackbootctl --json boards ls, or lines\n\"SERIAL MAC [MODEL]\"; each board's result is reported",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.boards_file); }},
    {"--from-api", "URL", FlagShape::Value,
     "boot the boards of rackbootd's API, as --boards (http://ADDR:PORT,\nor its /api/v1/boards?label=K=V for some)",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.from_api); }},
    {"--ramp", "SECONDS", FlagShape::Value, "power-ons spread over this long (default 0: all at once)",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 86400, false, o.ramp_s, "is not seconds (0-86400)");
     }},
    {"--churn", "PER_S", FlagShape::Value, "booted Pis rebooted per second, until --duration",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 1e6, false, o.churn_per_s, "is not reboots per second");
     }},
    {"--duration", "SECONDS", FlagShape::Value, "the run's bound: a Pi still booting then is stopped (default 300)",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 86400, true, o.duration_s, "is not seconds (0-86400]");
     }},
    {"--max-in-flight", "N", FlagShape::Value, "at most N Pis booting at once (default 0: no limit)",
     [](SwarmOptions& o, std::string_view v) { return count(v, 0, 1'000'000, o.max_in_flight, "is not a count"); }},
    {"--dhcp-rate", "PER_S", FlagShape::Value, "power-ons (DORAs in --mode dhcp) a second (default 0: --ramp)",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 1e12, false, o.dhcp_rate, "is not a rate per second");
     }},
    {"--fault", "NAME[=RATE]", FlagShape::Value,
     "no-request, rrq-race, dup-trap, zero-pad-ack (the Pis' quirks), late-link\n"
     "(=SECONDS), loss, dup, reorder, corrupt (frames, each way or NAME-tx,\nNAME-rx); repeatable",
     [](SwarmOptions& o, std::string_view v) { return parse_fault(v, o); }},
    {"--static-pool", "A-B", FlagShape::Value, "the Pis hold these addresses already: no DHCP",
     [](SwarmOptions& o, std::string_view v) { return parse_pool(v, o); }},
    {"--server", "IP", FlagShape::Value, "the TFTP server, with --static-pool",
     [](SwarmOptions& o, std::string_view v) -> Result<> {
         auto a = proto::Ipv4::parse(v);
         if (!a || a->unset()) return failure("is not an IPv4 address");
         o.server = *a;
         return {};
     }},
    {"--tree", "DIR", FlagShape::Value, "a served tree, to check the bytes against; repeatable",
     [](SwarmOptions& o, std::string_view v) -> Result<> {
         o.trees.emplace_back(v);
         return {};
     }},
    {"--verify", "sha256|crc32", FlagShape::Value, "how received files are checked (default sha256)",
     [](SwarmOptions& o, std::string_view v) {
         return either(v, "sha256", "crc32", VerifyMode::sha256, VerifyMode::crc32, o.verify);
     }},
    {"--pi4-blksize", "1024|1468", FlagShape::Value, "the blksize a Pi 4 asks (default 1024)",
     [](SwarmOptions& o, std::string_view v) -> Result<> {
         std::uint64_t n = 0;
         if (!to_u64(v, n) || (n != 1024 && n != 1468)) return failure("is not 1024 or 1468");
         o.pi4_blksize = static_cast<std::uint16_t>(n);
         return {};
     }},
    {"--attempts", "N", FlagShape::Value,
     "boots each Pi tries, --retry-delay apart (its firmware's loop; 0: until\n"
     "--duration; a Pi 5 does not retry after a file timeout; default 1)",
     [](SwarmOptions& o, std::string_view v) {
         return count(v, 0, 100000, o.attempts, "is not 0 (until the run's bound) to 100000");
     }},
    {"--retry-delay", "S", FlagShape::Value, "between a failed boot and the next attempt (default 5)",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 600, false, o.retry_delay_s, "is not seconds [0-600]");
     }},
    {"--seed", "N", FlagShape::Value, "the faults' and the mix's random seed (default 1)",
     [](SwarmOptions& o, std::string_view v) { return count(v, 0, UINT64_MAX, o.seed, "is not a number"); }},
    {"--mac-offset", "N", FlagShape::Value, "MACs from OUI:(N+1) on (default 0)",
     [](SwarmOptions& o, std::string_view v) {
         return count(v, 0, (1u << 24) - 1, o.mac_offset, "is not below 16777216");
     }},
    {"--file-timeout", "S", FlagShape::Value, "the firmware's TFTP file timeout (default 30)",
     [](SwarmOptions& o, std::string_view v) {
         return real(v, 0, 3600, true, o.file_timeout_s, "is not seconds (0-3600]");
     }},
    {"--config-rereads", "1-4", FlagShape::Value, "times a Pi reads config.txt (default 3)",
     [](SwarmOptions& o, std::string_view v) { return count(v, 1, 4, o.config_rereads, "is not 1 to 4"); }},
    {"--link-rate", "BITS_PER_S", FlagShape::Value,
     "a switch port of that rate (400m, 1g) between the fleet and the server,\neach way, with tail drop",
     [](SwarmOptions& o, std::string_view v) -> Result<> {
         std::uint64_t n = 0;
         if (!to_scaled(v, 1000, n) || n < 1000) return failure("is not bits per second, at least 1000 (400m, 1g)");
         o.link_bps = n;
         return {};
     }},
    {"--link-buffer", "BYTES", FlagShape::Value, "the port's queue (default 512k)",
     [](SwarmOptions& o, std::string_view v) -> Result<> {
         std::uint64_t n = 0;
         if (!to_scaled(v, 1024, n) || n < 2048 || n > (1ull << 30)) return failure("is not bytes, 2048 to 1g (512k)");
         o.link_buffer = n;
         return {};
     }},
    {"--json", "FILE", FlagShape::Value, "the report as JSON",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.json_path); }},
    {"--json-pis",
     {},
     FlagShape::Switch,
     "one entry per Pi in the JSON report",
     [](SwarmOptions& o, std::string_view) -> Result<> {
         o.json_pis = true;
         return {};
     }},
    {"--require", "'EXPR,...'", FlagShape::Value, "thresholds the run must meet (failed=0,p99_boot_s<30)",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.require); }},
    {"--trace", "FILE", FlagShape::Value, "every Pi's requests, one line each",
     [](SwarmOptions& o, std::string_view v) { return text_to(v, o.trace_path); }},
    {"--progress", "on|off", FlagShape::Value, "a progress line (default: when stderr is a terminal)",
     [](SwarmOptions& o, std::string_view v) { return either(v, "on", "off", 1, 0, o.progress); }},
    {"--list-fleet",
     {},
     FlagShape::CommandLine,
     "print each Pi of the fleet (--pis, --mix, --seed, --mac-offset) as\n\"SERIAL MAC MODEL\" and exit: the boards "
     "to register before a run",
     [](SwarmOptions& o, std::string_view) -> Result<> {
         o.list_fleet = true;
         return {};
     }},
    {"--help",
     {},
     FlagShape::CommandLine,
     "this text",
     [](SwarmOptions& o, std::string_view) -> Result<> {
         o.help = true;
         return {};
     }},
    {"--version",
     {},
     FlagShape::CommandLine,
     "the version, then exit",
     [](SwarmOptions& o, std::string_view) -> Result<> {
         o.version = true;
         return {};
     }},
};

// The checks across flags, once all are applied.
Result<> validated(const SwarmOptions& o) {
    if (o.eal.empty() && !o.list_fleet) {
        return failure("--eal is required (for example \"--no-huge -m 1024 --no-pci --vdev=net_memif0,role=client\")",
                       2);
    }
    if (!o.boards_file.empty() && !o.from_api.empty()) return failure("--boards and --from-api: give one", 2);
    if (o.from_inventory() && o.fleet_given) {
        return failure("--boards and --from-api take the fleet from the inventory: leave out --pis and --mix", 2);
    }
    if (std::uint64_t{o.pis} + o.mac_offset >= (1u << 24)) {
        return failure("--pis plus --mac-offset must stay below 16777216 (three bytes of MAC)", 2);
    }
    if (!o.pool_first.unset() && o.server.unset() && o.mode == SwarmMode::boot) {
        return failure("--static-pool needs --server: with no DHCP nothing names the TFTP server", 2);
    }
    if (!o.pool_first.unset() && std::uint64_t{o.pool_last.value()} - o.pool_first.value() + 1 < o.pis) {
        return failure("--static-pool holds fewer addresses than --pis", 2);
    }
    return {};
}

}  // namespace

bool FrameFaultRates::any() const noexcept {
    for (int i = 0; i < 2; ++i) {
        if (loss[i] > 0 || dup[i] > 0 || reorder[i] > 0 || corrupt[i] > 0) return true;
    }
    return false;
}

std::span<const proto::FlagRow<SwarmOptions>> swarm_flags() {
    return kRows;
}

std::string swarm_usage() {
    return "usage: rackboot-swarm --eal \"EAL ARGS\" [options]\n\n"
           "Simulates N Raspberry Pis booting from the network over a DPDK port.\n\n" +
           proto::flag_usage(swarm_flags()) +
           "\nExit: 0 ok, 2 bad arguments, 1 the run could not start, 99 a --require threshold failed.\n";
}

Result<SwarmOptions> parse_swarm_options(std::span<const std::string_view> args) {
    SwarmOptions o;
    if (Result<> r = proto::apply_flags(swarm_flags(), args, o); !r) return tl::unexpected(r.error());
    if (o.help || o.version) return o;
    if (Result<> r = validated(o); !r) return tl::unexpected(r.error());
    return o;
}

}  // namespace rackboot::swarm
