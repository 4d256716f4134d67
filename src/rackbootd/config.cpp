#include "rackbootd/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "proto/dhcp_leases.h"
#include "proto/tftp_path.h"
#include "rackbootd/config_file.h"

namespace rackboot::control {

namespace {

// A command-line value as an error message quotes it: control bytes and non-ASCII escaped as
// \xNN and long values cut, so that a refusal stays one readable line whatever was passed.
std::string printable(std::string_view text) {
    constexpr std::size_t kMax = 200;
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    if (text.size() > kMax) out += "...";
    return out;
}

template <typename T>
bool parse_uint(std::string_view text, T min, T max, T& out) {
    unsigned long long v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return false;
    if (v < static_cast<unsigned long long>(min) || v > static_cast<unsigned long long>(max)) return false;
    out = static_cast<T>(v);
    return true;
}

bool parse_ipv4(std::string_view text, proto::Ipv4& out) {
    auto a = proto::Ipv4::parse(text);
    if (a) out = *a;
    return a.has_value();
}

bool parse_board(const std::string& spec, dataplane::BoardTreeSpec& out, std::string& why) {
    std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq + 1 == spec.size()) {
        why = "expected SERIAL=DIR or MAC=DIR";
        return false;
    }
    std::string key = spec.substr(0, eq);
    out.dir = spec.substr(eq + 1);
    if (proto::parse_serial(key, out.serial)) {
        out.kind = proto::BootPrefix::Kind::Serial;
        return true;
    }
    if (proto::parse_mac(key, out.mac)) {
        out.kind = proto::BootPrefix::Kind::Mac;
        return true;
    }
    why = "'" + printable(key) + "' is neither an 8-hex-digit serial nor a MAC (aa-bb-cc-dd-ee-ff)";
    return false;
}

bool parse_ouis(std::string_view text, std::vector<proto::Oui>& out) {
    out.clear();
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        std::array<std::uint8_t, 6> mac{};
        // Reuse the MAC parser on the prefix padded to a whole address.
        if (item.size() != 8 || !proto::parse_mac(std::string(item) + std::string(":00:00:00"), mac)) return false;
        out.push_back({mac[0], mac[1], mac[2]});
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return !out.empty();
}

bool parse_cpus(std::string_view text, std::vector<int>& out) {
    out.clear();
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        int cpu = 0;
        if (!parse_uint<int>(item, 0, 4095, cpu)) return false;
        out.push_back(cpu);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return !out.empty();
}

}  // namespace

