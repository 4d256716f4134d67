// The control plane's view of boards for the dataplane: every board and image from the inventory,
// what DHCP taught (a MAC seen with a serial, the address a board got), and the --board MAC
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
#include <vector>

#include "control/store/inventory_store.h"
#include "dataplane/boot_map.h"

namespace rackboot::control {

class BoardDirectory {
public:
    explicit BoardDirectory(std::shared_ptr<dataplane::DirHandle> root) : root_(std::move(root)) {}

    // Reads every image and board; false with a reason when the store cannot be read.
    [[nodiscard]] bool load(InventoryStore& store, std::string& error);
    // A MAC-prefixed --board flag (boards without a serial, outside the store).
    [[nodiscard]] bool add_mac_tree(const dataplane::BoardTreeSpec& spec, std::string& error);

    void put_board(const Board& b);
    void remove_board(std::uint32_t serial);
    // Opens the image's directory; a directory that cannot be opened leaves the image's boards
    // served nothing (and says why in `warning`).
    void put_image(const Image& image, std::string& warning);
    void remove_image(const std::string& name);
    // What DHCP taught: `mac` belongs to the board with `serial` (option 97), and/or the board
    // that `mac` belongs to holds `ip`. True when that changed anything.
    bool learn(std::uint64_t mac, std::optional<std::uint32_t> serial, std::uint32_t ip);

    // Bumped by every change; the publisher builds when it moved.
    [[nodiscard]] std::uint64_t version() const;
    [[nodiscard]] std::unique_ptr<const dataplane::BootMap> build(std::uint64_t generation) const;
    [[nodiscard]] std::size_t board_count() const;
    [[nodiscard]] bool has_board(std::uint32_t serial) const;
    [[nodiscard]] std::optional<std::uint32_t> serial_of_mac(std::uint64_t mac) const;

private:
    struct Entry {
        std::string image;
        bool netboot = true;
        std::uint32_t pinned = 0;
        std::vector<std::uint64_t> macs;  // configured
        std::uint64_t learnt_mac = 0;     // from option 97, when not configured
        std::uint32_t learnt_ip = 0;
    };
    struct ImageDir {
        std::shared_ptr<dataplane::DirHandle> dir;  // null: could not be opened
    };

    mutable std::mutex mutex_;
    std::shared_ptr<dataplane::DirHandle> root_;
    std::map<std::uint32_t, Entry> boards_;
    std::unordered_map<std::string, ImageDir> images_;
    std::vector<std::pair<std::uint64_t, std::shared_ptr<dataplane::DirHandle>>> mac_trees_;
    std::unordered_map<std::uint64_t, std::uint32_t> serial_by_mac_;  // configured and learnt
    std::uint64_t version_ = 1;
};

}  // namespace rackboot::control
