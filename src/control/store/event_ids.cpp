#include "control/store/event_ids.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "control/store/small_file.h"

namespace rackboot::control {

proto::Result<EventIdStore> EventIdStore::open(const std::string& dir) {
    EventIdStore s;
    s.path_ = dir + "/event-ids";
    struct stat st {};
    if (::stat(s.path_.c_str(), &st) != 0) {
        if (errno == ENOENT) return s;
        return proto::failure("cannot read '" + s.path_ + "': " + std::strerror(errno));
    }
    std::string text = read_small_file(s.path_);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::uint64_t last = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), last);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || last == UINT64_MAX) {
        return proto::failure("'" + s.path_ +
                              "' holds no event id (a number): remove it to start the stream's ids afresh");
    }
    s.first_ = last + 1;
    return s;
}

proto::Result<> EventIdStore::record(std::uint64_t last) const {
    return write_file_atomically(path_, std::to_string(last) + "\n");
}

}  // namespace rackboot::control
