// Where boards and images live: a small interface, so that a shared PostgreSQL can later back
// several appliances with one inventory, and its SQLite implementation (WAL, synchronous=FULL:
// a write this returns ok for survives kill -9). Every write checks the rules of inventory.h and
// the cross-row ones (a board's image exists, a MAC or address belongs to one board, an image in
// use is not deleted) in one transaction, and bumps the row's generation (its ETag). Control
// thread only; workers never see the store, only snapshots built from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/store/inventory.h"
#include "proto/result.h"

namespace rackboot::control {

struct BoardFilter {
    std::string label_key;  // with label_value: boards carrying that label
    std::string label_value;
    std::string image;  // boards using that image
    std::optional<BoardState> state;
};

// What the appliance observed of a board: not part of its configuration, so recording it leaves
// the generation (ETag) alone.
struct Observation {
    std::string model;                     // kept only when the board has none
    std::int64_t seen = 0;                 // unix seconds; 0: not seen now
    std::optional<std::string> last_boot;  // the last boot's summary (JSON)
    // A MAC seen claiming the board's serial: recorded (first and last seen, from where) when the
    // board lists no MACs and learns, in the same transaction as the rest; `learnt` says whether it was.
    std::optional<LearntMac> learnt_mac;
};

class InventoryStore {
public:
    virtual ~InventoryStore() = default;

    [[nodiscard]] virtual Outcome create_image(Image& image) = 0;  // generation becomes 1
    [[nodiscard]] virtual Outcome get_image(const std::string& name, Image& out) = 0;
    [[nodiscard]] virtual Outcome list_images(std::vector<Image>& out) = 0;
    // Refused (conflict) while a board uses it.
    [[nodiscard]] virtual Outcome delete_image(const std::string& name, std::optional<std::uint64_t> if_match) = 0;
    [[nodiscard]] virtual Outcome boards_using(const std::string& image, std::size_t& count) = 0;
    // Replaces an image's own files (its generation moves on); `out`: the image as stored now.
    [[nodiscard]] virtual Outcome set_image_files(const std::string& name,
                                                  const std::map<std::string, std::string>& files,
                                                  std::optional<std::uint64_t> if_match, Image& out) = 0;

    [[nodiscard]] virtual Outcome create_board(Board& board) = 0;  // conflict when the serial exists
    // Replaces every field but the key; `if_match`: the generation the caller saw.
    [[nodiscard]] virtual Outcome replace_board(Board& board, std::optional<std::uint64_t> if_match) = 0;
    [[nodiscard]] virtual Outcome get_board(proto::Serial serial, Board& out) = 0;
    // Creates or replaces every board in one transaction: all or nothing (`failed`: the index of
    // the board that was refused). Generations move as for create and replace.
    [[nodiscard]] virtual Outcome put_boards(std::vector<Board>& boards, std::size_t& failed) = 0;
    // Records what was observed in one transaction, whatever generation the board is at (an
    // acknowledged change in between is never undone). `learnt`, when given: whether the MAC was
    // recorded on the board.
    [[nodiscard]] virtual Outcome observe_board(proto::Serial serial, const Observation& o, bool* learnt = nullptr) = 0;
    // Refused (conflict) while the board has a root: only clear_root lets a tenant's disk go.
    [[nodiscard]] virtual Outcome delete_board(proto::Serial serial, std::optional<std::uint64_t> if_match) = 0;
    // Records the board's root (conflict when it has one, not found without the board); a board
    // written again keeps it.
    [[nodiscard]] virtual Outcome set_root(proto::Serial serial, const BoardRoot& root) = 0;
    // Forgets it (not found when it has none); `out`: the root it had.
    [[nodiscard]] virtual Outcome clear_root(proto::Serial serial, BoardRoot& out) = 0;
    // Boards in serial order after `after`, at most `limit`.
    [[nodiscard]] virtual Outcome list_boards(const BoardFilter& filter, std::optional<proto::Serial> after,
                                              std::size_t limit, std::vector<Board>& out) = 0;
    // How many boards match (the discovery bound counts those in state "discovered").
    [[nodiscard]] virtual Outcome count_boards(const BoardFilter& filter, std::size_t& count) = 0;
};

// Told of every change the store made durable (the live directory the dataplane's maps are
// built from). Called after the write returned ok.
class InventoryObserver {
public:
    virtual ~InventoryObserver() = default;
    virtual void board_changed(const Board& board) = 0;
    // A board discovered from DHCP: live with the next batch, not waited for.
    virtual void board_discovered(const Board& board) = 0;
    virtual void board_removed(proto::Serial serial) = 0;
    virtual void boards_changed(const std::vector<Board>& boards) = 0;  // a bulk import
    virtual void image_changed(const Image& image) = 0;
    virtual void image_removed(const std::string& name) = 0;
};

// Opens (creating, and migrating to the current schema) the inventory at `path`; `read_only`
// (--check-config): the file must exist, and is read as it is, never created, migrated or written.
// Either way a file that is not SQLite, of a newer schema, or without the inventory's tables is
// refused with the same words.
[[nodiscard]] proto::Result<std::unique_ptr<InventoryStore>> open_sqlite_inventory(const std::string& path,
                                                                                   bool read_only = false);

// The schema version open_sqlite_inventory migrates to.
inline constexpr int kInventorySchemaVersion = 4;

}  // namespace rackboot::control
