#include "rackbootd/flags.h"

#include <array>
#include <charconv>
#include <string>

#include "proto/dhcp_leases.h"
#include "proto/tftp_path.h"

namespace rackboot::control {

namespace {

using proto::failure;
using proto::FlagShape;
using proto::Result;
using Row = proto::FlagRow<DaemonConfig>;

template <typename T>
bool parse_uint(std::string_view text, T min, T max, T& out) {
    unsigned long long v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return false;
    if (v < static_cast<unsigned long long>(min) || v > static_cast<unsigned long long>(max)) return false;
    out = static_cast<T>(v);
    return true;
}

// A number in [min, max] into `out`, or `why`.
template <typename T>
Result<> number(std::string_view text, T min, T max, T& out, const char* why) {
    if (!parse_uint<T>(text, min, max, out)) return failure(why);
    return {};
}

bool parse_ipv4(std::string_view text, proto::Ipv4& out) {
    auto a = proto::Ipv4::parse(text);
    if (a) out = *a;
    return a.has_value();
}

Result<> address(std::string_view text, proto::Ipv4& out) {
    if (!parse_ipv4(text, out)) return failure("is not an IPv4 address");
    return {};
}

Result<> on_off(std::string_view text, bool& out, const char* why) {
    if (text != "on" && text != "off") return failure(why);
    out = text == "on";
    return {};
}

// ADDR/PREFIX with the prefix in [min, max].
bool parse_cidr(std::string_view text, std::uint8_t min, std::uint8_t max, proto::Ipv4& addr, std::uint8_t& prefix) {
    std::size_t slash = text.find('/');
    return slash != std::string_view::npos && parse_ipv4(text.substr(0, slash), addr) &&
           parse_uint<std::uint8_t>(text.substr(slash + 1), min, max, prefix);
}

Result<> parse_board(std::string_view spec, dataplane::BoardTreeSpec& out) {
    std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos || eq + 1 == spec.size()) return failure("expected SERIAL=DIR or MAC=DIR");
    std::string key(spec.substr(0, eq));
    out.dir = std::string(spec.substr(eq + 1));
    if (std::optional<proto::Serial> serial = proto::Serial::parse(key)) {
        out.serial = *serial;
        out.kind = proto::BootPrefix::Kind::Serial;
        return {};
    }
    if (std::optional<proto::Mac> mac = proto::Mac::parse(key)) {
        out.mac = *mac;
        out.kind = proto::BootPrefix::Kind::Mac;
        return {};
    }
    return failure("'" + proto::printable(key) + "' is neither an 8-hex-digit serial nor a MAC (aa-bb-cc-dd-ee-ff)");
}

// A comma-separated list, each item through `item`; false on any bad item or an empty list.
template <typename F>
bool each_item(std::string_view text, F&& item) {
    if (text.empty()) return false;
    for (;;) {
        std::size_t comma = text.find(',');
        if (!item(text.substr(0, comma))) return false;
        if (comma == std::string_view::npos) return true;
        text.remove_prefix(comma + 1);
    }
}

Result<> parse_ouis(std::string_view text, std::vector<proto::Oui>& out) {
    out.clear();
    bool ok = each_item(text, [&](std::string_view item) {
        // The MAC parser on the prefix padded to a whole address.
        std::optional<proto::Mac> mac =
            item.size() == 8 ? proto::Mac::parse(std::string(item) + ":00:00:00") : std::nullopt;
        if (!mac) return false;
        out.push_back({(*mac)[0], (*mac)[1], (*mac)[2]});
        return true;
    });
    if (!ok) return failure("is not a comma-separated list of aa:bb:cc prefixes");
    return {};
}

Result<> parse_cpus(std::string_view text, std::vector<int>& out) {
    out.clear();
    bool ok = each_item(text, [&](std::string_view item) {
        int cpu = 0;
        if (!parse_uint<int>(item, 0, 4095, cpu)) return false;
        out.push_back(cpu);
        return true;
    });
    if (!ok) return failure("is not a comma-separated list of CPU numbers");
    return {};
}

Result<> parse_dns(std::string_view text, std::vector<proto::Ipv4>& out) {
    out.clear();
    bool ok = each_item(text, [&](std::string_view item) {
        proto::Ipv4 a;
        if (!parse_ipv4(item, a)) return false;
        out.push_back(a);
        return true;
    });
    if (!ok) return failure("is not a comma-separated list of IPv4 addresses");
    return {};
}

Result<> parse_reservation(std::string_view text, DaemonConfig& c) {
    std::size_t sep = text.find('=');
    proto::Ipv4 a;
    if (sep == std::string_view::npos || !parse_ipv4(text.substr(sep + 1), a)) return failure("is not KEY=ADDR");
    std::string key(text.substr(0, sep));
    if (std::optional<proto::Serial> serial = proto::Serial::parse(key)) {
        c.serial_reservations.emplace_back(*serial, a);
    } else if (std::optional<proto::Mac> mac = proto::Mac::parse(key)) {
        c.mac_reservations.emplace_back(*mac, a);
    } else {
        return failure("has a KEY that is neither an 8-hex-digit serial nor a MAC");
    }
    return {};
}

Result<> parse_api(std::string_view text, DaemonConfig& c) {
    if (text == "off") {
        c.api_enabled = false;
        return {};
    }
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || !parse_ipv4(text.substr(0, colon), c.api_addr) ||
        !parse_uint<std::uint16_t>(text.substr(colon + 1), 0, 65535, c.api_port)) {
        return failure("is not ADDR:PORT (IPv4) or off");
    }
    c.api_enabled = true;  // the last --api wins, "off" or an address
    return {};
}

