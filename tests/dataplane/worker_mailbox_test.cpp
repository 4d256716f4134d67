// The mailbox into a worker: one typed request at a time, answered at the worker's quiescent
// point; an asker that gives up leaves the worker's answer harmless to the next one.
#include "dataplane/worker_mailbox.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

namespace rackboot::dataplane {
namespace {

// A worker with `live` transfers; counts what it was asked.
struct FakeDesk {
    std::size_t live = 0;
    int listed = 0;
    std::vector<proto::Ipv4> released;

    std::size_t list_transfers(TransferView* out, std::size_t room, bool& more) noexcept {
        ++listed;
        std::size_t n = live < room ? live : room;
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = TransferView{};
            out[i].client = proto::Ipv4(0x0a000001 + static_cast<std::uint32_t>(i));
            out[i].serial = proto::Serial(0x1a2b3c4d);
            std::strcpy(out[i].file, "start4.elf");
        }
        more = live > room;
        return n;
    }
    LeaseReleaseStep release_lease(proto::Ipv4 ip) noexcept {
        released.push_back(ip);
        return {proto::LeaseRelease::released, 7};
    }
};

// The worker's loop: answers at each pass until stopped.
class Worker {
public:
    Worker(WorkerMailbox& box, FakeDesk& desk)
        : thread_([this, &box, &desk] {
              while (!stop_.load()) {
                  if (box.pending()) box.serve(desk);
                  std::this_thread::sleep_for(std::chrono::microseconds(50));
              }
          }) {}
    ~Worker() {
        stop_ = true;
        thread_.join();
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST(WorkerMailbox, EachRequestIsAnsweredByTheWorkerWithItsOwnKindOfAnswer) {
    WorkerMailbox box(100);
    FakeDesk desk;
    desk.live = 3;
    Worker worker(box, desk);
    std::optional<TransferList> list = box.list_transfers(2000);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->views.size(), 3u);
    EXPECT_FALSE(list->truncated);
    EXPECT_EQ(list->views[2].client, proto::Ipv4(0x0a000003));
    EXPECT_EQ(list->views[0].serial, proto::Serial(0x1a2b3c4d));
    std::optional<LeaseReleaseStep> step = box.release_lease(proto::Ipv4(0x0a0000fe), 2000);
    ASSERT_TRUE(step);
    EXPECT_EQ(step->outcome, proto::LeaseRelease::released);
    EXPECT_EQ(step->seq, 7u);
}

TEST(WorkerMailbox, AListIsBoundedByTheBufferSizedAtStartAndSaysSo) {
    WorkerMailbox box(WorkerMailbox::kMaxListed * 2);  // a larger table still lists kMaxListed
    FakeDesk desk;
    desk.live = WorkerMailbox::kMaxListed + 1;
    Worker worker(box, desk);
    std::optional<TransferList> list = box.list_transfers(2000);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->views.size(), WorkerMailbox::kMaxListed);
    EXPECT_TRUE(list->truncated);
}

TEST(WorkerMailbox, AStuckWorkerTimesOutAndItsLateAnswerDoesNotReachTheNextAsker) {
    WorkerMailbox box(16);
    FakeDesk desk;
    desk.live = 2;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(box.list_transfers(50));  // nobody serves
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
    EXPECT_FALSE(box.release_lease(proto::Ipv4(0x0a000001), 20));  // the first is still unanswered
    EXPECT_TRUE(desk.released.empty());
    // The worker comes back: it answers the request left behind, then the next asker's own.
    Worker worker(box, desk);
    std::optional<LeaseReleaseStep> step = box.release_lease(proto::Ipv4(0x0a000002), 2000);
    ASSERT_TRUE(step);
    EXPECT_EQ(desk.listed, 1);  // the abandoned list, answered to nobody
    ASSERT_EQ(desk.released.size(), 1u);
    EXPECT_EQ(desk.released[0], proto::Ipv4(0x0a000002));
}

}  // namespace
}  // namespace rackboot::dataplane
