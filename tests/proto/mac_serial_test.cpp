// The value types for a board's names: Mac and Serial parse what operators and the firmware
// write, print one spelling each, and key tables by the same number everywhere.
#include <map>
#include <unordered_set>

#include <gtest/gtest.h>

#include "proto/mac.h"
#include "proto/serial.h"

namespace rackboot::proto {
namespace {

TEST(Mac, ParsesColonsOrDashesInEitherCase) {
    const Mac want{0xdc, 0xa6, 0x32, 0x01, 0x02, 0x0f};
    EXPECT_EQ(Mac::parse("dc:a6:32:01:02:0f"), want);
    EXPECT_EQ(Mac::parse("DC-A6-32-01-02-0F"), want);
    for (const char* bad : {"", "dc:a6:32:01:02", "dc:a6:32:01:02:0f:", "dc-a6:32:01:02:0f", "dc:a6:32:01:02:0g",
                            "dca632:01:02:0f", " dc:a6:32:01:02:0f", "dc:a6:32:01:02:f"}) {
        EXPECT_FALSE(Mac::parse(bad)) << bad;
    }
}

TEST(Mac, OneSpellingEachAndTheKeyRoundTrips) {
    const Mac m{0xdc, 0xa6, 0x32, 0x01, 0x02, 0x0f};
    EXPECT_EQ(m.to_string(), "dc:a6:32:01:02:0f");
    EXPECT_EQ(m.dashed(), "dc-a6-32-01-02-0f");
    EXPECT_EQ(m.key(), 0xdca63201020fULL);
    EXPECT_EQ(Mac::from_key(m.key()), m);
    EXPECT_EQ(Mac::from_key(0xffff'dca63201020fULL), m);  // only the low 48 bits
    EXPECT_EQ(Mac::from(m.data()), m);
    EXPECT_TRUE(Mac{}.unset());
    EXPECT_FALSE(m.unset());
    static_assert(Mac::from_key(0x0102030405060ULL).key() == 0x0102030405060ULL);
}

// Tables order and hash MACs by their key: a map and a set agree with the number.
TEST(Mac, OrdersAndHashesAsItsKey) {
    std::map<Mac, int> by_mac{{Mac::from_key(2), 2}, {Mac::from_key(0x010000000000ULL), 3}, {Mac::from_key(1), 1}};
    int last = 0;
    for (const auto& [mac, n] : by_mac) {
        EXPECT_GT(n, last) << mac.to_string();
        last = n;
    }
    std::unordered_set<Mac> seen{Mac::from_key(7), Mac::from_key(7), Mac::from_key(8)};
    EXPECT_EQ(seen.size(), 2u);
}

TEST(Serial, EightDigitsInAPathSixteenFromAnOperator) {
    EXPECT_EQ(Serial::parse("8f3a21c0"), Serial(0x8f3a21c0));
    EXPECT_EQ(Serial::parse("8F3A21C0"), Serial(0x8f3a21c0));
    for (const char* bad : {"", "8f3a21c", "8f3a21c00", "8f3a21cg", "100000008f3a21c0", "-f3a21c0"}) {
        EXPECT_FALSE(Serial::parse(bad)) << bad;
    }
    std::string full;
    EXPECT_EQ(Serial::parse_full("100000008F3A21C0", &full), Serial(0x8f3a21c0));
    EXPECT_EQ(full, "100000008f3a21c0");
    EXPECT_EQ(Serial::parse_full("8f3a21c0"), Serial(0x8f3a21c0));
    for (const char* bad : {"8f3a21c", "100000008f3a21c", "10000000zf3a21c0"}) {
        EXPECT_FALSE(Serial::parse_full(bad)) << bad;
    }
}

TEST(Serial, PrintsEightLowercaseDigits) {
    EXPECT_EQ(Serial(0x8f3a21c0).to_string(), "8f3a21c0");
    EXPECT_EQ(Serial(0xa).to_string(), "0000000a");
    EXPECT_LT(Serial(1), Serial(2));
    EXPECT_EQ(std::hash<Serial>{}(Serial(5)), std::hash<std::uint32_t>{}(5));
}

}  // namespace
}  // namespace rackboot::proto
