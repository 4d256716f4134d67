#include "swarm/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rackboot::swarm {

namespace {

bool to_double(const std::string& s, double& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtod(s.c_str(), &end);
    return !s.empty() && end != nullptr && *end == '\0' && errno == 0 && std::isfinite(out);
}

// A count with an optional k, m or g suffix (powers of 1000 for rates, 1024 for sizes).
bool to_scaled(const std::string& s, std::uint64_t unit, std::uint64_t& out) {
    if (s.empty()) return false;
    std::uint64_t scale = 1;
    std::string digits = s;
    switch (s.back()) {
        case 'k':
        case 'K': scale = unit; break;
        case 'm':
        case 'M': scale = unit * unit; break;
        case 'g':
        case 'G': scale = unit * unit * unit; break;
        default: break;
    }
    if (scale != 1) digits.pop_back();
    double v = 0;
    std::size_t used = 0;
    try {
        v = std::stod(digits, &used);
    } catch (...) {
        return false;
    }
    if (used != digits.size() || v <= 0 || v * static_cast<double>(scale) > 1e15) return false;
    out = static_cast<std::uint64_t>(v * static_cast<double>(scale));
    return out > 0;
}

bool to_u64(const std::string& s, std::uint64_t& out) {
    char* end = nullptr;
    errno = 0;
    if (s.empty() || s[0] == '-') return false;
    out = std::strtoull(s.c_str(), &end, 0);
    return end != nullptr && *end == '\0' && errno == 0;
}

bool parse_mix(const std::string& text, unsigned (&mix)[3], std::string& error) {
    unsigned m[3] = {0, 0, 0};
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? text.size() : comma + 1;
        std::size_t eq = item.find('=');
        std::uint64_t w = 0;
        if (eq == std::string::npos || !to_u64(item.substr(eq + 1), w) || w > 1'000'000) {
            error = "--mix: '" + item + "' is not MODEL=WEIGHT";
            return false;
        }
        std::string model = item.substr(0, eq);
        int i = model == "pi3" ? 0 : model == "pi4" ? 1 : model == "pi5" ? 2 : -1;
        if (i < 0) {
            error = "--mix: unknown model '" + model + "' (pi3, pi4, pi5)";
            return false;
        }
        m[i] = static_cast<unsigned>(w);
    }
    if (m[0] + m[1] + m[2] == 0) {
        error = "--mix: every weight is 0";
        return false;
    }
    for (int i = 0; i < 3; ++i) mix[i] = m[i];
    return true;
}

bool rate(const std::string& name, const std::string& value, double& out, std::string& error) {
    if (value.empty()) {
        out = 1;
        return true;
    }
    if (!to_double(value, out) || out < 0 || out > 1) {
        error = "--fault " + name + ": rate '" + value + "' is not in [0, 1]";
        return false;
    }
    return true;
}

bool parse_fault(const std::string& text, SwarmOptions& o, std::string& error) {
    std::size_t eq = text.find('=');
    std::string name = text.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : text.substr(eq + 1);
    if (name == "no-request") return rate(name, value, o.pi_faults.no_request, error);
    if (name == "rrq-race") return rate(name, value, o.pi_faults.rrq_race, error);
    if (name == "dup-trap") return rate(name, value, o.pi_faults.dup_trap, error);
    if (name == "zero-pad-ack") return rate(name, value, o.pi_faults.zero_pad_ack, error);
    if (name == "late-link") {
        if (value.empty()) value = "5";
        if (!to_double(value, o.late_link_s) || o.late_link_s < 0 || o.late_link_s > 600) {
            error = "--fault late-link: '" + value + "' is not a number of seconds (0-600)";
            return false;
        }
        return true;
    }
    FrameFaultRates& f = o.frame_faults;
    struct Knob {
        const char* name;
        double* both;
    } knobs[] = {{"loss", f.loss}, {"dup", f.dup}, {"reorder", f.reorder}, {"corrupt", f.corrupt}};
    for (const Knob& k : knobs) {
        std::string base = k.name;
        double r = 0;
        if (name == base || name == base + "-tx" || name == base + "-rx") {
            if (!rate(name, value, r, error)) return false;
            if (name != base + "-rx") k.both[0] = r;
            if (name != base + "-tx") k.both[1] = r;
            return true;
        }
    }
    error = "--fault: unknown fault '" + name +
            "' (no-request, rrq-race, dup-trap, zero-pad-ack, late-link, loss, dup, reorder, corrupt; "
            "the last four also as NAME-tx or NAME-rx)";
    return false;
}

}  // namespace

