// The TFTP table (tests/support/tftp_cases.cpp) against TftpService itself: a fake transport that
// records what the service sends, a virtual clock, and the real block cache on a scratch tree.
#include <cerrno>

#include <gtest/gtest.h>

#include "dataplane/service_harness.h"
#include "support/tftp_table.h"

namespace rackboot::dataplane {
namespace {

class TftpTable : public ::testing::TestWithParam<std::size_t> {
protected:
    static void SetUpTestSuite() {
        tree_ = std::make_unique<test::TableTree>("service");
        ASSERT_TRUE(tree_->trees) << tree_->error;
    }
    static void TearDownTestSuite() { tree_.reset(); }
    static inline std::unique_ptr<test::TableTree> tree_;
};

TEST_P(TftpTable, ServiceAnswersAsTheTableSays) {
    const test::TftpCase& c = test::tftp_cases()[GetParam()];
    ServiceHarness h(tree_->trees.get(), &c);
    std::string diff = test::run_tftp_case(c, h, 1'000'000'000);
    EXPECT_TRUE(diff.empty()) << c.description << '\n' << diff;
}

// Out of descriptors is capacity (a refusal to retry), not a broken file: a TID the backend could
// not open for want of descriptors (EMFILE or ENFILE on sockets) is counted as `descriptors`,
// another failure as socket_error.
TEST_F(TftpTable, OutOfDescriptorsIsCapacityNotAReadError) {
    ServiceHarness h(tree_->trees.get());
    test::Bytes req = test::rrq("config.txt");
    for (TidOpen why : {TidOpen::out_of_descriptors, TidOpen::out_of_descriptors, TidOpen::failed}) {
        h.transport().fail_open = why;
        h.deliver(7000, test::TftpHarness::kWellKnownPort, req, 0);
        std::vector<TftpSent> sent = h.take_sent();
        ASSERT_EQ(sent.size(), 1u);
        EXPECT_EQ(sent[0].payload, test::error(0, "server busy, try again"));
    }
    const WorkerCounters& c = h.counters();
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::descriptors)].get(), 2u);
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::socket_error)].get(), 1u);
    EXPECT_EQ(c.tftp_drops[static_cast<std::size_t>(TftpDrop::read_error)].get(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, TftpTable, ::testing::Range<std::size_t>(0, test::tftp_cases().size()));

}  // namespace
}  // namespace rackboot::dataplane
