// The descriptor budget: what RLIMIT_NOFILE leaves for transfers once the daemon, the API and
// the block cache's files have theirs.
#include "rackbootd/fd_budget.h"

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(FdBudget, AGenerousLimitLeavesTheCapAlone) {
    FdDemand d;
    d.nofile = 1'048'576;
    d.workers = 4;
    d.api_connections = 64;
    FdBudget b = plan_fd_budget(d);
    EXPECT_TRUE(b.ok);
    EXPECT_FALSE(b.lowered);
    EXPECT_EQ(b.max_transfers, 20000u);
    EXPECT_EQ(b.cache_files, 4096u);
    EXPECT_TRUE(b.explanation.empty());
}

TEST(FdBudget, ALowLimitLowersTheCapAndSaysWhy) {
    FdDemand d;
    d.nofile = 20000;  // the hard limit the machine had
    d.workers = 1;
    d.api_connections = 64;
    FdBudget b = plan_fd_budget(d);
    EXPECT_TRUE(b.ok);
    EXPECT_TRUE(b.lowered);
    // 20000 - (64 + 8 + 129) = 19799; a quarter (4096 at most) for the cache; 2 per transfer.
    EXPECT_EQ(b.reserved, 201u);
    EXPECT_EQ(b.cache_files, 4096u);
    EXPECT_EQ(b.max_transfers, (19799u - 4096u) / 2);
    EXPECT_NE(b.explanation.find("RLIMIT_NOFILE 20000"), std::string::npos);
    EXPECT_NE(b.explanation.find("--max-transfers 20000"), std::string::npos);
    // DPDK transfers hold no socket: one descriptor each, so more fit.
    d.socket_backend = false;
    EXPECT_EQ(plan_fd_budget(d).max_transfers, 19799u - 4096u);
}

TEST(FdBudget, TooFewDescriptorsToServeIsRefused) {
    FdDemand d;
    d.nofile = 256;
    d.workers = 8;
    d.api_connections = 64;
    FdBudget b = plan_fd_budget(d);
    EXPECT_FALSE(b.ok);
    EXPECT_NE(b.explanation.find("too low"), std::string::npos);
}

}  // namespace
}  // namespace rackboot::control