bool FrameFaultRates::any() const noexcept {
    for (int i = 0; i < 2; ++i) {
        if (loss[i] > 0 || dup[i] > 0 || reorder[i] > 0 || corrupt[i] > 0) return true;
    }
    return false;
}

const char* swarm_usage() noexcept {
    return "usage: rackboot-swarm --eal \"EAL ARGS\" [--port NAME] [--pis N] [--mix pi3=W,pi4=W,pi5=W]\n"
           "         [--ramp SECONDS] [--churn REBOOTS_PER_S] [--duration SECONDS] [--max-in-flight N]\n"
           "         [--fault NAME[=RATE]]... [--static-pool A-B] [--server IP] [--tree DIR]\n"
           "         [--verify sha256|crc32] [--pi4-blksize 1024|1468] [--attempts N] [--seed N]\n"
           "         [--mac-offset N] [--file-timeout S] [--config-rereads 1-4] [--retry-delay S]\n"
           "         [--link-rate BITS_PER_S] [--link-buffer BYTES]\n"
           "         [--json FILE] [--json-pis] [--require 'EXPR,...'] [--trace FILE] [--progress on|off]\n"
           "         [--mode boot|dhcp] [--dhcp-rate PER_S]\n"
           "Simulates N Raspberry Pis booting from the network over a DPDK port. --mode dhcp ends each\n"
           "boot at its DHCP answer: a DORA, or with --static-pool (addresses held already) the proxy\n"
           "OFFER with the PXE menu. --attempts: boots each Pi tries, --retry-delay apart (its firmware's\n"
           "loop; 0: until --duration; a Pi 5 does not retry after a file timeout). --link-rate puts a\n"
           "switch port of that rate (400m, 1g) between the fleet and the server, each way, with a\n"
           "--link-buffer queue (default 512k) and tail drop. Exit: 0 ok, 2 bad\n"
           "arguments, 1 the run could not start, 99 a --require threshold failed.\n";
}

