// The control plane's board directory and what DHCP teaches it: option 97 joins a MAC to its
// board (and the map resolves by it), a leased address resolves unprefixed requests, an image
// that cannot be opened serves nothing; BoardLearner writes what is new to the store and, with
// --auto-discover, makes a board of an unknown serial.
#include "control/board_directory.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "control/board_learner.h"
#include "control/snapshot_publisher.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

class Directory : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rb-dir.XXXXXX";
        dir_ = mkdtemp(tmpl);
        fs::create_directories(dir_ / "img");
        std::ofstream(dir_ / "img" / "start4.elf") << "x";
        std::string err;
        root_ = dataplane::DirHandle::open(dir_.string(), err);
        ASSERT_TRUE(root_) << err;
        directory_ = std::make_unique<BoardDirectory>(root_);
        std::string warning;
        directory_->put_image(Image{"img", "dir", (dir_ / "img").string(), 1}, warning);
        ASSERT_TRUE(warning.empty()) << warning;
        Board b;
        b.serial = 0x1a2b3c4d;
        b.image = "img";
        directory_->put_board(b);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    std::shared_ptr<dataplane::DirHandle> root_;
    std::unique_ptr<BoardDirectory> directory_;
};

TEST_F(Directory, Option97JoinsTheMacAndTheLeaseResolvesUnprefixedRequests) {
    std::uint64_t mac = 0xdca632123456;
    auto before = directory_->build(1);
    EXPECT_EQ(before->resolve("start4.elf", 0x0a000107).dirfd, root_->fd());
    std::uint64_t v = directory_->version();
    EXPECT_TRUE(directory_->learn(mac, 0x1a2b3c4d, 0x0a000107));
    EXPECT_GT(directory_->version(), v);
    EXPECT_FALSE(directory_->learn(mac, 0x1a2b3c4d, 0x0a000107));  // nothing new
    EXPECT_EQ(directory_->serial_of_mac(mac), 0x1a2b3c4du);
    auto after = directory_->build(2);
    EXPECT_NE(after->resolve("start4.elf", 0x0a000107).dirfd, root_->fd());  // the board's image
    EXPECT_EQ(after->resolve("dc-a6-32-12-34-56/start4.elf", 0).board->serial, 0x1a2b3c4du);
    EXPECT_FALSE(directory_->learn(0x1, 0x99999999, 0));  // no such board: nothing learnt
}

TEST_F(Directory, AnImageThatCannotBeOpenedServesNothing) {
    std::string warning;
    directory_->put_image(Image{"img", "dir", (dir_ / "gone").string(), 2}, warning);
    EXPECT_NE(warning.find("served nothing"), std::string::npos) << warning;
    auto m = directory_->build(3);
    EXPECT_EQ(m->resolve("1a2b3c4d/start4.elf", 0).dirfd, -1);
}

TEST_F(Directory, TheLearnerShowsLearntMacsAndDiscoversBoards) {
    std::string err;
    auto store = open_sqlite_inventory((dir_ / "inventory.sqlite").string(), err);
    ASSERT_TRUE(store) << err;
    Image img{"img", "dir", (dir_ / "img").string(), 0};
    ASSERT_TRUE(store->create_image(img).ok());
    Board b;
    b.serial = 0x1a2b3c4d;
    b.image = "img";
    ASSERT_TRUE(store->create_board(b).ok());
    dataplane::BootMapCell cell(std::make_unique<dataplane::EpochDomain>(1), directory_->build(1));
    SnapshotPublisher pub(*directory_, cell);
    BoardLearner off(*directory_, pub, store.get(), false);
    off.learn(0xdca632000001, 0x0badc0de, 0, 4, 1000);
    EXPECT_FALSE(store->get_board(0x0badc0de, b).ok());  // no --auto-discover: nothing made
    BoardLearner learner(*directory_, pub, store.get(), true);
    learner.learn(0xdca632123456, 0x1a2b3c4d, 0, 4, 1000);
    ASSERT_TRUE(store->get_board(0x1a2b3c4d, b).ok());
    ASSERT_EQ(b.macs.size(), 1u);
    EXPECT_EQ(mac_text(b.macs[0]), "dc:a6:32:12:34:56");
    EXPECT_EQ(b.model, "pi4");
    EXPECT_EQ(b.last_seen, 1000);
    learner.learn(0xdca632000001, 0x0badc0de, 0, 5, 1000);
    ASSERT_TRUE(store->get_board(0x0badc0de, b).ok());
    EXPECT_EQ(b.state, "discovered");
    EXPECT_EQ(b.model, "pi5");
    EXPECT_EQ(learner.discovered(), 1u);
    EXPECT_TRUE(pub.publish_if_changed());  // the learnt boards reach the map
    EXPECT_NE(cell.current()->by_serial(0x0badc0de), nullptr);
    learner.boot_finished(0x1a2b3c4d, R"({"result":"booted"})");
    ASSERT_TRUE(store->get_board(0x1a2b3c4d, b).ok());
    EXPECT_EQ(b.last_boot, R"({"result":"booted"})");
    EXPECT_EQ(b.generation, 2u);  // the learnt MAC moved it; sightings and boots do not
}

}  // namespace
}  // namespace rackboot::control
