// The block cache made readable by a NIC: DmaRegion registers memory with DPDK as external
// memory and maps it for the port's device (here a vdev, whose bus takes the mapping; under
// vfio-pci the same call programs the IOMMU), and undoes both; a worker that sends DATA zero-copy
// holds its cache arena registered for as long as it lives.
#include "dataplane/dpdk/port/dpdk_dma.h"

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_memory.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "support/test_eal.h"
#include "support/unwrap.h"

namespace rackboot::dataplane {
namespace {

class DpdkDma : public ::testing::Test {
protected:
    void SetUp() override {
        auto eal = test::start_test_eal();
        ASSERT_TRUE(eal) << test::reason(eal);
        ASSERT_EQ(rte_vdev_init("net_null_dma0", "no-rx=1"), 0);
        ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null_dma0", &port_), 0);
        mem_ = mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        ASSERT_NE(mem_, MAP_FAILED);
    }
    void TearDown() override {
        rte_vdev_uninit("net_null_dma0");
        munmap(mem_, kLen);
    }
    static bool known_to_dpdk(const void* p) {
        const rte_memseg_list* msl = rte_mem_virt2memseg_list(p);
        return msl != nullptr && msl->external != 0;
    }

    static constexpr std::size_t kLen = 4u << 20;
    std::uint16_t port_ = 0;
    void* mem_ = nullptr;
};

TEST_F(DpdkDma, RegistersAndMapsForTheDeviceThenUndoesBoth) {
    EXPECT_FALSE(known_to_dpdk(mem_));
    {
        auto r = test::unwrap(DmaRegion::create(port_, mem_, kLen));
        ASSERT_TRUE(r);
        EXPECT_TRUE(r->mapped()) << "the vdev bus takes DMA mappings";
        EXPECT_TRUE(known_to_dpdk(mem_));
        EXPECT_TRUE(known_to_dpdk(static_cast<char*>(mem_) + kLen - 1));
        // The same memory cannot be registered twice: the first registration is real.
        auto again = DmaRegion::create(port_, mem_, kLen);
        EXPECT_FALSE(again);
        EXPECT_NE(test::reason(again).find("cannot register the block cache (4 MiB) with DPDK for DMA"),
                  std::string::npos)
            << test::reason(again);
        EXPECT_TRUE(known_to_dpdk(mem_)) << "a failed second registration left the first alone";
    }
    EXPECT_FALSE(known_to_dpdk(mem_)) << "unregistered with the region";
    // And it can be registered again afterwards (nothing was left behind).
    auto r = DmaRegion::create(port_, mem_, kLen);
    EXPECT_TRUE(r) << test::reason(r);
}

TEST_F(DpdkDma, RefusesPartialPages) {
    auto partial = DmaRegion::create(port_, static_cast<char*>(mem_) + 64, kLen - 4096);
    EXPECT_FALSE(partial);
    EXPECT_NE(test::reason(partial).find("not whole pages"), std::string::npos) << test::reason(partial);
    EXPECT_FALSE(DmaRegion::create(port_, mem_, 1000));
    EXPECT_FALSE(known_to_dpdk(mem_));
}

}  // namespace
}  // namespace rackboot::dataplane
