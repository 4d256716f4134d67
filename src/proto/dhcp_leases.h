// The full DHCP server's address bookkeeping (RFC 2131): one entry per address of the subnet, a
// dynamic pool inside it, static reservations by MAC or Pi serial, and the Pi quirk that an
// OFFER is as good as a lease (the Pi 3B ROM never REQUESTs), so an offered address stays bound
// to a Pi's MAC for the lease time. Pure: wall-clock seconds are passed in; every change is
// returned as a Lease record for the caller to persist.
//
// Under a DISCOVER flood: an unrequested OFFER to a client that is not a Pi is held only
// `offer_hold` seconds; once fewer than `pi_reserve_percent` of the pool's addresses are
// available, only Pis get new ones; expired unrequested offers are reused before expired leases
// (whose clients may come back for them); a client repeating DISCOVER within `repeat_window`
// seconds is offered the same address again without a new record to write, and past a few
// DISCOVERs a second (a token bucket per held address) it is not answered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/flat_index.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/result.h"
#include "proto/serial.h"

namespace rackboot::proto {

enum class LeaseState : std::uint8_t { Free = 0, Offered = 1, Bound = 2, Released = 3, Declined = 4 };

[[nodiscard]] std::string_view to_string(LeaseState s) noexcept;

// What an operator's release of a lease came to (DELETE /api/v1/leases/IP).
enum class LeaseRelease : std::uint8_t {
    released,             // durable: the address is free for others
    no_live_lease,        // nobody holds it
    not_durable_in_time,  // the worker or the lease store did not answer in time
    not_a_server,         // no lease table here (proxy mode)
};

// One address's record, as persisted.
struct Lease {
    Ipv4 ip;
    Mac mac;  // unset: nobody
    LeaseState state = LeaseState::Free;
    std::int64_t expires = 0;  // unix seconds
    std::optional<Serial> serial;
    friend bool operator==(const Lease&, const Lease&) = default;
};

struct LeaseConfig {
    Ipv4 subnet;               // the network address
    std::uint8_t prefix = 24;  // 16..30
    Ipv4 pool_start;
    Ipv4 pool_end;   // inclusive
    Ipv4 server_ip;  // never handed out
    std::uint32_t lease_time = 3600;
    std::uint32_t offer_hold = 60;          // an unrequested OFFER to a client that is not a Pi
    std::uint32_t repeat_window = 10;       // a repeated DISCOVER inside it: same OFFER, no write
    std::uint32_t pi_reserve_percent = 10;  // of the pool, kept for Pis when it runs low
    std::vector<std::pair<Mac, Ipv4>> mac_reservations;
    std::vector<std::pair<Serial, Ipv4>> serial_reservations;
};

// Why `ip` can never be handed out under `cfg` ("outside the subnet 10.0.0.0/24", "the subnet's
// broadcast address", "this server's own address"), or empty when it is a host address the table
// may give out. A reservation (flag or board) is checked against this one rule.
[[nodiscard]] std::string why_never_offered(const LeaseConfig& cfg, Ipv4 ip);

// An address reserved for a client. `by_mac`: reserved to the client's own MAC as the operator
// configured it, so that MAC takes the address back from whoever else holds it; otherwise (a
// serial claimed in option 97, which anyone can send) the first holder keeps it until it lapses.
struct Reservation {
    Ipv4 ip;
    bool by_mac = false;
};

// Reservations that change at runtime (boards' pinned addresses, from the control plane's
// snapshot), consulted after the configured ones.
class ReservationSource {
public:
    virtual ~ReservationSource() = default;
    // The address reserved for this client, if any.
    [[nodiscard]] virtual std::optional<Reservation> reserved_for(Mac mac,
                                                                  std::optional<Serial> serial) const noexcept = 0;
    // True when `ip` is reserved for some client.
    [[nodiscard]] virtual bool reserved(Ipv4 ip) const noexcept = 0;
};

class LeaseTable {
public:
    // Checks the configuration (pool inside the subnet, reservations inside it and unique).
    [[nodiscard]] static Result<LeaseTable> create(const LeaseConfig& cfg);

    // Where runtime reservations come from (null: none); the caller keeps it alive while set.
    void set_reservations(const ReservationSource* source) noexcept { dynamic_ = source; }

    // Restores a persisted record (at start-up, before any request).
    void restore(const Lease& lease) noexcept;

    struct Offer {
        enum class Outcome : std::uint8_t { Offered, NoFreeAddress, ReservedForPis, RateLimited };
        Outcome outcome = Outcome::NoFreeAddress;
        bool changed = false;            // the record changed: persist `lease` before replying
        Lease lease;                     // the entry after the offer
        bool unrequested_again = false;  // this MAC already held an offer it never REQUESTed
    };
    // `pi`: the client is a Raspberry Pi by its MAC's OUI or its option 97, and gets the long hold.
    // `requested`: option 50's address, unset when none.
    [[nodiscard]] Offer offer(Mac mac, std::optional<Serial> serial, Ipv4 requested, bool pi,
                              std::int64_t now) noexcept;

