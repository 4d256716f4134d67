// The workers' clock: CLOCK_MONOTONIC in nanoseconds (vDSO, no system call).
#pragma once

#include <time.h>

#include "proto/clock.h"

namespace rackboot::dataplane {

[[nodiscard]] inline proto::Nanos monotonic_now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<proto::Nanos>(ts.tv_sec) * proto::kSecond + ts.tv_nsec;
}

}  // namespace rackboot::dataplane