// ADDR or ADDR:PORT (a roots server's): the port is left as it is when not given.
Result<> parse_listen(std::string_view text, proto::Ipv4& addr, std::uint16_t& port) {
    std::size_t colon = text.rfind(':');
    if (!parse_ipv4(text.substr(0, colon), addr) ||
        (colon != std::string_view::npos && !parse_uint<std::uint16_t>(text.substr(colon + 1), 1, 65535, port))) {
        return failure("is not ADDR or ADDR:PORT (IPv4, a port 1..65535)");
    }
    return {};
}

Result<> parse_dhcp_mode(std::string_view text, DaemonConfig& c) {
    if (text == "off") {
        c.dhcp_mode = proto::DhcpMode::Off;
    } else if (text == "proxy" || text == "on") {
        c.dhcp_mode = proto::DhcpMode::Proxy;
    } else if (text == "server") {
        c.dhcp_mode = proto::DhcpMode::Server;
    } else {
        return failure("is not off, proxy, on or server");
    }
    return {};
}

Result<> text_to(std::string_view text, std::string& out) {
    out = std::string(text);
    return {};
}

Result<> nothing(DaemonConfig&, std::string_view) {
    return {};
}

// The usage's order; a row with no name is a line of the usage alone.
const Row kRows[] = {
    {"--tftp-root", "DIR", FlagShape::Value,
     "default boot tree (omit to generate and serve a demo Pi 4 tree)",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.tftp_root); }},
    {"--board", "KEY=DIR", FlagShape::Value,
     "a board's own tree; KEY is a serial (8 hex digits) or a MAC\n(dc-a6-32-01-02-03); repeatable",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         dataplane::BoardTreeSpec b;
         if (Result<> r = parse_board(v, b); !r) return r;
         c.boards.push_back(b);
         return {};
     }},
    {"--listen", "ADDR", FlagShape::Value, "IPv4 address to answer on (default 127.0.0.1; 0.0.0.0 for all)",
     [](DaemonConfig& c, std::string_view v) { return address(v, c.listen); }},
    {"--tftp-port", "N", FlagShape::Value, "TFTP port (default 69 as root, else 6969; 0: any free port)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         std::uint16_t p = 0;
         if (!parse_uint<std::uint16_t>(v, 0, 65535, p)) return failure("is not a port number (0..65535)");
         c.tftp_port = p;
         return {};
     }},
    {"--workers", "N", FlagShape::Value, "worker threads (default: all cores but one, at least 1)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 1024, c.workers, "is not a worker count (1..1024)");
     }},
    {"--cpus", "LIST", FlagShape::List, "comma-separated CPUs to pin the workers to (default: chosen by hwloc)",
     [](DaemonConfig& c, std::string_view v) { return parse_cpus(v, c.cpus); }},
    {"--max-transfers", "N", FlagShape::Value,
     "concurrent transfers before new requests get ERROR (default 20000;\nlowered, with a warning, to what the "
     "descriptor limit allows)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (Result<> r = number<std::uint32_t>(v, 1, 1'000'000, c.max_transfers, "must be 1..1000000"); !r) return r;
         c.max_transfers_set = true;
         return {};
     }},
    {"--max-transfers-per-client", "N", FlagShape::Value,
     "concurrent transfers one client address may hold (default 32)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 1'000'000, c.max_transfers_per_client, "must be 1..1000000");
     }},
    {"--cache-mb", "N", FlagShape::Value, "block cache memory, all workers together (default 512)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::size_t>(v, 16, 1 << 20, c.cache_mb, "must be 16..1048576");
     }},
    {"--mtu", "N", FlagShape::Value, "path MTU; caps blksize so no datagram fragments (default 1500 -> 1468)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 576, 65535, c.mtu, "must be 576..65535");
     }},
    {"--max-windowsize", "N", FlagShape::Value, "largest RFC 7440 windowsize granted, 1..256 (default 64)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint16_t>(v, 1, 256, c.max_windowsize, "must be 1..256");
     }},
    {"--timeout-ms", "N", FlagShape::Value, "retransmit timeout when the client asks none (default 1000)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 10, 255'000, c.timeout_ms, "must be 10..255000");
     }},
    {"--max-backoff-ms", "N", FlagShape::Value, "retransmit interval doubles up to this (default 4000)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 10, 255'000, c.max_backoff_ms, "must be 10..255000");
     }},
    {"--min-rto-ms", "N", FlagShape::Value,
     "adaptive retransmit: resend after the measured round trip (SRTT +\n4 RTTVAR), at least N ms and at most "
     "--timeout-ms (default 50; 0: always\n--timeout-ms). A lost DATA then costs milliseconds, not a second",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 0, 255'000, c.min_rto_ms, "must be 0..255000");
     }},
    {"--loss-rto-ms", "N", FlagShape::Value,
     "the floor instead once a transfer's resend was answered as a resend (a\nreal loss), never below twice the "
     "longest round trip the worker saw in\nthe last 10 s (default 5; 0: --min-rto-ms throughout). A clean path\n"
     "keeps --min-rto-ms against late ACKs; a lossy one loses less per loss",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 0, 255'000, c.loss_rto_ms, "must be 0..255000");
     }},
    {"--retries", "N", FlagShape::Value, "retransmits before a transfer times out (default 5)",
     [](DaemonConfig& c, std::string_view v) { return number<std::uint32_t>(v, 0, 100, c.retries, "must be 0..100"); }},
    {"--admission", "on|off", FlagShape::OnOff,
     "admit transfers and Pi boots only as far as the measured path rate\ncarries them in time; the rest wait "
     "where waiting costs them nothing\n(default on)",
     [](DaemonConfig& c, std::string_view v) { return on_off(v, c.admission, "must be on or off"); }},
    {"--admission-target", "S", FlagShape::Value,
     "an admitted file is planned to end S seconds after its RRQ (default 20)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 3600, c.admission_target_s, "must be 1..3600 seconds");
     }},
    {"--file-timeout", "S", FlagShape::Value,
     "how long a client gives a file, from its RRQ: the Pi firmware's\nTFTP_FILE_TIMEOUT (default 30); a held "
     "transfer that can no longer end\nby then is refused with ERROR \"server busy, try again\"",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 2, 3600, c.file_timeout_s, "must be 2..3600 seconds");
     }},
    {"--api", "ADDR:PORT|off", FlagShape::Value,
     "metrics HTTP endpoint (default 127.0.0.1:8069; port 0: any free port)",
     [](DaemonConfig& c, std::string_view v) { return parse_api(v, c); }},
    {"--demo-dir", "DIR", FlagShape::Value, "where the demo tree is generated (default /tmp/rackboot-demo-UID)",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.demo_dir); }},
    {{}, {}, FlagShape::CommandLine, {}, nullptr},
    {"--backend", "socket|dpdk", FlagShape::Value, "kernel UDP sockets (default), or DPDK owning a port",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v != "socket" && v != "dpdk") return failure("is not socket or dpdk");
         c.backend = v == "dpdk" ? BackendKind::dpdk : BackendKind::socket;
         return {};
     }},
    {"--eal", "\"ARGS\"", FlagShape::Value,
     "DPDK EAL arguments, e.g. \"-l 0-1 --no-pci --vdev=net_af_packet0,iface=eth1\"",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.eal); }},
    {"--port", "NAME", FlagShape::Value,
     "the DPDK port to serve, by name (net_af_packet0, 0000:01:00.0); needed\nwhen the EAL finds several "
     "(default: the only one)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v.empty() || v.size() >= 64) return failure("is not a DPDK port name");
         return text_to(v, c.dpdk_port);
     }},
    {"--ip", "ADDR/PREFIX", FlagShape::Value, "the DPDK port's IPv4 address (required with --backend dpdk)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (!parse_cidr(v, 8, 30, c.dpdk_ip, c.dpdk_prefix)) return failure("is not ADDR/PREFIX (prefix 8..30)");
         return {};
     }},
    {"--gateway", "ADDR", FlagShape::Value,
     "the router for replies to addresses outside --ip's subnet (relayed\nPis); resolved with ARP (default: "
     "answer the sender's MAC)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         proto::Ipv4 a;
         if (!parse_ipv4(v, a) || a.unset()) return failure("is not an IPv4 address");
         c.dpdk_gateway = a;
         return {};
     }},
    {{}, {}, FlagShape::CommandLine, {}, nullptr},
    {"--dhcp", "off|proxy|on|server", FlagShape::Value,
     "answer DHCP: proxy (also \"on\") offers boot options to Pis only, next to\nthe site's DHCP server; server "
     "hands out addresses too (default off)",
     [](DaemonConfig& c, std::string_view v) { return parse_dhcp_mode(v, c); }},
    {"--dhcp-interface", "IF", FlagShape::Value, "answer DHCP on this interface only (default: all)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v.empty() || v.size() >= 16) return failure("is not an interface name");
         return text_to(v, c.dhcp_interface);
     }},
    {"--dhcp-port", "N", FlagShape::Value, "DHCP server port (default 67; clients are on N+1)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint16_t>(v, 1, 65534, c.dhcp_port, "is not a port (1..65534)");
     }},
    {"--dhcp-server-ip", "ADDR", FlagShape::Value,
     "our address in replies (option 54; default: the receiving interface's)",
     [](DaemonConfig& c, std::string_view v) { return address(v, c.dhcp_server_ip); }},
    {"--tftp-server", "ADDR", FlagShape::Value, "TFTP server given to Pis (siaddr, option 66) when not this host",
     [](DaemonConfig& c, std::string_view v) { return address(v, c.tftp_server_ip); }},
    {"--pi-ouis", "LIST", FlagShape::List,
     "MAC prefixes that mark a Pi, comma-separated aa:bb:cc (default: the\nRaspberry Pi OUIs "
     "b8:27:eb,dc:a6:32,e4:5f:01,d8:3a:dd,2c:cf:67,28:cd:c1,88:a2:9e)",
     [](DaemonConfig& c, std::string_view v) { return parse_ouis(v, c.pi_ouis); }},
    {{}, {}, FlagShape::CommandLine, "server mode:", nullptr},
    {"--subnet", "CIDR", FlagShape::Value, "the subnet served, /16 to /30 (required)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (!parse_cidr(v, 0, 32, c.subnet, c.prefix)) return failure("is not ADDR/PREFIX");
         return {};
     }},
    {"--pool", "START-END", FlagShape::Value, "addresses handed out dynamically (required)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         std::size_t dash = v.find('-');
         proto::Ipv4 a, b;
         if (dash == std::string_view::npos || !parse_ipv4(v.substr(0, dash), a) || !parse_ipv4(v.substr(dash + 1), b)) {
             return failure("is not START-END");
         }
         c.pool_start = a;
         c.pool_end = b;
         return {};
     }},
    {"--router", "ADDR", FlagShape::Value, "option 3",
     [](DaemonConfig& c, std::string_view v) { return address(v, c.router); }},
    {"--dns", "ADDR[,ADDR]", FlagShape::List, "option 6",
     [](DaemonConfig& c, std::string_view v) { return parse_dns(v, c.dns); }},
    {"--lease-time", "S", FlagShape::Value, "seconds (default 3600)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 60, 31'536'000, c.lease_time, "must be 60..31536000 seconds");
     }},
    {"--offer-hold", "S", FlagShape::Value,
     "how long an OFFER nobody REQUESTs holds its address for a client that\nis not a Pi (default 60; Pis, which "
     "boot on the OFFER, get the lease time)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 5, 31'536'000, c.offer_hold, "must be 5..31536000 seconds");
     }},
    {"--pi-reserve", "PERCENT", FlagShape::Value, "share of the pool kept for Pis once the rest is taken (default 10)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 0, 90, c.pi_reserve_percent, "must be 0..90 percent");
     }},
    {"--reserve", "KEY=ADDR", FlagShape::Value, "a fixed address for a MAC or a Pi serial; repeatable",
     [](DaemonConfig& c, std::string_view v) { return parse_reservation(v, c); }},
    {"--state", "DIR", FlagShape::Value,
     "where leases persist (required; DIR/leases.sqlite), and, in any\nmode, the boards and images of the API "
     "(DIR/inventory.sqlite)",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.state_dir); }},
    {"--images-root", "DIR", FlagShape::Value, "images added over the API must lie beneath DIR",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v.empty() || v.front() != '/') return failure("must be an absolute directory");
         return text_to(v, c.images_root);
     }},
    {"--roots", "DIR", FlagShape::Value,
     "boards' own root disks (POST /api/v1/boards/SERIAL/root) are made\nin DIR and exported over NBD; outside "
     "--images-root (needs --state)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v.empty() || v.front() != '/') return failure("must be an absolute directory");
         return text_to(v, c.roots_dir);
     }},
    {"--nbd-listen", "ADDR[:PORT]", FlagShape::Value, "where nbd-server serves the roots (default 0.0.0.0:10809)",
     [](DaemonConfig& c, std::string_view v) { return parse_listen(v, c.nbd_listen, c.nbd_port); }},
    {"--nfs-listen", "ADDR[:PORT]", FlagShape::Value, "where NFS-Ganesha serves NFS roots (default 0.0.0.0:2049)",
     [](DaemonConfig& c, std::string_view v) { return parse_listen(v, c.nfs_listen, c.nfs_port); }},
    {"--nbd-server", "PROGRAM", FlagShape::Value,
     "nbd-server to start when none runs (default nbd-server, from PATH);\n\"unit\": a unit runs it "
     "(deploy/systemd/rackboot-nbd.service), rackbootd reloads it",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.nbd_server); }},
    {"--nfs-server", "PROGRAM", FlagShape::Value,
     "NFS-Ganesha to start for NFS roots (default ganesha.nfsd, from PATH);\n\"unit\": a unit runs it "
     "(deploy/rackboot-nfs.service), rackbootd reloads it;\n\"kernel\": the kernel's nfsd (nfs-kernel-server), "
     "through --nfs-exports\nand exportfs -ra",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.nfs_server); }},
    {"--nfs-exports", "FILE", FlagShape::Value,
     "with --nfs-server kernel: the exports(5) file rackbootd owns\n(default /etc/exports.d/rackboot.exports)",
     [](DaemonConfig& c, std::string_view v) -> Result<> {
         if (v.empty() || v.front() != '/' || !v.ends_with(".exports")) {
             return failure("must be an absolute path ending in .exports (exportfs reads no other file there)");
         }
         return text_to(v, c.nfs_exports);
     }},
    {"--api-tls-cert", "FILE", FlagShape::Value, "serve the API over HTTPS with this PEM certificate (chain)...",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.api_tls_cert); }},
    {"--api-tls-key", "FILE", FlagShape::Value, "...and this PEM private key",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.api_tls_key); }},
    {"--auto-discover", {}, FlagShape::Switch,
     "a Pi 4/5 whose serial (DHCP option 97) no board has yet becomes a\nboard in state \"discovered\" (needs "
     "--state)",
     [](DaemonConfig& c, std::string_view) -> Result<> {
         c.auto_discover = true;
         return {};
     }},
    {"--discover-max", "N", FlagShape::Value, "at most N boards wait in state \"discovered\" (default 4096)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 1'000'000, c.discover_max, "must be 1..1000000");
     }},
    {"--discover-rate", "N", FlagShape::Value,
     "at most N discoveries a second, with a burst of 10 s (default 100);\nunknown serials past either bound are "
     "counted, not made boards",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 100'000, c.discover_rate, "must be 1..100000 a second");
     }},
    {"--timeline-events", "N", FlagShape::Value, "events kept per board for its timeline (default 100)",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 10000, c.timeline_events, "must be 1..10000");
     }},
    {"--event-history", "N", FlagShape::Value,
     "events the stream keeps for clients to replay after Last-Event-ID\n(default 65536; at most 32 MiB of them); a "
     "client further behind\nis told in-band how many it lost",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 16, 1'000'000, c.event_history, "must be 16..1000000");
     }},
    {"--api-heartbeat", "S", FlagShape::Value,
     "seconds between keep-alive lines on /api/v1/events (default 15); a\nstream that cannot write for 4 of them "
     "(its client stopped reading) is cut",
     [](DaemonConfig& c, std::string_view v) {
         return number<std::uint32_t>(v, 1, 300, c.api_heartbeat_s, "must be 1..300 seconds");
     }},
    {"--api-token-file", "FILE", FlagShape::Value,
     "the bearer token API writes need (default: DIR/api-token under\n--state, made with mode 0600 on first "
     "start); required to bind the\nAPI to an address other than loopback while --state is set",
     [](DaemonConfig& c, std::string_view v) { return text_to(v, c.api_token_file); }},
    {"--lease-fsync", "on|off", FlagShape::OnOff,
     "fsync every lease commit (default on; off loses leases on power loss)",
     [](DaemonConfig& c, std::string_view v) { return on_off(v, c.lease_fsync, "is not on or off"); }},
    {"--config", "FILE", FlagShape::CommandLine,
     "read these settings from a TOML file first (every flag is a key:\nmax-transfers = 4000, board = "
     "[\"8f3a21c0=/srv/x\"]); flags override it",
     nothing},
    {"--check-config", {}, FlagShape::CommandLine,
     "check the flags, boot trees, CPUs and DHCP pool, then exit (0: ok)\nwithout serving, binding ports or "
     "starting DPDK",
     [](DaemonConfig& c, std::string_view) -> Result<> {
         c.check_only = true;
         return {};
     }},
    {"--list-metrics", {}, FlagShape::CommandLine,
     "print every metric family /metrics exposes, with its type and\nmeaning, then exit",
     [](DaemonConfig& c, std::string_view) -> Result<> {
         c.show_metrics = true;
         return {};
     }},
    {"--help", {}, FlagShape::CommandLine, {},
     [](DaemonConfig& c, std::string_view) -> Result<> {
         c.show_help = true;
         return {};
     },
     "--help, --version"},
    {"--version", {}, FlagShape::CommandLine, {},
     [](DaemonConfig& c, std::string_view) -> Result<> {
         c.show_version = true;
         return {};
     },
     "-"},
};

}  // namespace

std::span<const proto::FlagRow<DaemonConfig>> daemon_flags() {
    return kRows;
}

std::string daemon_usage() {
    return "usage: rackbootd [options]\n\nServes Raspberry Pi network boot files over TFTP.\n\n" +
           proto::flag_usage(daemon_flags());
}

}  // namespace rackboot::control
