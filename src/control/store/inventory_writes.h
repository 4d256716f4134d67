// One write path for live state (STYLE.md "One write path per piece of live state"): every caller
// that changes boards or images (a REST handler, an import, the learner discovering a board, the
// bootstrap writing a --board flag) goes through this service, which does the same four things
// in the same order: the store's transaction (durable when it returns ok), the live side told of
// it (the directory, and a boot map published: waited for, or batched for a discovery), and one
// audit line naming the actor. Control and API threads; the store and the live side are each
// safe to call from either.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/store/inventory_store.h"

namespace rackboot::control {

// Who made a change, as the audit line names it.
struct Actor {
    enum class Kind : std::uint8_t { token, learner, bootstrap };
    Kind kind = Kind::token;
    std::string id;      // the API token's id (a hash: never the token); empty otherwise
    std::string action;  // the HTTP method, "import", "discover" or "flag"
};

class InventoryWrites {
public:
    // `live` may be null (nothing is served from the store: tests, --check-config).
    explicit InventoryWrites(InventoryStore& store, InventoryObserver* live = nullptr) : store_(store), live_(live) {}

    void set_live(InventoryObserver* live) noexcept { live_ = live; }
    // Where audit lines go (default: stdout, the event log).
    void set_audit_sink(std::function<void(const std::string&)> sink) { audit_sink_ = std::move(sink); }

    [[nodiscard]] Outcome create_board(Board& board, const Actor& who);
    // `before`: the generation the caller read (the audit line's "before").
    [[nodiscard]] Outcome replace_board(Board& board, std::optional<std::uint64_t> if_match, std::uint64_t before,
                                        const Actor& who);
    [[nodiscard]] Outcome delete_board(proto::Serial serial, std::optional<std::uint64_t> if_match, const Actor& who);
    // Every board in one transaction (`failed`: the one refused); one audit line each.
    [[nodiscard]] Outcome put_boards(std::vector<Board>& boards, std::size_t& failed, const Actor& who);
    // A board the learner made of an unknown serial: published with the next batch, not waited for.
    [[nodiscard]] Outcome discover_board(Board& board, const Actor& who);
    [[nodiscard]] Outcome create_image(Image& image, const Actor& who);
    [[nodiscard]] Outcome delete_image(const std::string& name, std::optional<std::uint64_t> if_match,
                                       const Actor& who);
    // An image's own files replaced, once every board on it renders them whole (rendered_files.h).
    [[nodiscard]] Outcome set_image_files(const std::string& name, const std::map<std::string, std::string>& files,
                                          std::optional<std::uint64_t> if_match, Image& out, const Actor& who);

    // A board's root recorded or forgotten (its disk is made and removed by control/roots); `out`:
    // the board as stored now, or the root it had.
    [[nodiscard]] Outcome set_root(proto::Serial serial, const BoardRoot& root, Board& out, const Actor& who);
    [[nodiscard]] Outcome clear_root(proto::Serial serial, BoardRoot& out, const Actor& who);

    [[nodiscard]] InventoryStore& store() noexcept { return store_; }

private:
    // What the board would be served of its own files renders whole (rendered_files.h); `seen`:
    // images read already (by name; an empty name for none), for a bulk write.
    [[nodiscard]] Outcome files_servable(const Board& board, std::map<std::string, Image>* seen = nullptr);
    void audit(const Actor& who, const std::string& resource, std::uint64_t before, std::uint64_t after) const;

    InventoryStore& store_;
    InventoryObserver* live_;
    std::function<void(const std::string&)> audit_sink_;
};

}  // namespace rackboot::control
