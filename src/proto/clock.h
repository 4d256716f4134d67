// Time as the engines see it: nanoseconds on a monotonic clock that the caller supplies, so tests
// drive the engines with a virtual clock.
#pragma once

#include <cstdint>

namespace rackboot::proto {

using Nanos = std::int64_t;

constexpr Nanos kMicrosecond = 1'000;
constexpr Nanos kMillisecond = 1'000'000;
constexpr Nanos kSecond = 1'000'000'000;

}  // namespace rackboot::proto
