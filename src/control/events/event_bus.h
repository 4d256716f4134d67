// The live event stream behind GET /api/v1/events (Server-Sent Events): what the timeline learns
// (DHCP, TFTP, boots), kept in one bounded history that every subscriber reads with its own
// cursor and filter (serial, MAC, kind). Nothing is copied per subscriber: a subscriber that
// reads slowly costs a cursor, and the publisher never waits for it. When the history drops an
// event a subscriber had not read yet (and wanted), the subscriber is told in-band: a `lost`
// event with how many and which ids. A subscriber may start after an id (Last-Event-ID): what the
// history still holds after it is replayed, and what it no longer holds is reported lost.
//
// Ids only grow, across restarts too: the daemon starts the bus after the last id it recorded
// (store/event_ids.h) and the bus asks it to record each new block of ids before using it.
// Published from the control thread; read by the API's thread; one lock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::control {

struct EventFilter {
    std::optional<proto::Serial> serial;  // nullopt: any
    std::optional<proto::Mac> mac;        // nullopt: any
    std::string kind;                     // empty: any

    [[nodiscard]] bool any() const noexcept { return !serial && !mac && kind.empty(); }
};

// One event: its routing keys and its JSON text.
struct BusEvent {
    std::uint64_t id = 0;
    std::string kind;
    std::optional<proto::Serial> serial;
    proto::Mac mac{};  // unset: none known
    std::string json;
};

[[nodiscard]] bool matches(const EventFilter& f, const BusEvent& e) noexcept;

// A page of the history (GET /api/v1/events/history): what a client reads without a stream.
struct EventPage {
    struct Item {
        std::uint64_t id = 0;
        std::string kind;
        std::string json;
    };
    std::vector<Item> items;
    bool more = false;          // more events match after the last item
    std::uint64_t last_id = 0;  // the last id handed out
    std::string lost;           // `after` is older than the history: the lost notice's JSON
};

class EventBus;

class Subscription {
public:
    explicit Subscription(EventFilter f) : filter_(std::move(f)) {}

private:
    friend class EventBus;
    [[nodiscard]] bool wants(const BusEvent& e) const noexcept { return matches(filter_, e); }

    // All guarded by the bus's lock.
    EventFilter filter_;
    std::uint64_t cursor_ = 0;  // the next id to read
    // Events it wanted that went before it read them, not reported yet.
    std::uint64_t lost_ = 0;
    std::uint64_t lost_first_ = 0;
    std::uint64_t lost_last_ = 0;
    bool lost_exact_ = true;   // false: ids gone from the history, some perhaps not wanted
    std::string lost_reason_;  // behind, history, restart, unknown_id
    bool parked_ = false;
    std::function<void()> resume_;
};

class EventBus {
public:
    static constexpr std::size_t kMaxSubscribers = 16;
    static constexpr std::size_t kDefaultHistory = 65536;                        // events
    static constexpr std::size_t kHistoryBytes = std::size_t{32} * 1024 * 1024;  // their text, at most
    static constexpr std::size_t kTakeBytes = std::size_t{64} * 1024;            // one take's text, at most
    static constexpr int kRetryMs = 2000;                                        // the reconnect hint

    explicit EventBus(std::size_t history = kDefaultHistory) : history_cap_(history) {}

    // Before anything is published: ids start at `first`; `record(last)` is called (under the
    // lock, once per block of `block` ids) before an id past the last recorded one is used.
    void start_ids(std::uint64_t first, std::uint64_t block, std::function<void(std::uint64_t last)> record);

    // Null when kMaxSubscribers are subscribed already. `after`: replay what follows that id
    // (Last-Event-ID); nullopt: only what is published from now on.
    [[nodiscard]] std::shared_ptr<Subscription> subscribe(EventFilter filter,
                                                          std::optional<std::uint64_t> after = std::nullopt);
    void unsubscribe(const std::shared_ptr<Subscription>& s);
    // Stamps the event's id, keeps it, and resumes the parked subscribers that want it.
    void publish(BusEvent e);

    // What a subscriber has to read, as SSE frames (a `lost` notice first when events went before
    // it read them); empty when nothing is. When empty and `park` is given, it is called (under
    // the lock) and the subscriber is parked: the next event it wants calls its resume function.
    [[nodiscard]] std::string take(Subscription& s, const std::function<void()>& park);
    void set_resume(Subscription& s, std::function<void()> resume);
    // Wakes a parked reader without an event (heartbeat, shutdown).
    void wake(Subscription& s);
    void wake_all();

    // Without `after`: the last `limit` events that match; with it: the first `limit` after it.
    [[nodiscard]] EventPage page(const EventFilter& f, std::optional<std::uint64_t> after, std::size_t limit) const;

    [[nodiscard]] std::size_t subscribers() const;
    [[nodiscard]] std::uint64_t published() const;
    // The last id handed out (first - 1 when none yet).
    [[nodiscard]] std::uint64_t last_id() const;
    // Events subscribers wanted and did not get: they fell behind the history, or resumed after it.
    [[nodiscard]] std::uint64_t lost() const;
    [[nodiscard]] std::size_t history_size() const;

private:
    struct Kept {
        BusEvent event;
        std::string frame;
    };
    void drop_oldest();
    static void report_gap(Subscription& s, std::uint64_t first, std::uint64_t last, const char* reason);
    // Where a reader resuming after `after` starts, and the gap it is told of (as a subscription's).
    void resume_after(Subscription& s, std::uint64_t after) const;
    [[nodiscard]] static std::string notice_json(const Subscription& s);
    [[nodiscard]] std::uint64_t oldest_id() const noexcept;

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<Subscription>> subs_;
    std::deque<Kept> history_;
    std::size_t history_cap_;
    std::size_t history_bytes_ = 0;
    std::uint64_t first_id_ = 1;  // this run's first
    std::uint64_t next_id_ = 1;
    std::uint64_t recorded_ = UINT64_MAX;  // ids up to this may be used
    std::uint64_t block_ = 0;
    std::function<void(std::uint64_t)> record_;
    std::uint64_t lost_total_ = 0;
};

}  // namespace rackboot::control
