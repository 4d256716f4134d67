// The common backend configuration: what each worker's TFTP service gets from it.
#include <gtest/gtest.h>

#include "dataplane/backend.h"

namespace rackboot::dataplane {
namespace {

// --max-transfers is the cap in all: every worker's table can hold all of it (one client
// address, one worker), the shared counter enforces it, and only what the backend can address
// per worker (the DPDK TID range) makes a table smaller.
TEST(BackendConfig, EveryWorkerCanHoldTheWholeCap) {
    BackendCommon common;
    common.workers = 4;
    common.max_transfers = 6;
    common.cache_bytes = 400u << 20;
    std::atomic<std::int64_t> active{0};
    for (std::uint32_t w = 0; w < 4; ++w) {
        TftpServiceConfig c = tftp_service_config(common, w, active);
        EXPECT_EQ(c.id, w);
        EXPECT_EQ(c.max_transfers, 6u);
        EXPECT_EQ(c.global_cap, 6);
        EXPECT_EQ(c.global_active, &active);
        EXPECT_EQ(c.cache.budget_bytes, 400u << 20);  // one cache for all: each worker's view of it
        EXPECT_EQ(c.cache.worker, w);
    }
    common.max_transfers = 20000;
    EXPECT_EQ(tftp_service_config(common, 3, active, (65536 - 1024) / 4).max_transfers, 16128u);
    EXPECT_EQ(tftp_service_config(common, 3, active, (65536 - 1024) / 4).global_cap, 20000);
}

}  // namespace
}  // namespace rackboot::dataplane
