// One synthetic Raspberry Pi's network boot as its firmware runs it (issue 11): DHCP (the Pi 3
// ROM's five DISCOVERs 5 s apart and no REQUEST; the Pi 4/5 EEPROM's REQUEST, DHCP_REQ_TIMEOUT
// 4 s, DHCP_TIMEOUT 45 s), ARP for the TFTP server, then each file of pi_boot_steps.h through
// PiTftpFetch with the serial prefix decided by its probe, config.txt read as the firmware reads
// it, TFTP_FILE_TIMEOUT 30 s per file, and a Pi 5 that does not start over after a file times out
// (rpi-eeprom#687). Firmware bugs are switched on by rate: DHCP without REQUEST, the RRQ race
// (firmware#1700), the duplicated-DATA trap (firmware#1631), zero-padded ACKs. Pure: no I/O, a
// caller's clock; what goes on the wire and what a file held go to a PiBootSink.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/clock.h"
#include "proto/ipv4.h"
#include "proto/net_frames.h"
#include "proto/pi_boot_steps.h"
#include "proto/pi_dhcp_client.h"
#include "proto/pi_tftp_fetch.h"
#include "proto/reason_list.h"

namespace rackboot::proto {

#define RACKBOOT_PI_FAILURES(X)                                                      \
    X(none, info, "booted")                                                          \
    X(dhcp_timeout, warning, "no usable DHCP answer (address and PXE menu) in time") \
    X(arp_timeout, warning, "the TFTP server never answered ARP")                    \
    X(file_timeout, warning, "a file took longer than TFTP_FILE_TIMEOUT")            \
    X(file_missing, warning, "a file the boot needs was not found")                  \
    X(server_error, warning, "the server answered a request with an ERROR")          \
    X(wrong_bytes, error, "a file arrived with other bytes than the tree holds")     \
    X(stopped, info, "the run ended before the boot did")

RACKBOOT_DEFINE_REASONS(PiFailure, RACKBOOT_PI_FAILURES)

enum class PiPhase : std::uint8_t { Off, Dhcp, Arp, Tftp, Booted, Failed };

// Firmware bugs, each a probability in [0, 1].
struct PiFaultRates {
    double no_request = 0;    // Pi 4/5: use the OFFER without REQUEST (as the Pi 3 ROM always does)
    double rrq_race = 0;      // per file: ACK 0, then 1–2 more RRQs 5–9 ms apart from new ports
    double dup_trap = 0;      // per boot: a duplicated DATA N is answered with ACK N+1, then a hang
    double zero_pad_ack = 0;  // per boot: ACKs padded with zeros to 18 bytes (Pi 5)
};

struct PiBootConfig {
    FakePi pi;
    std::uint16_t pi4_blksize = 1024;
    PiStepOptions steps;
    PiFaultRates faults;
    Ipv4 static_ip;         // set: this address, and no DHCP (with dhcp_only: DHCP for the PXE answer only)
    Ipv4 server_override;   // set: the TFTP server, whatever DHCP says (--server)
    int max_attempts = 1;   // boots tried before the Pi counts as failed (the EEPROM loops); 0: no end
    Nanos retry_delay = 0;  // from a failed attempt to the next one (the firmware starting over)
    std::uint64_t seed = 1;
    Nanos file_timeout = 30 * kSecond;
    // The boot ends at the DHCP answer (the swarm's DHCP mode): a DORA from a full server, or with
    // static_ip the first OFFER with the PXE menu (a proxy DHCP server's OFFER rate).
    bool dhcp_only = false;
};

struct PiFileResult {
    std::string_view path;  // as requested, prefix included
    PiStepKind kind = PiStepKind::Fetch;
    PiFileRole role = PiFileRole::Other;
    PiFetchState state = PiFetchState::Idle;
    std::uint64_t bytes = 0;
    Nanos elapsed = 0;
    std::uint32_t retransmits = 0;  // packets the Pi resent
    std::uint32_t duplicates = 0;   // DATA received twice
};

// Where a Pi's output goes. Sends are from the Pi's own MAC (and address, once it has one).
class PiBootSink {
public:
    virtual ~PiBootSink() = default;
    virtual void send_dhcp(ConstBytes payload) = 0;  // 0.0.0.0:68 → 255.255.255.255:67
    virtual void send_arp_request(Ipv4 target) = 0;
    virtual void send_tftp(std::uint16_t local_port, std::uint16_t server_port, ConstBytes payload) = 0;
    // A file's bytes, in order, as they arrive; `path` as requested.
    virtual void file_data(std::string_view path, std::uint64_t offset, ConstBytes bytes) = 0;
    // A file read to its end: false when its bytes are wrong (the boot then fails).
    virtual bool file_done(const PiFileResult& result) = 0;
    // A probe, a missing file, a refusal or a timeout (reported for the trace and the stats).
    virtual void file_other(const PiFileResult& result) = 0;
};

class PiBoot {
public:
    explicit PiBoot(const PiBootConfig& config);

    void power_on(Nanos now, PiBootSink& sink);
    void on_dhcp(ConstBytes payload, Nanos now, PiBootSink& sink);
    void on_arp_reply(Ipv4 sender_ip, const Mac& sender_mac, Nanos now, PiBootSink& sink);
    // A datagram to `local_port` from the server's `server_port`.
    void on_tftp(std::uint16_t local_port, std::uint16_t server_port, ConstBytes payload, Nanos now, PiBootSink& sink);
    void on_timer(Nanos now, PiBootSink& sink);
    // Ends a boot in progress as failed with `stopped` (the run's end).
    void stop(Nanos now);

