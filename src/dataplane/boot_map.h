// The boot map: which tree a request is served from, and what DHCP knows of each board. One
// immutable snapshot, built by the control plane from its inventory (boards, images, what DHCP
// taught it) and published to every worker (snapshot_cell.h); workers only read it, with no lock.
// Every file is opened beneath one of its directory handles, never by an absolute path.
//
// Resolution (DESIGN.md, "Control plane"): SERIAL/path through the board with that serial;
// aa-bb-cc-dd-ee-ff/path through the board listing that MAC; an unprefixed path from an address a
// board holds (its pinned IP, or the address DHCP gave one of its own MACs) from that board's
// image; anything else from the default tree as it is (so ROOT/SERIAL/file works unmapped). A
// board with netboot off resolves to nothing ("not found"), so the Pi falls back as if unknown.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/board_files.h"
#include "dataplane/sharded_table.h"
#include "dataplane/tree_handle.h"
#include "proto/dhcp_leases.h"
#include "proto/result.h"
#include "proto/tftp_path.h"

namespace rackboot::dataplane {

// What a --board flag maps (bootstrap): a serial or MAC prefix to a directory.
struct BoardTreeSpec {
    proto::BootPrefix::Kind kind = proto::BootPrefix::Kind::Serial;
    proto::Serial serial;
    proto::Mac mac{};
    std::string dir;
};

// One board as the dataplane sees it: 16 bytes (24 with its key in a shard).
struct MappedBoard {
    std::int32_t dirfd = -1;          // its image's tree (a directory or a disk image); -1: none (the default tree)
    std::uint32_t serial_number = 0;  // serial() when has_serial (kept apart: 16 bytes in all)
    proto::Ipv4 ip;                   // pinned address (a DHCP reservation in server mode); unset: none
    bool has_serial = false;
    bool netboot = true;
    bool lists_macs = false;  // the operator configured its MACs: it is matched by them alone
    bool image = false;       // dirfd is a disk image's (BootMap::Resolved::image), not a directory
    [[nodiscard]] std::optional<proto::Serial> serial() const noexcept {
        return has_serial ? std::optional<proto::Serial>(proto::Serial(serial_number)) : std::nullopt;
    }
    bool operator==(const MappedBoard&) const = default;
};

// Who a DHCP client is (BootMap::identify). What the operator configured outranks what a client
// claims: a board that lists MACs is that client only by one of them; option 97's serial names
// only a board that lists none. A claim against that is a conflict, and is not answered.
struct ClientIdentity {
    const MappedBoard* board = nullptr;     // the board the client is, if any
    const MappedBoard* conflict = nullptr;  // set: the claim contradicts this board's configured MACs
    bool by_mac = false;                    // matched by a MAC the operator configured
};

// Where a board is kept in the map: its serial, or (a board without one: a MAC-prefixed --board
// flag) its MAC with the top bit set.
[[nodiscard]] constexpr std::uint64_t board_key(proto::Serial serial) noexcept {
    return serial.value();
}
[[nodiscard]] constexpr std::uint64_t mac_board_key(std::uint64_t mac) noexcept {
    return mac | (1ULL << 63);
}

class BootMap final : public proto::ReservationSource {
public:
    struct Resolved {
        int dirfd = -1;  // -1: nothing to serve (the board has netboot off)
        std::string_view path;
        const MappedBoard* board = nullptr;  // the board the request resolved through, if any
        // Set: the path is looked up in this disk image's index (dirfd is the image's), not opened.
        const TreeHandle* image = nullptr;
        // The board's own files (templates), looked at before its tree, by `own_path` (the path
        // without its serial or MAC prefix); null: none.
        const BoardFiles* files = nullptr;
        std::string_view own_path;
    };
    // Picks the tree for a checked, normalised request path from `client` (host order).
    [[nodiscard]] Resolved resolve(std::string_view checked_path, proto::Ipv4 client) const noexcept;

    [[nodiscard]] const MappedBoard* by_serial(proto::Serial serial) const noexcept;
    [[nodiscard]] const MappedBoard* by_mac(proto::Mac mac) const noexcept;
    [[nodiscard]] const MappedBoard* by_ip(proto::Ipv4 ip) const noexcept;
    // Who a DHCP client is, by its MAC and its option 97 serial (see ClientIdentity).
    [[nodiscard]] ClientIdentity identify(proto::Mac mac, std::optional<proto::Serial> serial) const noexcept;

    // proto::ReservationSource: boards' pinned addresses, for the client identify() names.
    [[nodiscard]] std::optional<proto::Reservation> reserved_for(
        proto::Mac mac, std::optional<proto::Serial> serial) const noexcept override;
    [[nodiscard]] bool reserved(proto::Ipv4 ip) const noexcept override;

    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
    // The version of its source it was built from (the board directory's), for the next edit.
    [[nodiscard]] std::uint64_t revision() const noexcept { return revision_; }
    [[nodiscard]] std::size_t board_count() const noexcept { return count_; }
    [[nodiscard]] int root_fd() const noexcept { return root_->fd(); }
    [[nodiscard]] const std::string& root_path() const noexcept { return root_->path(); }
    // Heap bytes this snapshot holds (the boards and their indexes, shards shared with other
    // snapshots included).
    [[nodiscard]] std::size_t memory_bytes() const noexcept;
    // Shards of its board table (a map edited far past its size is better built again).
    [[nodiscard]] std::size_t board_shards() const noexcept { return boards_.shards(); }
    // Of this map's shards (boards, MACs, addresses), how many `other` holds too, and how many
    // there are: what an edit built again is the difference.
    [[nodiscard]] std::pair<std::size_t, std::size_t> shards_shared_with(const BootMap& other) const noexcept;

private:
    friend class BootMapBuilder;
    friend class BootMapEditor;
    BootMap() = default;
    // Fills images_ from dirs_.
    void index_images();
    [[nodiscard]] const MappedBoard* board_at(const std::uint64_t* key) const noexcept {
        return key == nullptr ? nullptr : boards_.find(*key);
    }

