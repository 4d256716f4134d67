// The event stream's ids, kept growing across restarts (a client resumes with Last-Event-ID and
// must never be handed an id it saw before). Ids are used from reserved blocks: the end of a
// block is written, atomically, before its first id goes out, and a clean stop writes the last id
// used; the next run starts after what the file says. After a crash the ids left in the block
// are skipped: a gap, never a repeat.
#pragma once

#include <cstdint>
#include <string>

#include "proto/result.h"

namespace rackboot::control {

class EventIdStore {
public:
    static constexpr std::uint64_t kBlock = 16384;

    // Reads DIR/event-ids; absent, ids start at 1. A file that holds no number refuses to start.
    [[nodiscard]] static proto::Result<EventIdStore> open(const std::string& dir);

    // The first id this run hands out.
    [[nodiscard]] std::uint64_t first_id() const noexcept { return first_; }
    // Records that ids up to `last` may be used (or, at a clean stop, were the last used).
    [[nodiscard]] proto::Result<> record(std::uint64_t last) const;
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    std::uint64_t first_ = 1;
};

}  // namespace rackboot::control