    // When on_timer() wants to be called; 0: nothing pending.
    [[nodiscard]] Nanos next_deadline() const noexcept;

    [[nodiscard]] const PiBootConfig& config() const noexcept { return cfg_; }
    [[nodiscard]] PiPhase phase() const noexcept { return phase_; }
    [[nodiscard]] Ipv4 address() const noexcept { return ip_; }
    [[nodiscard]] Ipv4 tftp_server() const noexcept { return server_; }
    [[nodiscard]] const Mac& server_mac() const noexcept { return server_mac_; }
    [[nodiscard]] PiFailure failure() const noexcept { return failure_; }
    [[nodiscard]] const std::string& failed_file() const noexcept { return failed_file_; }
    [[nodiscard]] int attempts() const noexcept { return attempts_; }
    [[nodiscard]] bool used_prefix() const noexcept { return prefix_; }
    // Times of the last attempt: power on, address (DHCP done), server's MAC, the end.
    [[nodiscard]] Nanos powered_at() const noexcept { return t_power_; }
    [[nodiscard]] Nanos dhcp_done_at() const noexcept { return t_dhcp_; }
    [[nodiscard]] Nanos arp_done_at() const noexcept { return t_arp_; }
    [[nodiscard]] Nanos ended_at() const noexcept { return t_end_; }
    [[nodiscard]] Nanos first_power_at() const noexcept { return t_first_power_; }
    [[nodiscard]] std::uint32_t dhcp_sends() const noexcept { return dhcp_sends_; }
    [[nodiscard]] std::uint32_t rrqs() const noexcept { return rrqs_; }
    [[nodiscard]] std::uint32_t races() const noexcept { return races_; }
    [[nodiscard]] std::uint32_t traps_sprung() const noexcept { return traps_sprung_; }
    [[nodiscard]] bool dup_trap_armed() const noexcept { return dup_trap_; }
    [[nodiscard]] bool pads_acks() const noexcept { return pad_acks_; }
    [[nodiscard]] bool skipped_request() const noexcept { return skip_request_; }

private:
    enum class DhcpState : std::uint8_t { Discovering, Requesting };

    void start_attempt(Nanos now, PiBootSink& sink);
    void send_discover(Nanos now, PiBootSink& sink);
    void dhcp_done(Nanos now, PiBootSink& sink);
    void start_tftp(Nanos now, PiBootSink& sink);
    void start_step(Nanos now, PiBootSink& sink);
    void start_fetch(bool probe, Nanos now, PiBootSink& sink);
    void emit(const PiFetchOutput& o, PiBootSink& sink);
    void fetch_finished(Nanos now, PiBootSink& sink);
    void next_step(Nanos now, PiBootSink& sink);
    void fail(PiFailure why, std::string_view file, Nanos now, PiBootSink& sink);
    [[nodiscard]] PiFileResult result(Nanos now) const;
    [[nodiscard]] double uniform() noexcept;
    [[nodiscard]] std::uint16_t next_port() noexcept;

    PiBootConfig cfg_;
    std::uint64_t rng_;
    PiPhase phase_ = PiPhase::Off;
    PiFailure failure_ = PiFailure::none;
    std::string failed_file_;
    int attempts_ = 0;
    bool skip_request_ = false;
    bool dup_trap_ = false;
    bool pad_acks_ = false;

    // DHCP
    DhcpState dhcp_state_ = DhcpState::Discovering;
    std::uint32_t xid_ = 0;
    int discovers_ = 0;
    Nanos dhcp_started_ = 0;
    Nanos dhcp_timer_ = 0;
    Ipv4 ip_;
    Ipv4 addr_server_;
    Ipv4 server_;
    bool have_addr_ = false;
    bool have_pxe_ = false;

    // ARP
    Mac server_mac_{};
    Nanos arp_timer_ = 0;
    int arps_ = 0;

    // TFTP
    std::vector<PiBootStep> steps_;
    std::size_t step_ = 0;
    bool probing_ = false;  // the probe half of a ProbeThenFetch / a fallback's probe
    bool using_fallback_ = false;
    bool prefix_ = false;
    std::string path_;         // the file being read, as requested
    std::string config_text_;  // config.txt as it arrives
    PiBootFiles files_;
    PiTftpFetch fetch_;
    PiTftpFetch previous_;  // the last finished fetch, to re-ACK its final DATA if it comes again
    Nanos race_at_ = 0;     // the RRQ race: when to send the next RRQ for this file
    int races_left_ = 0;
    bool raced_ = false;
    std::uint16_t port_ = 0;

    Nanos retry_at_ = 0;  // the next attempt starts then (phase Off between attempts)
    Nanos t_first_power_ = 0;
    Nanos t_power_ = 0;
    Nanos t_dhcp_ = 0;
    Nanos t_arp_ = 0;
    Nanos t_end_ = 0;
    std::uint32_t dhcp_sends_ = 0;
    std::uint32_t rrqs_ = 0;
    std::uint32_t races_ = 0;
    std::uint32_t traps_sprung_ = 0;
};

[[nodiscard]] std::string_view to_string(PiPhase p) noexcept;
[[nodiscard]] std::string_view to_string(PiModel m) noexcept;

}  // namespace rackboot::proto
