// The control plane's view of boards for the dataplane: every board and image from the inventory,
// what DHCP taught (a MAC seen claiming a board that lists none, the address one of a board's
// own MACs got), and the --board MAC
// flags, kept in memory and turned into an immutable BootMap on demand (snapshot_publisher.h).
// Image directories are opened here (once per image, shared by every map that uses them), never
// on a worker. Thread-safe: the API thread writes, the control thread learns, the publisher builds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "control/store/inventory_store.h"
#include "dataplane/boot_map.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/result.h"
#include "proto/serial.h"

namespace rackboot::control {

struct RootExport {
    proto::Serial serial;
    BoardRoot root;
    std::vector<proto::Ipv4> addresses;
};

class BoardDirectory {
public:
    explicit BoardDirectory(std::shared_ptr<dataplane::TreeHandle> root) : root_(std::move(root)) {}

    // Reads every image and board.
    [[nodiscard]] proto::Result<> load(InventoryStore& store);
    // A MAC-prefixed --board flag (boards without a serial, outside the store).
    [[nodiscard]] proto::Result<> add_mac_tree(const dataplane::BoardTreeSpec& spec);

    void put_board(const Board& b);
    void remove_board(proto::Serial serial);
    // Where images may lie: beneath `root` (the --images-root, opened; `real` its resolved path,
    // as image paths are stored), or one of the --board directories given now. Before load().
    void set_images_root(std::shared_ptr<dataplane::TreeHandle> root, std::string real);
    void allow_flag_tree(const std::string& resolved_dir);
    // Opens the image's directory beneath the images root, refusing a symlink anywhere on the
    // way (or as the --board directory it is); one that cannot be opened, or lies elsewhere (an
    // older --images-root), is unavailable: its boards are served nothing ("not found"), and
    // `warning` and image_status() say why.
    void put_image(const Image& image, std::string& warning);
    // An img image opened and indexed as put_image will (it reuses this index when put next, if
    // the image has not changed since): the reason when it cannot be served. The API's check
    // before it stores one.
    [[nodiscard]] proto::Result<> prepare_image(const Image& image);
    // Opens every image again as put_image does (a directory swapped for a symlink, moved or
    // removed since; an img file renamed over or rewritten, which is indexed again, and counts a
    // new content generation): true when any changed, with a warning line each in `warnings`.
    bool recheck_images(std::vector<std::string>& warnings);
    struct ImageStatus {
        bool available = false;
        std::string reason;                    // why not
        std::string resolves_to;               // where the open directory or file lies now
        std::uint64_t content_generation = 0;  // 1 when put, one more at each change recheck_images saw
        std::int64_t changed_ms = 0;           // when this generation was put (unix ms)
        struct Indexed {                       // an img image's index
            unsigned partition = 0;
            std::string table;  // "mbr", "gpt"
            std::string fat;    // "fat12", "fat16", "fat32"
            std::size_t files = 0;
            unsigned unreadable_names = 0;
            std::uint64_t size = 0;
            std::int64_t mtime_ns = 0;
        };
        std::optional<Indexed> indexed;
    };
    [[nodiscard]] std::optional<ImageStatus> image_status(const std::string& name) const;
    void remove_image(const std::string& name);
    // What an answered DHCP message taught: `mac` claimed the board with `serial` (option 97),
    // and/or was given `ip` (unset: none). A claim is learnt only onto a board that lists no MACs and learns
    // (most recent first, at most kMaxLearntMacs); a board's address is learnt only from one of
    // its own MACs (configured, or learnt when it lists none), never from a claim against them.
    // True when that changed anything.
    bool learn(proto::Mac mac, std::optional<proto::Serial> serial, proto::Ipv4 ip);
    // The MACs the operator configured on a board (empty: none, or no such board).
    [[nodiscard]] std::vector<proto::Mac> configured_macs(proto::Serial serial) const;

