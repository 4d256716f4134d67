// The boot trees a request can be served from: the default tree (--tftp-root) and per-board trees
// keyed by Pi serial or MAC. Built once before the workers start and read by all of them; every
// file is opened beneath one of these directory handles, never by an absolute path.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/tftp_path.h"

namespace rackboot::dataplane {

struct BoardTreeSpec {
    proto::BootPrefix::Kind kind = proto::BootPrefix::Kind::Serial;
    std::uint32_t serial = 0;
    std::array<std::uint8_t, 6> mac{};
    std::string dir;
};

class BootTrees {
public:
    // Opens every directory; returns nullptr and says which one failed and why.
    static std::unique_ptr<BootTrees> open(const std::string& root, const std::vector<BoardTreeSpec>& boards,
                                           std::string& error);
    ~BootTrees();
    BootTrees(const BootTrees&) = delete;
    BootTrees& operator=(const BootTrees&) = delete;

    struct Resolved {
        int dirfd = -1;
        std::string_view path;  // relative to dirfd
    };
    // Picks the tree for a checked request path. A serial or MAC prefix with a mapped board goes
    // to that board's tree with the prefix removed; anything else is looked up in the default
    // tree as it is (so ROOT/SERIAL/file works without a mapping).
    [[nodiscard]] Resolved resolve(std::string_view checked_path) const noexcept;

    [[nodiscard]] const std::string& root_path() const noexcept { return root_path_; }
    [[nodiscard]] std::size_t board_count() const noexcept { return by_serial_.size() + by_mac_.size(); }

private:
    BootTrees() = default;
    int root_fd_ = -1;
    std::string root_path_;
    std::unordered_map<std::uint32_t, int> by_serial_;
    std::map<std::array<std::uint8_t, 6>, int> by_mac_;
    std::vector<int> fds_;
};

}  // namespace rackboot::dataplane
