// What DHCP teaches about boards, applied on the control thread, from answered requests only: a
// MAC seen with a Pi 4/5's option 97 serial is recorded on that board as learnt (with when and
// from where) when the board lists no MACs and learns, and never becomes a configured one; the
// address one of a board's own MACs was given lets its unprefixed requests resolve through it;
// its model and when it was last seen are recorded, in one store transaction (a change made
// through the API meanwhile is never undone). With --auto-discover, a serial no board has yet
// creates one in state "discovered", within bounds a flood of made-up serials cannot pass: at most
// DiscoverLimits::max boards wait in that state, and discoveries come at most per_second (with a
// burst of kBurstSeconds of them, a rack powering on); what is refused is counted. Discoveries are
// published as one boot map per batch (SnapshotPublisher::notify_batched), not one each. Store
// writes are limited to what is new, and a board's sightings to one a minute.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "control/live/board_directory.h"
#include "control/live/snapshot_publisher.h"
#include "control/store/inventory_store.h"
#include "control/store/inventory_writes.h"

namespace rackboot::control {

struct DiscoverLimits {
    std::uint32_t max = 4096;        // boards in state "discovered" at once
    std::uint32_t per_second = 100;  // new ones a second, on average
};

class BoardLearner {
public:
    static constexpr std::int64_t kSeenEveryS = 60;
    static constexpr std::int64_t kBurstSeconds = 10;
    static constexpr std::int64_t kRecountEveryS = 5;  // at the bound: how often the store is asked again

    // `writes` (over the store; null: no --state) makes discovered boards, as every caller does.
    BoardLearner(BoardDirectory& directory, SnapshotPublisher& publisher, InventoryWrites* writes, bool auto_discover,
                 DiscoverLimits limits = {})
        : directory_(directory),
          publisher_(publisher),
          writes_(writes),
          auto_discover_(auto_discover),
          limits_(limits),
          tokens_(static_cast<double>(limits.per_second) * kBurstSeconds) {}

    // `model`: 4 or 5 from option 97, 0 unknown. `now`: unix seconds. `from`: where the message
    // came from ("relay 10.1.0.1", "interface eth1").
    // `ip`: the address it was given (unset: none).
    void learn(proto::Mac mac, std::optional<proto::Serial> serial, proto::Ipv4 ip, int model, std::int64_t now,
               const std::string& from);
    // A finished boot's summary, kept as the board's last boot.
    void boot_finished(proto::Serial serial, const std::string& summary);

    [[nodiscard]] std::uint64_t discovered() const noexcept { return discovered_.load(std::memory_order_relaxed); }
    // Discovery's counters in Prometheus text (any thread).
    [[nodiscard]] std::string render_metrics() const;

private:
    void remember(proto::Mac mac, proto::Serial serial, int model, std::int64_t now, const std::string& from,
                  bool fresh);
    void discover(proto::Serial serial, const LearntMac& seen, const std::string& model, std::int64_t now);
    // Whether one more board may be discovered now (the bounds above); counts a refusal.
    [[nodiscard]] bool may_discover(std::int64_t now);

    BoardDirectory& directory_;
    SnapshotPublisher& publisher_;
    InventoryWrites* writes_;
    bool auto_discover_;
    DiscoverLimits limits_;
    std::unordered_map<proto::Serial, std::int64_t> last_written_;  // serial -> when its sighting was stored
    double tokens_;                                                 // discoveries that may come now (a token bucket)
    std::int64_t refilled_ = 0;                                     // when tokens_ was last topped up (unix seconds)
    std::optional<std::size_t> waiting_;  // boards in state "discovered", as last counted (and since added)
    std::int64_t counted_ = 0;            // when the store was last asked
    std::atomic<std::uint64_t> discovered_{0};
    std::atomic<std::uint64_t> refused_rate_{0};
    std::atomic<std::uint64_t> refused_limit_{0};
};

}  // namespace rackboot::control
