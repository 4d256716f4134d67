// rackbootd's command line: parsed and validated in one place, so that a bad value stops the
// daemon before anything starts and the message names the flag and the value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/boot_map.h"
#include "proto/dhcp_pi.h"
#include "proto/dhcp_responder.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/result.h"
#include "proto/serial.h"

namespace rackboot::control {

// Which backend serves: the kernel's UDP sockets, or DPDK owning a port.
enum class BackendKind : std::uint8_t { socket, dpdk };
[[nodiscard]] constexpr const char* to_string(BackendKind b) noexcept {
    return b == BackendKind::dpdk ? "dpdk" : "socket";
}

struct DaemonConfig {
    std::string tftp_root;  // empty: generate and serve the demo tree
    std::string demo_dir;   // where the demo tree goes
    std::vector<dataplane::BoardTreeSpec> boards;
    proto::Ipv4 listen{0x7f000001};          // default 127.0.0.1
    std::optional<std::uint16_t> tftp_port;  // default: 69 as root, else 6969
    std::uint32_t workers = 0;               // 0: all cores but one
    std::vector<int> cpus;
    std::uint32_t max_transfers = 20000;
    bool max_transfers_set = false;  // given on the command line (not the default)
    std::uint32_t max_transfers_per_client = 32;
    std::size_t cache_mb = 512;
    std::uint32_t mtu = 1500;
    std::uint16_t max_windowsize = 64;
    std::uint32_t timeout_ms = 1000;
    std::uint32_t max_backoff_ms = 4000;
    std::uint32_t min_rto_ms = 50;  // adaptive retransmit timeout's floor; 0: fixed timeout_ms
    std::uint32_t loss_rto_ms = 5;  // the floor once a transfer has seen a real loss; 0: min_rto_ms
    std::uint32_t retries = 5;
    // Admission to the path's capacity (issue 19): a transfer's first DATA and a Pi's boot wait
    // for room; an admitted file is planned to end admission_target_s after its RRQ, inside the
    // Pi's file_timeout_s.
    bool admission = true;
    std::uint32_t admission_target_s = 20;
    std::uint32_t file_timeout_s = 30;
    bool api_enabled = true;
    proto::Ipv4 api_addr{0x7f000001};  // default 127.0.0.1
    std::uint16_t api_port = 8069;
    std::uint32_t api_heartbeat_s = 15;  // the event stream's keep-alive line, every this many seconds
    // DHCP
    proto::DhcpMode dhcp_mode = proto::DhcpMode::Off;
    std::string dhcp_interface;
    std::uint16_t dhcp_port = 67;
    proto::Ipv4 dhcp_server_ip;  // unset: the address a request arrives on
    proto::Ipv4 tftp_server_ip;  // unset: the DHCP server's address
    std::vector<proto::Oui> pi_ouis = proto::default_pi_ouis();
    // Full server mode
    proto::Ipv4 subnet;
    std::uint8_t prefix = 0;
    proto::Ipv4 pool_start;
    proto::Ipv4 pool_end;
    proto::Ipv4 router;
    std::vector<proto::Ipv4> dns;
    std::uint32_t lease_time = 3600;
    std::uint32_t offer_hold = 60;
    std::uint32_t pi_reserve_percent = 10;
    std::vector<std::pair<proto::Mac, proto::Ipv4>> mac_reservations;
    std::vector<std::pair<proto::Serial, proto::Ipv4>> serial_reservations;
    std::string state_dir;    // leases and the inventory (boards, images)
    std::string images_root;  // images added over the API must lie beneath it
    // Boards' own roots (issue 21): disks made in roots_dir, exported by nbd-server on
    // nbd_listen:nbd_port; nbd_server is the program rackbootd starts when none runs ("unit": a
    // systemd unit runs it, rackbootd only reloads it).
    std::string roots_dir;
    proto::Ipv4 nbd_listen;  // unset: every address
    std::uint16_t nbd_port = 10809;
    std::string nbd_server = "nbd-server";
    // NFS roots: NFS-Ganesha on nfs_listen:nfs_port, started when a board has an NFS root; or
    // ("kernel") the kernel's nfsd, through nfs_exports and exportfs.
    proto::Ipv4 nfs_listen;  // unset: every address
    std::uint16_t nfs_port = 2049;
    std::string nfs_server = "ganesha.nfsd";
    std::string nfs_exports = "/etc/exports.d/rackboot.exports";
    std::string api_token_file;  // empty: DIR/api-token under --state
    std::string api_tls_cert;    // both set: the API is HTTPS
    std::string api_tls_key;
    bool auto_discover = false;         // a Pi with an unknown serial becomes a "discovered" board
    std::uint32_t discover_max = 4096;  // ...while fewer than this many wait in that state
    std::uint32_t discover_rate = 100;  // ...and at most this many a second (a burst of 10 s)
    std::uint32_t timeline_events = 100;
    std::uint32_t event_history = 65536;  // the event stream's replay history (EventBus::kDefaultHistory)
    bool lease_fsync = true;
    // Backend
    BackendKind backend = BackendKind::socket;
    [[nodiscard]] bool dpdk() const noexcept { return backend == BackendKind::dpdk; }
    std::string eal;
    proto::Ipv4 dpdk_ip;
    std::uint8_t dpdk_prefix = 0;
    proto::Ipv4 dpdk_gateway;  // unset: none
    std::string dpdk_port;     // --port: which of the EAL's ports; empty: the only one
    bool show_help = false;
    bool show_version = false;
    bool show_metrics = false;  // --list-metrics
    bool check_only = false;    // --check-config: validate what can be without serving, then exit
};

// Parses argv (and the --config file it names), or refuses with a sentence naming the flag
// (exit code 2).
[[nodiscard]] proto::Result<DaemonConfig> parse_daemon_args(int argc, const char* const* argv);

[[nodiscard]] std::string daemon_usage();

}  // namespace rackboot::control
