// What the DPDK table suites share: the test EAL, one mbuf pool and the tables' boot tree, made
// once per process by whichever suite runs first.
#pragma once

#include <rte_mbuf.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/test_eal.h"
#include "support/tftp_table_runner.h"

namespace rackboot::test {

struct DpdkTableEnv {
    rte_mempool* pool = nullptr;
    std::unique_ptr<TableTree> tree;
};

// Fails the calling test (and returns nullptr) when any of it cannot be made.
inline DpdkTableEnv* dpdk_table_env() {
    static DpdkTableEnv env;
    static std::string error = [] {
        if (auto eal = start_test_eal(); !eal) return "EAL: " + eal.error().reason;
        env.pool = rte_pktmbuf_pool_create("table_pool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        if (env.pool == nullptr) return std::string("no mbuf pool");
        env.tree = std::make_unique<TableTree>("dpdk");
        return env.tree->trees ? std::string() : env.tree->error;
    }();
    if (!error.empty()) {
        ADD_FAILURE() << error;
        return nullptr;
    }
    return &env;
}

}  // namespace rackboot::test
