// What DHCP teaches about boards, applied on the control thread, from answered requests only: a
// MAC seen with a Pi 4/5's option 97 serial is recorded on that board as learnt (with when and
// from where) when the board lists no MACs and learns, and never becomes a configured one; the
// address one of a board's own MACs was given lets its unprefixed requests resolve through it;
// its model and when it was last seen are recorded, in one store transaction (a change made
// through the API meanwhile is never undone). With --auto-discover, a serial no board has yet
// creates one in state "discovered". Store writes are limited to what is new, and a board's
// sightings to one a minute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "control/board_directory.h"
#include "control/snapshot_publisher.h"
#include "control/store/inventory_store.h"

namespace rackboot::control {

class BoardLearner {
public:
    static constexpr std::int64_t kSeenEveryS = 60;

    BoardLearner(BoardDirectory& directory, SnapshotPublisher& publisher, InventoryStore* store, bool auto_discover)
        : directory_(directory), publisher_(publisher), store_(store), auto_discover_(auto_discover) {}

    // `model`: 4 or 5 from option 97, 0 unknown. `now`: unix seconds. `from`: where the message
    // came from ("relay 10.1.0.1", "interface eth1").
    void learn(std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip, int model, std::int64_t now,
               const std::string& from);
    // A finished boot's summary, kept as the board's last boot.
    void boot_finished(std::uint32_t serial, const std::string& summary);

    [[nodiscard]] std::uint64_t discovered() const noexcept { return discovered_; }

private:
    void remember(std::uint64_t mac, std::uint32_t serial, int model, std::int64_t now, const std::string& from,
                  bool fresh);

    BoardDirectory& directory_;
    SnapshotPublisher& publisher_;
    InventoryStore* store_;
    bool auto_discover_;
    std::unordered_map<std::uint32_t, std::int64_t> last_written_;  // serial -> when its sighting was stored
    std::uint64_t discovered_ = 0;
};

}  // namespace rackboot::control
