#include "dataplane/rtt_guard.h"

#include <algorithm>

namespace rackboot::dataplane {

void RttGuard::update() noexcept {
    floor_ = *std::max_element(longest_.begin(), longest_.end());
}

void RttGuard::advance(proto::Nanos now) noexcept {
    std::int64_t second = now / proto::kSecond;
    if (second <= second_) return;
    if (second_ < 0 || second - second_ >= kSeconds) {
        longest_.fill(0);
    } else {
        for (std::int64_t s = second_ + 1; s <= second; ++s) longest_[static_cast<std::size_t>(s % kSeconds)] = 0;
    }
    second_ = second;
    update();
}

void RttGuard::raise(proto::Nanos floor, proto::Nanos now) noexcept {
    advance(now);
    proto::Nanos& slot = longest_[static_cast<std::size_t>(second_ % kSeconds)];
    if (floor <= slot) return;
    slot = floor;
    floor_ = std::max(floor_, floor);
}

}  // namespace rackboot::dataplane