std::string daemon_usage() {
    return R"(usage: rackbootd [options]

Serves Raspberry Pi network boot files over TFTP.

  --tftp-root DIR        default boot tree (omit to generate and serve a demo Pi 4 tree)
  --board KEY=DIR        a board's own tree; KEY is a serial (8 hex digits) or a MAC
                         (dc-a6-32-01-02-03); repeatable
  --listen ADDR          IPv4 address to answer on (default 127.0.0.1; 0.0.0.0 for all)
  --tftp-port N          TFTP port (default 69 as root, else 6969; 0: any free port)
  --workers N            worker threads (default: all cores but one, at least 1)
  --cpus LIST            comma-separated CPUs to pin the workers to (default: chosen by hwloc)
  --max-transfers N      concurrent transfers before new requests get ERROR (default 20000;
                         lowered, with a warning, to what the descriptor limit allows)
  --max-transfers-per-client N
                         concurrent transfers one client address may hold (default 32)
  --cache-mb N           block cache memory, all workers together (default 512)
  --mtu N                path MTU; caps blksize so no datagram fragments (default 1500 -> 1468)
  --max-windowsize N     largest RFC 7440 windowsize granted, 1..256 (default 64)
  --timeout-ms N         retransmit timeout when the client asks none (default 1000)
  --max-backoff-ms N     retransmit interval doubles up to this (default 4000)
  --min-rto-ms N         adaptive retransmit: resend after the measured round trip (SRTT +
                         4 RTTVAR), at least N ms and at most --timeout-ms (default 50; 0: always
                         --timeout-ms). A lost DATA then costs milliseconds, not a second
  --loss-rto-ms N        the floor instead once a transfer's resend was answered as a resend (a
                         real loss), never below twice the longest round trip the worker saw in
                         the last 10 s (default 5; 0: --min-rto-ms throughout). A clean path
                         keeps --min-rto-ms against late ACKs; a lossy one loses less per loss
  --retries N            retransmits before a transfer times out (default 5)
  --admission on|off     admit transfers and Pi boots only as far as the measured path rate
                         carries them in time; the rest wait where waiting costs them nothing
                         (default on)
  --admission-target S   an admitted file is planned to end S seconds after its RRQ (default 20)
  --file-timeout S       how long a client gives a file, from its RRQ: the Pi firmware's
                         TFTP_FILE_TIMEOUT (default 30); a held transfer that can no longer end
                         by then is refused with ERROR "server busy, try again"
  --api ADDR:PORT|off    metrics HTTP endpoint (default 127.0.0.1:8069; port 0: any free port)
  --demo-dir DIR         where the demo tree is generated (default /tmp/rackboot-demo-UID)

  --backend socket|dpdk  kernel UDP sockets (default), or DPDK owning a port
  --eal "ARGS"           DPDK EAL arguments, e.g. "-l 0-1 --no-pci --vdev=net_af_packet0,iface=eth1"
  --port NAME            the DPDK port to serve, by name (net_af_packet0, 0000:01:00.0); needed
                         when the EAL finds several (default: the only one)
  --ip ADDR/PREFIX       the DPDK port's IPv4 address (required with --backend dpdk)
  --gateway ADDR         the router for replies to addresses outside --ip's subnet (relayed
                         Pis); resolved with ARP (default: answer the sender's MAC)

  --dhcp off|proxy|on|server
                         answer DHCP: proxy (also "on") offers boot options to Pis only, next to
                         the site's DHCP server; server hands out addresses too (default off)
  --dhcp-interface IF    answer DHCP on this interface only (default: all)
  --dhcp-port N          DHCP server port (default 67; clients are on N+1)
  --dhcp-server-ip ADDR  our address in replies (option 54; default: the receiving interface's)
  --tftp-server ADDR     TFTP server given to Pis (siaddr, option 66) when not this host
  --pi-ouis LIST         MAC prefixes that mark a Pi, comma-separated aa:bb:cc (default: the
                         Raspberry Pi OUIs b8:27:eb,dc:a6:32,e4:5f:01,d8:3a:dd,2c:cf:67,28:cd:c1,88:a2:9e)
  server mode:
  --subnet CIDR          the subnet served, /16 to /30 (required)
  --pool START-END       addresses handed out dynamically (required)
  --router ADDR          option 3
  --dns ADDR[,ADDR]      option 6
  --lease-time S         seconds (default 3600)
  --offer-hold S         how long an OFFER nobody REQUESTs holds its address for a client that
                         is not a Pi (default 60; Pis, which boot on the OFFER, get the lease time)
  --pi-reserve PERCENT   share of the pool kept for Pis once the rest is taken (default 10)
  --reserve KEY=ADDR     a fixed address for a MAC or a Pi serial; repeatable
  --state DIR            where leases persist (required; DIR/leases.sqlite), and, in any
                         mode, the boards and images of the API (DIR/inventory.sqlite)
  --images-root DIR      images added over the API must lie beneath DIR
  --api-tls-cert FILE    serve the API over HTTPS with this PEM certificate (chain)...
  --api-tls-key FILE     ...and this PEM private key
  --auto-discover        a Pi 4/5 whose serial (DHCP option 97) no board has yet becomes a
                         board in state "discovered" (needs --state)
  --discover-max N       at most N boards wait in state "discovered" (default 4096)
  --discover-rate N      at most N discoveries a second, with a burst of 10 s (default 100);
                         unknown serials past either bound are counted, not made boards
  --timeline-events N    events kept per board for its timeline (default 100)
  --api-heartbeat S      seconds between keep-alive lines on /api/v1/events (default 15); a
                         stream that cannot write for 4 of them (its client stopped reading) is cut
  --api-token-file FILE  the bearer token API writes need (default: DIR/api-token under
                         --state, made with mode 0600 on first start); required to bind the
                         API to an address other than loopback while --state is set
  --lease-fsync on|off   fsync every lease commit (default on; off loses leases on power loss)
  --config FILE          read these settings from a TOML file first (every flag is a key:
                         max-transfers = 4000, board = ["8f3a21c0=/srv/x"]); flags override it
  --check-config         check the flags, boot trees, CPUs and DHCP pool, then exit (0: ok)
                         without serving, binding ports or starting DPDK
  --help, --version
)";
}