bool parse_swarm_options(const std::vector<std::string>& args, SwarmOptions& o, std::string& error, bool& help) {
    help = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& k = args[i];
        if (k == "--help" || k == "-h") {
            help = true;
            return false;
        }
        if (k == "--json-pis") {
            o.json_pis = true;
            continue;
        }
        if (i + 1 >= args.size()) {
            error = k + ": needs a value";
            return false;
        }
        const std::string& v = args[++i];
        std::uint64_t n = 0;
        double d = 0;
        auto bad = [&](const char* what) {
            error = k;
            error += ": '";
            error += v;
            error += "' is not ";
            error += what;
            return false;
        };
        if (k == "--eal") {
            o.eal = v;
        } else if (k == "--port") {
            o.port = v;
        } else if (k == "--mode") {
            if (v != "boot" && v != "dhcp") return bad("boot or dhcp");
            o.mode = v == "boot" ? SwarmMode::boot : SwarmMode::dhcp;
        } else if (k == "--pis") {
            if (!to_u64(v, n) || n == 0 || n > 1'000'000) return bad("a count of 1 to 1000000");
            o.pis = static_cast<unsigned>(n);
        } else if (k == "--mix") {
            if (!parse_mix(v, o.mix, error)) return false;
        } else if (k == "--ramp") {
            if (!to_double(v, o.ramp_s) || o.ramp_s < 0 || o.ramp_s > 86400) return bad("seconds (0-86400)");
        } else if (k == "--churn") {
            if (!to_double(v, o.churn_per_s) || o.churn_per_s < 0 || o.churn_per_s > 1e6)
                return bad("reboots per second");
        } else if (k == "--duration") {
            if (!to_double(v, o.duration_s) || o.duration_s <= 0 || o.duration_s > 86400)
                return bad("seconds (0-86400]");
        } else if (k == "--max-in-flight") {
            if (!to_u64(v, n) || n > 1'000'000) return bad("a count");
            o.max_in_flight = static_cast<unsigned>(n);
        } else if (k == "--dhcp-rate") {
            if (!to_double(v, o.dhcp_rate) || o.dhcp_rate < 0) return bad("a rate per second");
        } else if (k == "--fault") {
            if (!parse_fault(v, o, error)) return false;
        } else if (k == "--json") {
            o.json_path = v;
        } else if (k == "--require") {
            o.require = v;
        } else if (k == "--trace") {
            o.trace_path = v;
        } else if (k == "--static-pool") {
            std::size_t dash = v.find('-');
            auto a = proto::Ipv4::parse(v.substr(0, dash));
            auto b = dash == std::string::npos ? std::nullopt : proto::Ipv4::parse(v.substr(dash + 1));
            if (!a || !b || *b < *a) return bad("A-B, two addresses in order");
            o.pool_first = *a;
            o.pool_last = *b;
        } else if (k == "--server") {
            auto a = proto::Ipv4::parse(v);
            if (!a || a->unset()) return bad("an IPv4 address");
            o.server = *a;
        } else if (k == "--tree") {
            o.trees.push_back(v);
        } else if (k == "--verify") {
            if (v != "sha256" && v != "crc32") return bad("sha256 or crc32");
            o.verify = v == "sha256" ? VerifyMode::sha256 : VerifyMode::crc32;
        } else if (k == "--pi4-blksize") {
            if (!to_u64(v, n) || (n != 1024 && n != 1468)) return bad("1024 or 1468");
            o.pi4_blksize = static_cast<std::uint16_t>(n);
        } else if (k == "--attempts") {
            if (!to_u64(v, n) || n > 100000) return bad("0 (until the run's bound) to 100000");
            o.attempts = static_cast<int>(n);
        } else if (k == "--retry-delay") {
            if (!to_double(v, d) || d < 0 || d > 600) return bad("seconds [0-600]");
            o.retry_delay_s = d;
        } else if (k == "--link-rate") {
            if (!to_scaled(v, 1000, n) || n < 1000) return bad("bits per second, at least 1000 (400m, 1g)");
            o.link_bps = n;
        } else if (k == "--link-buffer") {
            if (!to_scaled(v, 1024, n) || n < 2048 || n > (1ull << 30)) return bad("bytes, 2048 to 1g (512k)");
            o.link_buffer = n;
        } else if (k == "--config-rereads") {
            if (!to_u64(v, n) || n < 1 || n > 4) return bad("1 to 4");
            o.config_rereads = static_cast<int>(n);
        } else if (k == "--file-timeout") {
            if (!to_double(v, d) || d <= 0 || d > 3600) return bad("seconds (0-3600]");
            o.file_timeout_s = d;
        } else if (k == "--mac-offset") {
            if (!to_u64(v, n) || n >= (1u << 24)) return bad("below 16777216");
            o.mac_offset = static_cast<std::uint32_t>(n);
        } else if (k == "--seed") {
            if (!to_u64(v, o.seed)) return bad("a number");
        } else if (k == "--progress") {
            if (v != "on" && v != "off") return bad("on or off");
            o.progress = v == "on" ? 1 : 0;
        } else {
            error = "unknown option '" + k + "'";
            return false;
        }
    }
    if (o.eal.empty()) {
        error = "--eal is required (for example \"--no-huge -m 1024 --no-pci --vdev=net_memif0,role=client\")";
        return false;
    }
    if (std::uint64_t{o.pis} + o.mac_offset >= (1u << 24)) {
        error = "--pis plus --mac-offset must stay below 16777216 (three bytes of MAC)";
        return false;
    }
    if (!o.pool_first.unset() && o.server.unset() && o.mode == SwarmMode::boot) {
        error = "--static-pool needs --server: with no DHCP nothing names the TFTP server";
        return false;
    }
    if (!o.pool_first.unset() && std::uint64_t{o.pool_last.value()} - o.pool_first.value() + 1 < o.pis) {
        error = "--static-pool holds fewer addresses than --pis";
        return false;
    }
    return true;
}

}  // namespace rackboot::swarm
