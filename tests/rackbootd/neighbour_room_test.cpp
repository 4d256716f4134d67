// The socket backend's warning when its DHCP pool outgrows the kernel's neighbour table.
#include "rackbootd/neighbour_room.h"

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

TEST(NeighbourRoom, APoolLargerThanTheTableIsWarnedAboutWithTheFix) {
    std::string w = neighbour_room_warning(2000, 1024);
    EXPECT_NE(w.find("1024 entries"), std::string::npos) << w;
    EXPECT_NE(w.find("2000 addresses"), std::string::npos) << w;
    EXPECT_NE(w.find("gc_thresh3"), std::string::npos) << w;
    EXPECT_NE(w.find("99-rackboot.conf"), std::string::npos) << w;
}

TEST(NeighbourRoom, APoolThatFitsOrAnUnknownLimitSaysNothing) {
    EXPECT_EQ(neighbour_room_warning(1024, 1024), "");
    EXPECT_EQ(neighbour_room_warning(100, 16384), "");
    EXPECT_EQ(neighbour_room_warning(100000, 0), "");
}

TEST(NeighbourRoom, TheKernelsLimitIsRead) {
    // Every Linux has the setting; its value is the host's, so only its presence is checked.
    EXPECT_GT(kernel_neighbour_limit(), 0u);
}

}  // namespace
}  // namespace rackboot::control
