// What a swarm run counts: boots by outcome and reason, latency histograms per phase (µs),
// traffic, the firmware bugs exercised and the frame faults injected. Filled by the engine on
// its one thread; read by the report.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/pi_boot.h"
#include "swarm/histogram.h"

namespace rackboot::swarm {

struct FailureSample {
    proto::Serial serial;
    proto::PiModel model = proto::PiModel::pi4;
    proto::PiFailure reason = proto::PiFailure::none;
    std::string file;
    double at_s = 0;  // since the run began
};

struct SwarmStats {
    std::uint64_t boots_started = 0;  // power-ons, reboots (churn) included
    std::uint64_t booted = 0;
    std::uint64_t failed = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(proto::PiFailure::count_)> failed_by{};
    std::uint64_t attempts_retried = 0;          // boots the firmware started over after a failure
    std::vector<FailureSample> failure_samples;  // the first few, for the report

    LogLinearHistogram boot_us;  // power-on to booted, retries included
    LogLinearHistogram dhcp_us;  // power-on (of the attempt) to an address
    LogLinearHistogram arp_us;   // address to the server's MAC
    LogLinearHistogram tftp_us;  // server's MAC to the last file
    LogLinearHistogram file_us;  // each file read to its end

    std::uint64_t frames_tx = 0, frames_rx = 0, bytes_tx = 0, bytes_rx = 0;
    std::uint64_t frames_tx_dropped = 0;  // the port would not take them
    std::uint64_t file_bytes = 0;         // file bytes received in order
    std::uint64_t data_bytes_sent = 0;    // DATA payload bytes the server sent (as they reach the link)
    std::uint64_t files = 0;
    std::uint64_t pi_retransmits = 0;   // RRQs and ACKs the Pis resent after silence
    std::uint64_t duplicates_seen = 0;  // DATA received twice (the server's retransmits, or dup)
    std::uint64_t frames_ignored = 0;   // for no Pi of ours, or unparseable

    // Firmware bugs exercised (per boot or per file, as the knob works).
    std::uint64_t offers_without_request = 0;
    std::uint64_t rrq_races = 0;
    std::uint64_t dup_traps_sprung = 0;
    std::uint64_t padded_ack_boots = 0;
    std::uint64_t probes = 0;
    std::uint64_t late_link_dropped = 0;

    // Frame faults injected: [0] to the server, [1] from it.
    std::uint64_t lost[2] = {0, 0}, duplicated[2] = {0, 0}, reordered[2] = {0, 0}, corrupted[2] = {0, 0};

    // The swarm's own loop (filled by the run loop).
    std::uint64_t polls = 0;
    std::uint64_t idle_polls = 0;  // an empty receive burst: the swarm was waiting, not the bound
    std::uint64_t rx_missed = 0;   // frames the port dropped because the swarm was too slow
    std::uint64_t max_in_flight = 0;
};

}  // namespace rackboot::swarm
