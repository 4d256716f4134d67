// The EAL for the DPDK tests: one per process, started by whichever suite runs first (the others'
// calls are no-ops), without hugepages, PCI or shared files, so it runs unprivileged CI-style.
#pragma once

#include <unistd.h>

#include <string>

#include "dataplane/dpdk/port/dpdk_eal.h"
#include "proto/result.h"

namespace rackboot::test {

[[nodiscard]] inline proto::Result<> start_test_eal() {
    return dataplane::DpdkEal::init(
        "--no-huge -m 256 --no-pci --no-shconf --no-telemetry --log-level=error -l 0 "
        "--file-prefix rbtests" +
        std::to_string(getpid()));
}

}  // namespace rackboot::test