    struct Request {
        enum class Outcome : std::uint8_t { Ack, Nak } outcome = Outcome::Nak;
        Lease lease;
    };
    // A client asks to use `ip` (option 50, or ciaddr when renewing).
    [[nodiscard]] Request request(Mac mac, std::optional<Serial> serial, Ipv4 ip, std::int64_t now) noexcept;

    // The client took another server's offer: our offer to it lapses. Returns the changed record.
    [[nodiscard]] std::optional<Lease> withdraw_offer(Mac mac, std::int64_t now) noexcept;
    [[nodiscard]] std::optional<Lease> release(Mac mac, Ipv4 ip, std::int64_t now) noexcept;
    [[nodiscard]] std::optional<Lease> decline(Mac mac, Ipv4 ip, std::int64_t now) noexcept;

    [[nodiscard]] bool in_subnet(Ipv4 ip) const noexcept { return in_subnet(ip.value()); }
    [[nodiscard]] std::uint32_t subnet_mask() const noexcept { return mask_; }
    [[nodiscard]] std::uint32_t pool_size() const noexcept { return pool_end_ - pool_start_ + 1; }
    [[nodiscard]] std::uint32_t lease_time() const noexcept { return cfg_.lease_time; }
    // Offered or bound and not expired.
    [[nodiscard]] std::uint32_t in_use(std::int64_t now) const noexcept;
    [[nodiscard]] Lease lease_at(Ipv4 ip) const noexcept;
    // Pool addresses a new client could be given (recounted at most once a second when scarce).
    [[nodiscard]] std::uint32_t available() const noexcept { return available_; }

    static constexpr std::uint8_t kDiscoverBurst = 4;   // DISCOVERs answered at once per client...
    static constexpr std::int64_t kDiscoverRefill = 1;  // ...then one every this many seconds

private:
    // Inside, an address is its host-order number and a MAC its key: the entries stay compact and
    // the pool is walked by counting.
    struct Entry {
        std::uint64_t mac = 0;
        std::int64_t expires = 0;
        std::int64_t offered_at = 0;
        std::int64_t written_at = 0;  // the record last changed for this holder
        std::int64_t tokens_at = 0;
        std::uint8_t tokens = kDiscoverBurst;
        std::uint32_t serial = 0;
        LeaseState state = LeaseState::Free;
        bool has_serial = false;
        bool reserved = false;
    };

    LeaseTable(const LeaseConfig& cfg, std::uint32_t size);
    [[nodiscard]] bool in_subnet(std::uint32_t ip) const noexcept { return (ip & mask_) == subnet_; }
    [[nodiscard]] std::uint32_t offset(std::uint32_t ip) const noexcept { return ip - subnet_; }
    [[nodiscard]] Lease lease_at(std::uint32_t ip) const noexcept;
    [[nodiscard]] bool usable_by(std::uint32_t ip, std::uint64_t mac, std::optional<std::uint32_t> serial,
                                 std::int64_t now) const noexcept;
    [[nodiscard]] std::optional<Reservation> reservation(std::uint64_t mac,
                                                         std::optional<std::uint32_t> serial) const noexcept;
    void assign(std::uint32_t ip, std::uint64_t mac, std::optional<std::uint32_t> serial, std::int64_t now) noexcept;
    // Reserved for someone, by the configuration or the runtime source.
    [[nodiscard]] bool is_reserved(const Entry& e, std::uint32_t ip) const noexcept {
        return e.reserved || (dynamic_ != nullptr && dynamic_->reserved(Ipv4(ip)));
    }
    [[nodiscard]] bool takes_token(Entry& e, std::int64_t now) noexcept;
    [[nodiscard]] std::uint32_t pick_free(std::uint64_t mac, std::int64_t now) noexcept;
    void recount(std::int64_t now) noexcept;
    [[nodiscard]] bool available_to_anyone(std::uint32_t ip, std::int64_t now) const noexcept;
    // Adjusts available_ after a change to `ip`'s entry.
    void track(bool was_available, std::uint32_t ip, std::int64_t now) noexcept;
    [[nodiscard]] std::uint32_t pi_reserve() const noexcept {
        return static_cast<std::uint32_t>(std::uint64_t{pool_size()} * cfg_.pi_reserve_percent / 100);
    }

    LeaseConfig cfg_;
    std::uint32_t subnet_ = 0, pool_start_ = 0, pool_end_ = 0, server_ip_ = 0;  // cfg_'s, as numbers
    std::uint32_t mask_ = 0;
    std::vector<Entry> entries_;
    FlatIndex by_mac_;
    FlatIndex reserved_by_mac_;
    FlatIndex reserved_by_serial_;
    const ReservationSource* dynamic_ = nullptr;
    std::uint32_t cursor_ = 0;
    std::uint32_t available_ = 0;  // an estimate between recounts
    std::int64_t counted_at_ = INT64_MIN;
};

}  // namespace rackboot::proto