namespace {

// Applies flags (argv[0] is skipped) over `cfg`, in place (a file of 8,000 boards applies each
// to the same configuration: never a copy per entry); false on a refusal, `cfg` then half done.
// The checks across flags come after all of them (validated()). --config and its value are the
// caller's and are skipped here.
bool apply_flags(DaemonConfig& cfg, int argc, const char* const* argv, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        std::string value;
        std::size_t eq = flag.find('=');
        bool inline_value = flag.rfind("--", 0) == 0 && eq != std::string::npos;
        if (inline_value) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        if (flag == "--help" || flag == "-h") {
            cfg.show_help = true;
            continue;
        }
        if (flag == "--version") {
            cfg.show_version = true;
            continue;
        }
        if (flag == "--check-config") {
            cfg.check_only = true;
            continue;
        }
        if (flag == "--auto-discover") {
            cfg.auto_discover = true;
            continue;
        }
        if (flag == "--config") {
            if (!inline_value) ++i;
            continue;
        }
        static constexpr std::string_view kValued[] = {"--tftp-root",
                                                       "--demo-dir",
                                                       "--board",
                                                       "--listen",
                                                       "--tftp-port",
                                                       "--workers",
                                                       "--cpus",
                                                       "--max-transfers",
                                                       "--max-transfers-per-client",
                                                       "--cache-mb",
                                                       "--mtu",
                                                       "--max-windowsize",
                                                       "--timeout-ms",
                                                       "--max-backoff-ms",
                                                       "--min-rto-ms",
                                                       "--loss-rto-ms",
                                                       "--retries",
                                                       "--admission",
                                                       "--admission-target",
                                                       "--file-timeout",
                                                       "--api",
                                                       "--dhcp",
                                                       "--dhcp-interface",
                                                       "--dhcp-port",
                                                       "--dhcp-server-ip",
                                                       "--tftp-server",
                                                       "--pi-ouis",
                                                       "--subnet",
                                                       "--pool",
                                                       "--router",
                                                       "--dns",
                                                       "--lease-time",
                                                       "--offer-hold",
                                                       "--pi-reserve",
                                                       "--reserve",
                                                       "--state",
                                                       "--images-root",
                                                       "--timeline-events",
                                                       "--api-heartbeat",
                                                       "--discover-max",
                                                       "--discover-rate",
                                                       "--api-token-file",
                                                       "--api-tls-cert",
                                                       "--api-tls-key",
                                                       "--lease-fsync",
                                                       "--backend",
                                                       "--eal",
                                                       "--port",
                                                       "--ip",
                                                       "--gateway"};
        if (std::find(std::begin(kValued), std::end(kValued), flag) == std::end(kValued)) {
            error = flag.rfind('-', 0) == 0 ? "unknown option '" + printable(flag) + "' (see --help)"
                                            : "unexpected argument '" + printable(flag) + "'";
            return false;
        }
        if (!inline_value) {
            if (i + 1 >= argc) {
                error = flag + ": missing value";
                return false;
            }
            value = argv[++i];
        }
        auto bad = [&](const std::string& why) {
            error = flag;
            error += ": '";
            error += printable(value);
            error += "' ";
            error += why;
            return false;
        };
        if (flag == "--tftp-root") {
            cfg.tftp_root = value;
        } else if (flag == "--demo-dir") {
            cfg.demo_dir = value;
        } else if (flag == "--board") {
            dataplane::BoardTreeSpec b;
            std::string why;
            if (!parse_board(value, b, why)) return bad(why);
            cfg.boards.push_back(b);
        } else if (flag == "--listen") {
            if (!parse_ipv4(value, cfg.listen)) return bad("is not an IPv4 address");
        } else if (flag == "--tftp-port") {
            std::uint16_t p = 0;
            if (!parse_uint<std::uint16_t>(value, 0, 65535, p)) return bad("is not a port number (0..65535)");
            cfg.tftp_port = p;
        } else if (flag == "--workers") {
            if (!parse_uint<std::uint32_t>(value, 1, 1024, cfg.workers)) return bad("is not a worker count (1..1024)");
        } else if (flag == "--cpus") {
            if (!parse_cpus(value, cfg.cpus)) return bad("is not a comma-separated list of CPU numbers");
        } else if (flag == "--max-transfers-per-client") {
            if (!parse_uint<std::uint32_t>(value, 1, 1'000'000, cfg.max_transfers_per_client))
                return bad("must be 1..1000000");
        } else if (flag == "--max-transfers") {
            if (!parse_uint<std::uint32_t>(value, 1, 1'000'000, cfg.max_transfers)) return bad("must be 1..1000000");
            cfg.max_transfers_set = true;
        } else if (flag == "--cache-mb") {
            if (!parse_uint<std::size_t>(value, 16, 1 << 20, cfg.cache_mb)) return bad("must be 16..1048576");
        } else if (flag == "--mtu") {
            if (!parse_uint<std::uint32_t>(value, 576, 65535, cfg.mtu)) return bad("must be 576..65535");
        } else if (flag == "--max-windowsize") {
            if (!parse_uint<std::uint16_t>(value, 1, 256, cfg.max_windowsize)) return bad("must be 1..256");
        } else if (flag == "--timeout-ms") {
            if (!parse_uint<std::uint32_t>(value, 10, 255'000, cfg.timeout_ms)) return bad("must be 10..255000");
        } else if (flag == "--max-backoff-ms") {
            if (!parse_uint<std::uint32_t>(value, 10, 255'000, cfg.max_backoff_ms)) return bad("must be 10..255000");
        } else if (flag == "--min-rto-ms") {
            if (!parse_uint<std::uint32_t>(value, 0, 255'000, cfg.min_rto_ms)) return bad("must be 0..255000");
        } else if (flag == "--loss-rto-ms") {
            if (!parse_uint<std::uint32_t>(value, 0, 255'000, cfg.loss_rto_ms)) return bad("must be 0..255000");
        } else if (flag == "--retries") {
            if (!parse_uint<std::uint32_t>(value, 0, 100, cfg.retries)) return bad("must be 0..100");
        } else if (flag == "--admission") {
            if (value != "on" && value != "off") return bad("must be on or off");
            cfg.admission = value == "on";
        } else if (flag == "--admission-target") {
            if (!parse_uint<std::uint32_t>(value, 1, 3600, cfg.admission_target_s))
                return bad("must be 1..3600 seconds");
        } else if (flag == "--file-timeout") {
            if (!parse_uint<std::uint32_t>(value, 2, 3600, cfg.file_timeout_s)) return bad("must be 2..3600 seconds");
        } else if (flag == "--dhcp") {
            if (value == "off") {
                cfg.dhcp_mode = proto::DhcpMode::Off;
            } else if (value == "proxy" || value == "on") {
                cfg.dhcp_mode = proto::DhcpMode::Proxy;
            } else if (value == "server") {
                cfg.dhcp_mode = proto::DhcpMode::Server;
            } else {
                return bad("is not off, proxy, on or server");
            }
        } else if (flag == "--subnet") {
            std::size_t slash = value.find('/');
            proto::Ipv4 a;
            if (slash == std::string::npos || !parse_ipv4(value.substr(0, slash), a) ||
                !parse_uint<std::uint8_t>(std::string_view(value).substr(slash + 1), 0, 32, cfg.prefix)) {
                return bad("is not ADDR/PREFIX");
            }
            cfg.subnet = a;
        } else if (flag == "--pool") {
            std::size_t dash = value.find('-');
            proto::Ipv4 a, b;
            if (dash == std::string::npos || !parse_ipv4(value.substr(0, dash), a) ||
                !parse_ipv4(value.substr(dash + 1), b)) {
                return bad("is not START-END");
            }
            cfg.pool_start = a;
            cfg.pool_end = b;
        } else if (flag == "--router") {
            proto::Ipv4 a;
            if (!parse_ipv4(value, a)) return bad("is not an IPv4 address");
            cfg.router = a;
        } else if (flag == "--dns") {
            cfg.dns.clear();
            std::size_t start = 0;
            while (start <= value.size()) {
                std::size_t comma = value.find(',', start);
                proto::Ipv4 a;
                if (!parse_ipv4(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start),
                                a)) {
                    return bad("is not a comma-separated list of IPv4 addresses");
                }
                cfg.dns.push_back(a);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else if (flag == "--lease-time") {
            if (!parse_uint<std::uint32_t>(value, 60, 31'536'000, cfg.lease_time))
                return bad("must be 60..31536000 seconds");
        } else if (flag == "--offer-hold") {
            if (!parse_uint<std::uint32_t>(value, 5, 31'536'000, cfg.offer_hold))
                return bad("must be 5..31536000 seconds");
        } else if (flag == "--pi-reserve") {
            if (!parse_uint<std::uint32_t>(value, 0, 90, cfg.pi_reserve_percent)) return bad("must be 0..90 percent");
        } else if (flag == "--reserve") {
            std::size_t sep = value.find('=');
            proto::Ipv4 a;
            if (sep == std::string::npos || !parse_ipv4(value.substr(sep + 1), a)) return bad("is not KEY=ADDR");
            std::string key = value.substr(0, sep);
            std::uint32_t serial = 0;
            std::array<std::uint8_t, 6> mac{};
            if (proto::parse_serial(key, serial)) {
                cfg.serial_reservations.emplace_back(serial, a);
            } else if (proto::parse_mac(key, mac)) {
                cfg.mac_reservations.emplace_back(proto::mac_key(mac.data()), a);
            } else {
                return bad("has a KEY that is neither an 8-hex-digit serial nor a MAC");
            }
        } else if (flag == "--backend") {
            if (value != "socket" && value != "dpdk") return bad("is not socket or dpdk");
            cfg.dpdk = value == "dpdk";
        } else if (flag == "--eal") {
            cfg.eal = value;
        } else if (flag == "--port") {
            if (value.empty() || value.size() >= 64) return bad("is not a DPDK port name");
            cfg.dpdk_port = value;
        } else if (flag == "--ip") {
            std::size_t slash = value.find('/');
            proto::Ipv4 a;
            if (slash == std::string::npos || !parse_ipv4(value.substr(0, slash), a) ||
                !parse_uint<std::uint8_t>(std::string_view(value).substr(slash + 1), 8, 30, cfg.dpdk_prefix)) {
                return bad("is not ADDR/PREFIX (prefix 8..30)");
            }
            cfg.dpdk_ip = a;
        } else if (flag == "--gateway") {
            proto::Ipv4 a;
            if (!parse_ipv4(value, a) || a.unset()) return bad("is not an IPv4 address");
            cfg.dpdk_gateway = a;
        } else if (flag == "--state") {
            cfg.state_dir = value;
        } else if (flag == "--api-token-file") {
            cfg.api_token_file = value;
        } else if (flag == "--api-tls-cert") {
            cfg.api_tls_cert = value;
        } else if (flag == "--api-tls-key") {
            cfg.api_tls_key = value;
        } else if (flag == "--timeline-events") {
            if (!parse_uint<std::uint32_t>(value, 1, 10000, cfg.timeline_events)) return bad("must be 1..10000");
        } else if (flag == "--api-heartbeat") {
            if (!parse_uint<std::uint32_t>(value, 1, 300, cfg.api_heartbeat_s)) return bad("must be 1..300 seconds");
        } else if (flag == "--discover-max") {
            if (!parse_uint<std::uint32_t>(value, 1, 1'000'000, cfg.discover_max)) return bad("must be 1..1000000");
        } else if (flag == "--discover-rate") {
            if (!parse_uint<std::uint32_t>(value, 1, 100'000, cfg.discover_rate))
                return bad("must be 1..100000 a second");
        } else if (flag == "--images-root") {
            if (value.empty() || value.front() != '/') return bad("must be an absolute directory");
            cfg.images_root = value;
        } else if (flag == "--lease-fsync") {
            if (value != "on" && value != "off") return bad("is not on or off");
            cfg.lease_fsync = value == "on";
        } else if (flag == "--dhcp-interface") {
            if (value.empty() || value.size() >= 16) return bad("is not an interface name");
            cfg.dhcp_interface = value;
        } else if (flag == "--dhcp-port") {
            if (!parse_uint<std::uint16_t>(value, 1, 65534, cfg.dhcp_port)) return bad("is not a port (1..65534)");
        } else if (flag == "--dhcp-server-ip" || flag == "--tftp-server") {
            proto::Ipv4 a;
            if (!parse_ipv4(value, a)) return bad("is not an IPv4 address");
            (flag == "--tftp-server" ? cfg.tftp_server_ip : cfg.dhcp_server_ip) = a;
        } else if (flag == "--pi-ouis") {
            if (!parse_ouis(value, cfg.pi_ouis)) return bad("is not a comma-separated list of aa:bb:cc prefixes");
        } else if (flag == "--api") {
            if (value == "off") {
                cfg.api_enabled = false;
                continue;
            }
            std::size_t colon = value.rfind(':');
            if (colon == std::string::npos || !parse_ipv4(value.substr(0, colon), cfg.api_addr) ||
                !parse_uint<std::uint16_t>(std::string_view(value).substr(colon + 1), 0, 65535, cfg.api_port)) {
                return bad("is not ADDR:PORT (IPv4) or off");
            }
            cfg.api_enabled = true;  // the last --api wins, "off" or an address
        }
    }
    return true;
}

// The checks across flags, once every flag (the file's, then the command line's) is applied.
std::optional<DaemonConfig> validated(DaemonConfig cfg, std::string& error) {
    if (cfg.admission_target_s >= cfg.file_timeout_s) {
        error = "--admission-target must be shorter than --file-timeout (the margin is what absorbs losses)";
        return std::nullopt;
    }
    if (cfg.dpdk) {
        if (cfg.dpdk_ip.unset()) {
            error = "--backend dpdk needs --ip ADDR/PREFIX (the port's own address)";
            return std::nullopt;
        }
        if (cfg.eal.empty()) {
            error = "--backend dpdk needs --eal with at least the port (--vdev=... or a PCI address)";
            return std::nullopt;
        }
        std::uint32_t mask = ~0u << (32 - cfg.dpdk_prefix);
        if (!cfg.dpdk_gateway.unset() &&
            ((cfg.dpdk_gateway.value() & mask) != (cfg.dpdk_ip.value() & mask) || cfg.dpdk_gateway == cfg.dpdk_ip)) {
            error = "--gateway must be another address inside --ip's subnet";
            return std::nullopt;
        }
    } else if (!cfg.dpdk_gateway.unset()) {
        error = "--gateway applies to --backend dpdk (the kernel routes for the socket backend)";
        return std::nullopt;
    } else if (!cfg.dpdk_port.empty()) {
        error = "--port applies to --backend dpdk (the socket backend answers on --listen)";
        return std::nullopt;
    }
    // Pis told to fetch from this host must be able to reach its TFTP service.
    if (!cfg.dpdk && cfg.dhcp_mode != proto::DhcpMode::Off && cfg.tftp_server_ip.unset() &&
        (cfg.listen.value() >> 24) == 127) {
        error =
            "--dhcp sends Pis to this host for TFTP, but --listen is a loopback address: use --listen 0.0.0.0 "
            "(or the boot network's address), or --tftp-server for another TFTP host";
        return std::nullopt;
    }
    // Writes to the inventory over a network need a token the operator chose, not one made here.
    if (cfg.api_enabled && !cfg.state_dir.empty() && (cfg.api_addr.value() >> 24) != 127 &&
        cfg.api_token_file.empty()) {
        error = "--api " + cfg.api_addr.to_string() +
                " is not loopback: with --state the API takes writes, so give --api-token-file too";
        return std::nullopt;
    }
    if (cfg.api_tls_cert.empty() != cfg.api_tls_key.empty()) {
        error = "--api-tls-cert and --api-tls-key go together (HTTPS needs both)";
        return std::nullopt;
    }
    if (cfg.dhcp_mode == proto::DhcpMode::Server) {
        for (auto [flag, missing] : {std::pair{"--subnet", cfg.prefix == 0}, std::pair{"--pool", cfg.pool_end.unset()},
                                     std::pair{"--state", cfg.state_dir.empty()}}) {
            if (missing) {
                error = std::string("--dhcp server needs ") + flag;
                return std::nullopt;
            }
        }
    }
    return cfg;
}

}  // namespace

std::optional<DaemonConfig> parse_daemon_args(int argc, const char* const* argv, std::string& error) {
    DaemonConfig cfg;
    cfg.api_addr = cfg.listen;
    // --config FILE: its keys first, then the command line over them.
    std::string config_path;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--config" && i + 1 < argc) config_path = argv[i + 1];
        if (a.rfind("--config=", 0) == 0) config_path = std::string(a.substr(9));
        if (a == "--config" && i + 1 >= argc) {
            error = "--config: missing value";
            return std::nullopt;
        }
    }
    if (!config_path.empty()) {
        std::vector<ConfigFlag> flags;
        if (!read_config_file(config_path, flags, error)) return std::nullopt;
        for (const ConfigFlag& f : flags) {
            const char* one[] = {"rackbootd", f.flag.c_str()};
            if (!apply_flags(cfg, 2, one, error)) {
                std::string where = config_path;
                where += ':';
                where += std::to_string(f.line);
                where += ": ";
                error.insert(0, where);
                return std::nullopt;
            }
        }
    }
    if (!apply_flags(cfg, argc, argv, error)) return std::nullopt;
    return validated(std::move(cfg), error);
}

}  // namespace rackboot::control
