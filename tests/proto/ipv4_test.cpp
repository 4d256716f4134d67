#include "proto/ipv4.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

namespace rackboot::proto {
namespace {

// Host order inside, network order only through network()/from_network(), as the socket API has it.
TEST(Ipv4, HostOrderInsideNetworkOrderAtTheEdge) {
    Ipv4 a(0x0a000001);
    EXPECT_EQ(a.value(), 0x0a000001u);
    EXPECT_EQ(a.network(), htonl(0x0a000001));
    EXPECT_EQ(Ipv4::from_network(htonl(0xc0a80102)), Ipv4(0xc0a80102));
    EXPECT_EQ(a.to_string(), "10.0.0.1");
    EXPECT_TRUE(Ipv4().unset());
    EXPECT_FALSE(a.unset());
    EXPECT_LT(Ipv4(1), Ipv4(2));
    EXPECT_EQ(Ipv4::broadcast().to_string(), "255.255.255.255");
}

TEST(Ipv4, ParsesDottedQuadsOnly) {
    EXPECT_EQ(Ipv4::parse("192.168.1.254"), Ipv4(0xc0a801fe));
    EXPECT_EQ(Ipv4::parse("0.0.0.0"), Ipv4());
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "a.b.c.d",
                            "01.2.3.4", "-1.2.3.4", "1.2.3.4/24", "localhost"}) {
        EXPECT_FALSE(Ipv4::parse(bad)) << bad;
        in_addr x{};
        EXPECT_EQ(inet_pton(AF_INET, bad, &x), 0) << "inet_pton takes " << bad << " and we do not";
    }
}

}  // namespace
}  // namespace rackboot::proto
