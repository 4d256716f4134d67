// Worker CPU choice over synthetic hwloc topologies: two packages, each its own NUMA node, four
// cores of two hardware threads each (PUs 0-7 on node 0, 8-15 on node 1).
#include "dataplane/cpu_affinity.h"

#include <gtest/gtest.h>

namespace rackboot::dataplane {
namespace {

constexpr const char* kTwoNodes = "pack:2 numa:1 core:4 pu:2";

TEST(CpuAffinity, WorkersGoToThePortsNumaNode) {
    EXPECT_EQ(pick_worker_cpus(2, 1, kTwoNodes), (std::vector<int>{8, 10}));
    EXPECT_EQ(pick_worker_cpus(5, 1, kTwoNodes), (std::vector<int>{8, 10, 12, 14, 8}));  // wraps on its node
    // Node 0 holds the control thread's first core: it is left out while there are enough.
    EXPECT_EQ(pick_worker_cpus(2, 0, kTwoNodes), (std::vector<int>{2, 4}));
}

TEST(CpuAffinity, AnyNodeOrAnUnknownOneUsesEveryCore) {
    EXPECT_EQ(pick_worker_cpus(3, -1, kTwoNodes), (std::vector<int>{2, 4, 6}));
    EXPECT_EQ(pick_worker_cpus(3, 7, kTwoNodes), (std::vector<int>{2, 4, 6}));
    EXPECT_EQ(pick_worker_cpus(8, -1, kTwoNodes), (std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14}));
}

}  // namespace
}  // namespace rackboot::dataplane
