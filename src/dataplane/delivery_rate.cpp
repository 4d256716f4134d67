#include "dataplane/delivery_rate.h"

#include <algorithm>

namespace rackboot::dataplane {

void DeliveryRate::add(std::uint64_t bytes, proto::Nanos now) noexcept {
    advance(now);
    open_bytes_ += bytes;
}

void DeliveryRate::advance(proto::Nanos now) noexcept {
    std::int64_t bin = now / kBin;
    if (bin_ < 0) {
        bin_ = bin;
        return;
    }
    // After a silence longer than the window every cell is zero: skip to it.
    if (bin - bin_ > kWindowBins + kBinsPerSecond) {
        close_bin();
        bins_.fill(0);
        sums_.fill(0);
        second_ = 0;
        best_ = last_ = 0;
        measured_bins_ = 0;
        quiet_bins_ = kBinsPerSecond;
        bin_ = bin;
        return;
    }
    while (bin_ < bin) {
        close_bin();
        ++bin_;
    }
}

void DeliveryRate::close_bin() noexcept {
    std::uint64_t bytes = open_bytes_;
    open_bytes_ = 0;
    // A measurement begins with the first bytes after a quiet second.
    if (bytes > 0 && quiet_bins_ >= kBinsPerSecond) measured_bins_ = 0;
    quiet_bins_ = bytes == 0 ? quiet_bins_ + 1 : 0;
    if (bytes > 0 || measured_bins_ > 0) measured_bins_ = std::min(measured_bins_ + 1, kBinsPerSecond);
    int cell = head_ % kBinsPerSecond;
    second_ = second_ - bins_[static_cast<std::size_t>(cell)] + bytes;
    bins_[static_cast<std::size_t>(cell)] = bytes;
    // Only whole seconds count: a first bin that began just before the bytes did would make a
    // fraction of a second look like a slow path (or, scaled up, a fast one).
    sums_[static_cast<std::size_t>(head_ % kWindowBins)] = measured_bins_ >= kBinsPerSecond ? second_ : 0;
    head_ = (head_ + 1) % (kBinsPerSecond * kWindowBins);
    last_ = second_;
    best_ = *std::max_element(sums_.begin(), sums_.end());
}

}  // namespace rackboot::dataplane