    std::uint64_t generation_ = 0;
    std::uint64_t revision_ = 0;
    std::size_t count_ = 0;
    std::shared_ptr<TreeHandle> root_;
    ShardedTable<MappedBoard> boards_;                       // board key -> board
    ShardedTable<std::uint64_t> by_mac_;                     // MAC -> board key
    ShardedTable<std::uint64_t> by_ip_;                      // address -> board key
    ShardedTable<std::shared_ptr<const BoardFiles>> files_;  // board key -> its own files (boards with any)
    std::vector<std::shared_ptr<TreeHandle>> dirs_;          // every image tree a board here is served from
    std::vector<std::pair<int, const TreeHandle*>> images_;  // the disk images among them, by descriptor
};

// Collects boards, then builds one BootMap. Control thread only.
class BootMapBuilder {
public:
    explicit BootMapBuilder(std::shared_ptr<TreeHandle> root) : root_(std::move(root)) {}
    void reserve(std::size_t boards);
    // `dir` null: the board has no image (served from the default tree). `macs`: configured;
    // `learnt`: learnt from DHCP, used only when it lists none, and outranked by any board's
    // configured one. `ips`: addresses it holds (the pinned one goes in `pinned`); a MAC or
    // address already taken by an earlier board is kept by that board.
    void add(std::optional<proto::Serial> serial, const std::shared_ptr<TreeHandle>& dir, bool netboot,
             std::uint32_t pinned, std::span<const std::uint64_t> macs, std::span<const std::uint32_t> ips,
             std::span<const std::uint64_t> learnt = {});
    [[nodiscard]] std::unique_ptr<const BootMap> build(std::uint64_t generation);

private:
    std::shared_ptr<TreeHandle> root_;
    std::vector<std::pair<std::uint64_t, MappedBoard>> boards_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> macs_;    // MAC, board key
    std::vector<std::pair<std::uint64_t, std::uint64_t>> learnt_;  // MAC, board key
    std::vector<std::pair<std::uint32_t, std::uint64_t>> ips_;     // address, board key
    std::vector<std::shared_ptr<TreeHandle>> dirs_;
};

// A map made by edits: the next map from the current one (the shards the edits touch are built
// again, the rest shared: sharded_table.h), or a new one sized for what will be put. The caller
// says who owns each key; no precedence is applied here. Control thread only.
class BootMapEditor {
public:
    explicit BootMapEditor(const BootMap& base);
    BootMapEditor(std::shared_ptr<TreeHandle> root, std::size_t boards, std::size_t macs, std::size_t ips);
    // A key put twice keeps its last value. (A new map takes puts only.)
    void put_board(std::uint64_t key, const MappedBoard& b, const std::shared_ptr<TreeHandle>& dir);
    void erase_board(std::uint64_t key) { boards_.erase(key); }
    void put_mac(std::uint64_t mac, std::uint64_t key);
    void erase_mac(std::uint64_t mac) { macs_.erase(mac); }
    void put_ip(std::uint32_t ip, std::uint64_t key);
    void erase_ip(std::uint32_t ip) { ips_.erase(ip); }
    // A board's own files (null: none, as erase_files).
    void put_files(std::uint64_t key, std::shared_ptr<const BoardFiles> files);
    void erase_files(std::uint64_t key) { files_.erase(key); }
    // `revision`: what the caller built it from (BootMap::revision()). Once.
    [[nodiscard]] std::unique_ptr<const BootMap> build(std::uint64_t generation, std::uint64_t revision);

private:
    std::unique_ptr<BootMap> next_;
    // A new map's entries, filled into its shards at build (no edit to merge with).
    bool fresh_ = false;
    std::vector<ShardedTable<MappedBoard>::Slot> fresh_boards_;
    std::vector<ShardedTable<std::uint64_t>::Slot> fresh_macs_;
    std::vector<ShardedTable<std::uint64_t>::Slot> fresh_ips_;
    std::vector<ShardedTable<std::shared_ptr<const BoardFiles>>::Slot> fresh_files_;
    ShardedTable<MappedBoard>::Edit boards_;
    ShardedTable<std::uint64_t>::Edit macs_;
    ShardedTable<std::uint64_t>::Edit ips_;
    ShardedTable<std::shared_ptr<const BoardFiles>>::Edit files_;
};

// A map built from the flags alone (tests, --check-config): the root and the --board trees.
[[nodiscard]] proto::Result<std::unique_ptr<const BootMap>> static_boot_map(const std::string& root,
                                                                            const std::vector<BoardTreeSpec>& boards);

}  // namespace rackboot::dataplane
