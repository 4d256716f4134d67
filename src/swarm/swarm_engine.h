// The synthetic fleet on one thread (issue 11): N PiBoot machines behind one Ethernet port,
// perfdhcp's structure for a whole boot: the scenario (power-on ramp, churn, at most so many in
// flight, the run's bound), frame templates (each Pi's DHCP, ARP and TFTP framed from its own MAC
// and address; ARP answered for every Pi), frame faults in each direction, and the stats. No
// I/O: frames in through on_frame(), out through a FrameTx; the caller supplies the clock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/pi_boot.h"
#include "swarm/link.h"
#include "swarm/manifest.h"
#include "swarm/options.h"
#include "swarm/swarm_stats.h"

namespace rackboot::swarm {

class FrameTx {
public:
    virtual ~FrameTx() = default;
    virtual void send(proto::ConstBytes frame) = 0;
};

struct PhaseCounts {
    std::uint64_t off = 0, dhcp = 0, arp = 0, tftp = 0, booted = 0, failed = 0;
};

class SwarmEngine {
public:
    // `manifest` checks each file's bytes; `trace` (may be null) gets one line per request.
    SwarmEngine(const SwarmOptions& options, Manifest& manifest, std::FILE* trace);
    ~SwarmEngine();
    SwarmEngine(const SwarmEngine&) = delete;
    SwarmEngine& operator=(const SwarmEngine&) = delete;

    void start(proto::Nanos now);
    void on_frame(proto::ConstBytes frame, proto::Nanos now, FrameTx& tx);
    // Power-ons and reboots that are due, timers that fired, held (reordered) frames.
    void poll(proto::Nanos now, FrameTx& tx);
    // Every Pi has booted or failed (and no churn is left), or the run's bound passed.
    [[nodiscard]] bool finished(proto::Nanos now) const noexcept;
    // Ends every boot still in progress (failure `stopped`).
    void stop(proto::Nanos now);

    [[nodiscard]] const SwarmStats& stats() const noexcept { return stats_; }
    [[nodiscard]] const SwarmOptions& options() const noexcept { return o_; }
    [[nodiscard]] SwarmStats& stats() noexcept { return stats_; }
    [[nodiscard]] PhaseCounts phases() const noexcept { return phases_; }
    [[nodiscard]] double elapsed_s(proto::Nanos now) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return pis_.size(); }
    [[nodiscard]] const proto::PiBoot& pi(std::size_t i) const noexcept;
    [[nodiscard]] int image_of(std::size_t i) const noexcept;  // the tree its kernel matched; -1
    // The link between the fleet and the server: [0] the Pis' frames to it, [1] its frames to them.
    [[nodiscard]] const Link& link(int direction) const noexcept { return links_[direction]; }

private:
    struct Slot;
    class Sink;
    friend class Sink;

    void power_on(std::uint32_t i, proto::Nanos now, FrameTx& tx);
    void after(std::uint32_t i, proto::Nanos now);
    void count_phase(proto::PiPhase p, int delta) noexcept;
    void send_frame(proto::ConstBytes frame, FrameTx& tx);  // through the faults to the server
    void transmit(proto::ConstBytes frame, FrameTx& tx);    // onto the port, counted
    void release_held(int direction, proto::Nanos now, FrameTx& tx);
    void deliver(proto::ConstBytes frame, proto::Nanos now, FrameTx& tx);
    void arrive(proto::ConstBytes frame, proto::Nanos now, FrameTx& tx);  // off the link, through the faults
    [[nodiscard]] bool chance(double p);
    void trace(const Slot& s, proto::Nanos now, const char* what);

    const SwarmOptions& o_;
    Manifest& manifest_;
    std::FILE* trace_;
    std::vector<std::unique_ptr<Slot>> pis_;
    std::unordered_map<std::uint32_t, std::uint32_t> by_ip_;
    std::unordered_map<std::uint64_t, std::uint32_t> by_mac_;  // an inventory's fleet only
    using Timer = std::pair<proto::Nanos, std::uint32_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    std::mt19937_64 rng_;
    proto::Nanos started_ = 0;
    proto::Nanos deadline_ = 0;
    std::uint32_t next_power_ = 0;  // the next Pi to power on for the first time
    proto::Nanos next_churn_ = 0;
    std::uint64_t in_flight_ = 0;
    PhaseCounts phases_;
    SwarmStats stats_;
    std::vector<std::uint8_t> frame_;    // a frame being built
    std::vector<std::uint8_t> held_[2];  // a frame held back (reorder), per direction
    proto::Nanos held_at_[2] = {0, 0};
    std::uint16_t ip_id_ = 0;
    bool stopped_ = false;
    Link links_[2];
    proto::Nanos clock_ = 0;  // the time of the call in progress (a frame's arrival on the link)
};

}  // namespace rackboot::swarm