    // Bumped by every change; the publisher builds when it moved.
    [[nodiscard]] std::uint64_t version() const;
    // The map of every board now. From `prev`, the map this directory built last, only what
    // changed since is built again (one board's change touches a few shards: sharded_table.h);
    // without it, or after a change to images or flag trees, the whole map.
    [[nodiscard]] std::unique_ptr<const dataplane::BootMap> build(const dataplane::BootMap* prev,
                                                                  std::uint64_t generation);
    [[nodiscard]] std::unique_ptr<const dataplane::BootMap> build(std::uint64_t generation) {
        return build(nullptr, generation);
    }
    // Every board's root, as the NBD and NFS servers export it: the root, and the addresses the
    // board has (configured, or last given by DHCP) that alone may reach it.
    [[nodiscard]] std::vector<RootExport> root_exports() const;
    // The img image's file, opened read-only (the caller closes it): what a root is made from;
    // the reason when the image is a directory, unknown or unavailable.
    [[nodiscard]] proto::Result<int> open_image_file(const std::string& name) const;
    [[nodiscard]] std::size_t board_count() const;
    [[nodiscard]] bool has_board(proto::Serial serial) const;
    [[nodiscard]] std::optional<proto::Serial> serial_of_mac(proto::Mac mac) const;

private:
    struct Entry {
        std::string image;
        bool netboot = true;
        bool learn = true;
        std::uint32_t pinned = 0;
        std::vector<std::uint64_t> macs;    // configured
        std::vector<std::uint64_t> learnt;  // from option 97, most recent first; used only when macs is empty
        std::uint32_t learnt_ip = 0;
        // What its own files render with (rendered_files.h); files: its own templates.
        std::string name;
        std::map<std::string, std::string> labels;
        std::map<std::string, std::string> files;
        std::optional<BoardRoot> root;  // its own root (kind and path)
    };
    void forget_macs(std::uint32_t serial, const Entry& e);
    // The board `mac` is (configured on it, or learnt onto one that lists none and still has it).
    [[nodiscard]] std::optional<std::uint32_t> owner_of(std::uint64_t mac) const;
    // What changed since the last build, for the next one (all of it after `dirty_all_`).
    void touch(std::uint32_t serial, const Entry& e);
    // Who the map says each key is, by the rules above (the same for a whole build and an edit).
    [[nodiscard]] std::optional<std::uint64_t> mac_owner(std::uint64_t mac) const;
    [[nodiscard]] std::optional<std::uint64_t> ip_owner(std::uint32_t ip) const;
    struct ImageDir {
        std::string path;  // as stored
        ImageKind kind = ImageKind::dir;
        std::optional<unsigned> partition;
        std::shared_ptr<dataplane::TreeHandle> dir;  // null: unavailable
        std::string reason;                          // why
        std::uint64_t content_generation = 0;
        std::int64_t changed_ms = 0;
        std::map<std::string, std::string> files;  // the image's own files (templates)
    };
    // `held`: the image's handle now, returned as is when an img's content has not changed.
    [[nodiscard]] proto::Result<std::shared_ptr<dataplane::TreeHandle>> open_tree(
        const Image& image, const std::shared_ptr<dataplane::TreeHandle>& held) const;
    [[nodiscard]] ImageDir open_image(const Image& image, const std::shared_ptr<dataplane::TreeHandle>& held) const;
    // The image's open directory as held (an empty one for none or an unknown name).
    [[nodiscard]] const ImageDir* image_dir(const std::string& name) const;
    void put_mapped(dataplane::BootMapEditor& ed, std::uint32_t serial, const Entry& e, const ImageDir* dir) const;
    // The board's own files (its image's and its own) with its values; null when it has none.
    [[nodiscard]] std::shared_ptr<const dataplane::BoardFiles> board_files(std::uint32_t serial, const Entry& e,
                                                                           const ImageDir* dir) const;

    mutable std::mutex mutex_;
    std::shared_ptr<dataplane::TreeHandle> root_;
    std::shared_ptr<dataplane::TreeHandle> images_root_;  // null: no --images-root
    std::string images_root_real_;
    std::vector<std::string> flag_trees_;
    std::unordered_map<std::uint32_t, Entry> boards_;  // by serial (the map decides no order)
    std::unordered_map<std::string, ImageDir> images_;
    std::shared_ptr<dataplane::TreeHandle> prepared_;  // prepare_image's, for the next put_image
    std::vector<std::pair<std::uint64_t, std::shared_ptr<dataplane::TreeHandle>>> mac_trees_;
    std::unordered_map<std::uint64_t, std::uint32_t> configured_by_mac_;
    std::unordered_map<std::uint64_t, std::uint32_t> learnt_by_mac_;  // the board it last claimed
    std::unordered_map<std::uint32_t, std::uint32_t> pinned_by_ip_;   // the board pinning it
    std::unordered_map<std::uint32_t, std::uint32_t> learnt_by_ip_;   // the board it was last given to
    std::uint64_t version_ = 1;
    // Changed since the last build (`built_version_`): boards, MACs and addresses to map again.
    std::uint64_t built_version_ = 0;
    bool dirty_all_ = true;
    std::unordered_set<std::uint32_t> dirty_boards_;
    std::unordered_set<std::uint64_t> dirty_macs_;
    std::unordered_set<std::uint32_t> dirty_ips_;
};

}  // namespace rackboot::control
