// Boots admitted at DHCP as far as the path has room for them (issue 19; DESIGN.md "Admission"):
// a Pi's boot firmware (a PXE DISCOVER) is answered only while one more boot's largest file can
// still end by its plan at the rate the workers measure; the rest wait in a room where waiting
// costs them nothing but a DISCOVER every 4-5 s, ordered by when each was first seen plus its
// model's DHCP window (the Pi 3 ROM gives up after 25 s, the Pi 4/5 EEPROM after 45 s). When room
// frees, the first live waiters in that order are granted it (checked every 100 ms), and answered
// at once if their last DISCOVER is still listened for (held_discovers.h), else at their next.
// A Pi keeps its place across its firmware's retries (it is remembered two minutes), so every Pi
// reaches the front: see DESIGN.md for why none waits forever. Fixed memory; the caller's clock.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/path_admission.h"
#include "proto/clock.h"
#include "proto/flat_index.h"

namespace rackboot::dataplane {

struct BootAdmissionConfig {
    bool enabled = false;
    proto::Nanos target = 20 * proto::kSecond;  // as AdmissionConfig::target
    std::uint32_t unmeasured = 32;              // boots in progress at most before a rate is measured
    std::uint32_t room = 16384;                 // Pis remembered, waiting or admitted
};

struct BootAdmissionFigures {
    std::uint64_t admitted = 0;  // boots answered (counter)
    std::uint64_t held = 0;      // DISCOVERs not answered for want of room (counter)
    std::uint32_t waiting = 0;   // Pis waiting now
    std::uint32_t room = 0;      // boots the path has room for now (0 while held transfers wait)
};

class BootAdmission {
public:
    // How long a waiter counts as live after its last DISCOVER (its firmware resends every 4-5 s).
    static constexpr proto::Nanos kLive = 12 * proto::kSecond;
    // A grant not taken up by a DISCOVER in this long goes to the next waiter.
    static constexpr proto::Nanos kGrantFor = 10 * proto::kSecond;
    // An admitted Pi's DISCOVERs are answered for this long: its firmware's DHCP retries after a
    // lost OFFER or ACK (every 4 s on a Pi 4/5, 5 s on the Pi 3 ROM). Later, a DISCOVER is a new
    // boot (a failed attempt looping back, a power cycle): it waits for room again, in its place.
    // So is any DISCOVER after the Pi's REQUEST (its DHCP was answered; a lost ACK costs it a wait
    // at the front of the line; the Pi 3 ROM never REQUESTs). (At 60 s and without the REQUEST, a
    // rack power-cycled right after its boot came back all at once, past the room: 1,008 Pis
    // behind 1 Gb/s took 1.49x the floor, and a rack booted twice in a row took 2.01x at 100 Mb/s,
    // with 5 s of grace after the REQUEST still 2.04x.)
    static constexpr proto::Nanos kAdmittedFor = 12 * proto::kSecond;
    // Boots answered this recently count as in progress before their first transfer shows.
    static constexpr proto::Nanos kStarting = 3 * proto::kSecond;
    // A Pi not heard for this long is forgotten (its place with it).
    static constexpr proto::Nanos kForget = 120 * proto::kSecond;
    // How often room freed is shared out to waiters.
    static constexpr proto::Nanos kGrantEvery = 100 * proto::kMillisecond;
    // While the path queues, boots start at most at the pace the path ends largest files (rate /
    // largest), with this much of that pace saved up: room freed all at once (a wave of boots that
    // started together ending together) is granted over seconds, so the boots it lets in end
    // apart, and room keeps freeing while Pis wait (see DESIGN.md "When a boot may start").
    static constexpr proto::Nanos kPaceBurst = 2 * proto::kSecond;

    // `board` may be null (then every boot is unmeasured).
    BootAdmission(const BootAdmissionConfig& cfg, const PathBoard* board);

    // A DISCOVER from a boot firmware with this MAC, which gives up DHCP after `window`: true to
    // answer it now.
    [[nodiscard]] bool admit(std::uint64_t mac, proto::Nanos window, proto::Nanos now) noexcept;
    // A REQUEST from a boot firmware with this MAC: its DHCP exchange is ending.
    void requested(std::uint64_t mac) noexcept;
    // Room shared out (every 100 ms), grants that lapsed and Pis forgotten (every second); call
    // often.
    void tick(proto::Nanos now) noexcept;
    // The next Pi granted room since the last call (in the order granted): its DISCOVER, when
    // admitted, will be answered. False when there is none (or more were granted at once than are
    // remembered: those are answered at their next DISCOVER).
    [[nodiscard]] bool next_grant(std::uint64_t& mac) noexcept;
    [[nodiscard]] BootAdmissionFigures figures() const noexcept { return figures_; }

private:
    struct Entry {
        std::uint64_t mac = 0;
        proto::Nanos key = 0;  // first seen + window: the order of the room
        proto::Nanos last_seen = 0;
        proto::Nanos admitted_at = 0;  // 0: waiting
        proto::Nanos granted_at = 0;   // 0: no grant
        std::uint32_t gen = 0;
        bool used = false;
        bool in_heap = false;
        bool requested = false;  // it REQUESTed since it was admitted
    };
    struct Item {
        proto::Nanos key;
        std::uint32_t slot;
        std::uint32_t gen;
    };

    [[nodiscard]] std::uint32_t capacity(const PathTotals& t) const noexcept;
    // Boots the pace lets start now (every one when the path does not queue or is unmeasured).
    [[nodiscard]] std::uint64_t paced(const PathTotals& t, proto::Nanos now) noexcept;
    void grant(proto::Nanos now) noexcept;
    void take(Entry& e, proto::Nanos now) noexcept;
    void push(std::uint32_t slot) noexcept;
    void release(std::uint32_t slot) noexcept;
    void sweep(proto::Nanos now) noexcept;
    [[nodiscard]] std::uint32_t recent(proto::Nanos now) noexcept;

    BootAdmissionConfig cfg_;
    const PathBoard* board_;
    std::vector<Entry> entries_;
    std::vector<std::uint32_t> free_;
    proto::FlatIndex by_mac_;
    std::vector<Item> heap_;            // min-heap on key, lazily cleaned
    std::vector<proto::Nanos> starts_;  // when recent boots were answered, ring
    std::size_t starts_head_ = 0, starts_count_ = 0;
    std::uint32_t granted_ = 0;          // grants outstanding
    std::vector<std::uint64_t> grants_;  // ring: MACs granted, not yet handed out by next_grant
    std::size_t grants_head_ = 0, grants_count_ = 0;
    proto::Nanos swept_at_ = 0;
    proto::Nanos granted_at_ = 0;   // when room was last shared out by tick
    long double pace_tokens_ = -1;  // boots the pace has saved up (-1: a full burst)
    proto::Nanos paced_at_ = 0;
    BootAdmissionFigures figures_;
};

}  // namespace rackboot::dataplane
