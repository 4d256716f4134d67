// rackboot-swarm's command line (issue 11), parsed into what a run needs; pure, so the tests
// check every flag and every refusal without a port.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/flag_table.h"
#include "proto/ipv4.h"
#include "proto/pi_boot.h"
#include "proto/pi_dhcp_client.h"
#include "proto/result.h"

namespace rackboot::swarm {

// Frame faults by direction: [0] the Pis' frames to the server, [1] the server's to the Pis.
struct FrameFaultRates {
    double loss[2] = {0, 0};
    double dup[2] = {0, 0};
    double reorder[2] = {0, 0};
    double corrupt[2] = {0, 0};
    [[nodiscard]] bool any() const noexcept;
};

enum class VerifyMode : std::uint8_t { sha256, crc32 };
enum class SwarmMode : std::uint8_t { boot, dhcp };

struct SwarmOptions {
    std::string eal;   // --eal "ARGS"
    std::string port;  // --port NAME: the DPDK port, when the EAL finds several
    SwarmMode mode = SwarmMode::boot;
    unsigned pis = 1;
    unsigned mix[3] = {0, 100, 0};  // --mix pi3=W,pi4=W,pi5=W (weights)
    double ramp_s = 0;              // power-ons spread over this many seconds; 0: all at once
    double churn_per_s = 0;         // booted Pis rebooted per second, until --duration
    double duration_s = 300;        // the run's bound: every Pi still booting then is stopped
    unsigned max_in_flight = 0;     // at most this many Pis booting at once; 0: no limit
    double dhcp_rate = 0;           // power-ons (DORAs in --mode dhcp) started per second; 0: --ramp
    proto::PiFaultRates pi_faults;
    FrameFaultRates frame_faults;
    double late_link_s = 0;  // each Pi's DHCP lost for this long after power-on (STP)
    std::string json_path;
    std::string require;
    bool json_pis = false;              // one entry per Pi in the JSON report
    std::string trace_path;             // every Pi's requests, one line each (for tests and debugging)
    proto::Ipv4 pool_first, pool_last;  // --static-pool A-B: no DHCP
    proto::Ipv4 server;                 // --server IP
    std::vector<std::string> trees;     // --tree DIR (repeatable): the served trees, to check bytes
    VerifyMode verify = VerifyMode::sha256;
    std::uint16_t pi4_blksize = 1024;
    int attempts = 1;  // boots tried before a Pi counts as failed; 0: until the run's bound
    int config_rereads = 3;
    std::uint64_t seed = 1;
    std::uint32_t mac_offset = 0;  // --mac-offset N: MACs from OUI:(N+1) on
    int progress = -1;             // -1: when stderr is a terminal
    double file_timeout_s = 30;
    double retry_delay_s = 5;  // between a failed boot and the firmware's next attempt
    // --link-rate BITS/S and --link-buffer BYTES: a switch port between the fleet and the
    // server, each direction (link.h); 0: none.
    std::uint64_t link_bps = 0;
    std::uint64_t link_buffer = 512ull * 1024;
    bool help = false;         // --help: the usage is asked for, nothing is run
    bool version = false;      // --version: the version is asked for, nothing is run
    bool list_fleet = false;   // --list-fleet: each Pi's serial, MAC and model, nothing is run
    bool fleet_given = false;  // --pis or --mix was given
    // --boards FILE or --from-api URL: the fleet is an inventory's (inventory.h), loaded into
    // `fleet` (and `pis`) by load_inventory before the run.
    std::string boards_file;
    std::string from_api;
    std::vector<proto::FakePi> fleet;
    [[nodiscard]] bool from_inventory() const noexcept { return !boards_file.empty() || !from_api.empty(); }
};

// The options `args` give, or the refusal naming the flag (exit code 2); with --help, `help` set
// and the checks across flags left out.
[[nodiscard]] proto::Result<SwarmOptions> parse_swarm_options(std::span<const std::string_view> args);
// One row per flag (proto/flag_table.h): the usage and the parsing read them.
[[nodiscard]] std::span<const proto::FlagRow<SwarmOptions>> swarm_flags();
[[nodiscard]] std::string swarm_usage();

}  // namespace rackboot::swarm
