// The live event stream behind GET /api/v1/events (Server-Sent Events): what the timeline learns
// (DHCP, TFTP, boots) fanned out to a bounded set of subscribers, each with its filter (serial,
// MAC, kind) and a bounded queue (the oldest events are dropped and counted when a client reads
// too slowly). Published from the control thread; read by the API's thread.
#pragma once

#include <atomic>
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
};

// One event: its routing keys and its JSON text.
struct BusEvent {
    std::uint64_t id = 0;
    std::string kind;
    std::optional<proto::Serial> serial;
    proto::Mac mac{};  // unset: none known
    std::string json;
};

class Subscription {
public:
    static constexpr std::size_t kQueue = 1024;
    explicit Subscription(EventFilter f) : filter_(std::move(f)) {}

    // Takes what is queued, formatted as SSE frames; empty when nothing is. When empty and
    // `park` is given, it is called (under the lock) and the subscription remembers it is
    // parked: the next event calls the resume function set with set_resume.
    [[nodiscard]] std::string take(const std::function<void()>& park);
    void set_resume(std::function<void()> resume);
    // Wakes a parked reader without an event (heartbeat, shutdown).
    void wake();
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    friend class EventBus;
    [[nodiscard]] bool wants(const BusEvent& e) const noexcept;
    void push(const BusEvent& e);

    EventFilter filter_;
    std::mutex mutex_;
    std::deque<std::string> queue_;
    bool parked_ = false;
    std::function<void()> resume_;
    std::atomic<std::uint64_t> dropped_{0};
};

class EventBus {
public:
    static constexpr std::size_t kMaxSubscribers = 16;

    // Null when kMaxSubscribers are subscribed already.
    [[nodiscard]] std::shared_ptr<Subscription> subscribe(EventFilter filter);
    void unsubscribe(const std::shared_ptr<Subscription>& s);
    // Stamps the event's id and hands it to every subscriber that wants it.
    void publish(BusEvent e);
    // Wakes every parked reader (heartbeats, shutdown).
    void wake_all();
    [[nodiscard]] std::size_t subscribers() const;
    [[nodiscard]] std::uint64_t published() const noexcept { return next_id_.load(std::memory_order_relaxed) - 1; }

private:
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<Subscription>> subs_;
    std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace rackboot::control
