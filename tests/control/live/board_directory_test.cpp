// The control plane's board directory and what DHCP teaches it: option 97 joins a MAC to a board
// that lists none (and the map resolves by it), never to one that lists MACs; a leased address
// resolves unprefixed requests only when one of the board's own MACs got it; a locked board
// learns nothing; an image that cannot be opened serves nothing; BoardLearner records what is new
// as learnt (never as configured), in one transaction that an API change meanwhile survives, and
// with --auto-discover makes a board of an unknown serial.
#include "control/live/board_directory.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "control/live/board_learner.h"
#include "control/live/snapshot_publisher.h"
#include "support/image_scratch.h"
#include "support/unwrap.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

class Directory : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rb-dir.XXXXXX";
        dir_ = fs::canonical(mkdtemp(tmpl));
        fs::create_directories(dir_ / "img");
        std::ofstream(dir_ / "img" / "start4.elf") << "x";
        root_ = test::unwrap(dataplane::TreeHandle::open(dir_.string()));
        ASSERT_TRUE(root_);
        directory_ = std::make_unique<BoardDirectory>(root_);
        directory_->set_images_root(root_, fs::canonical(dir_).string());  // images beneath dir_
        std::string warning;
        directory_->put_image(Image{"img", ImageKind::dir, (dir_ / "img").string(), 1}, warning);
        ASSERT_TRUE(warning.empty()) << warning;
        Board b;
        b.serial = proto::Serial(0x1a2b3c4d);
        b.image = "img";
        directory_->put_board(b);
    }
    void TearDown() override { fs::remove_all(dir_); }
    // An inventory in dir_ holding image "img" and board 1a2b3c4d on it.
    std::unique_ptr<InventoryStore> store_with_board() const {
        auto opened = open_sqlite_inventory((dir_ / "inventory.sqlite").string());
        EXPECT_TRUE(opened) << opened.error().reason;
        std::unique_ptr<InventoryStore> store = opened ? std::move(*opened) : nullptr;
        Image img{"img", ImageKind::dir, (dir_ / "img").string(), 0};
        Board b;
        b.serial = proto::Serial(0x1a2b3c4d);
        b.image = "img";
        if (!store || !store->create_image(img).ok() || !store->create_board(b).ok()) return nullptr;
        return store;
    }

    fs::path dir_;
    std::shared_ptr<dataplane::TreeHandle> root_;
    std::unique_ptr<BoardDirectory> directory_;
};

TEST_F(Directory, Option97JoinsTheMacAndTheLeaseResolvesUnprefixedRequests) {
    std::uint64_t mac = 0xdca632123456;
    auto before = directory_->build(1);
    EXPECT_EQ(before->resolve("start4.elf", proto::Ipv4(0x0a000107)).dirfd, root_->fd());
    std::uint64_t v = directory_->version();
    EXPECT_TRUE(directory_->learn(proto::Mac::from_key(mac), proto::Serial(0x1a2b3c4d), proto::Ipv4(0x0a000107)));
    EXPECT_GT(directory_->version(), v);
    EXPECT_FALSE(directory_->learn(proto::Mac::from_key(mac), proto::Serial(0x1a2b3c4d),
                                   proto::Ipv4(0x0a000107)));  // nothing new
    EXPECT_EQ(directory_->serial_of_mac(proto::Mac::from_key(mac)), proto::Serial(0x1a2b3c4d));
    auto after = directory_->build(2);
    EXPECT_NE(after->resolve("start4.elf", proto::Ipv4(0x0a000107)).dirfd, root_->fd());  // the board's image
    EXPECT_EQ(after->resolve("dc-a6-32-12-34-56/start4.elf", proto::Ipv4()).board->serial(), proto::Serial(0x1a2b3c4d));
    EXPECT_FALSE(directory_->learn(proto::Mac::from_key(0x1), proto::Serial(0x99999999),
                                   proto::Ipv4()));  // no such board: nothing learnt
}

// Issue 18 #3: images are opened beneath --images-root with no symlink on the way, at put and at
// every recheck; one swapped for a symlink to elsewhere, or stored under another root, is
// unavailable (with why) and its boards are served nothing; a --board directory given now is
// served from wherever it lies.
TEST_F(Directory, ImagesOpenBeneathTheRootWithoutSymlinks) {
    fs::create_directories(dir_ / "images" / "swap");
    fs::create_directories(dir_ / "outside");
    std::ofstream(dir_ / "images" / "swap" / "start4.elf") << "inside";
    std::ofstream(dir_ / "outside" / "start4.elf") << "OUTSIDE";
    auto images = test::unwrap(dataplane::TreeHandle::open((dir_ / "images").string()));
    ASSERT_TRUE(images);
    BoardDirectory d(root_);
    d.set_images_root(images, fs::canonical(dir_ / "images").string());
    std::string warning;
    std::string swap_path = fs::canonical(dir_ / "images" / "swap").string();
    d.put_image(Image{"swap", ImageKind::dir, swap_path, 1}, warning);
    EXPECT_TRUE(warning.empty()) << warning;
    Board b;
    b.serial = proto::Serial(0x5a5a0001);
    b.image = "swap";
    d.put_board(b);
    EXPECT_GE(d.build(1)->resolve("5a5a0001/start4.elf", proto::Ipv4()).dirfd, 0);
    ASSERT_TRUE(d.image_status("swap"));
    EXPECT_TRUE(d.image_status("swap")->available);
    EXPECT_EQ(d.image_status("swap")->resolves_to, swap_path);
    // Swapped for a symlink to a directory outside the root while running: the recheck catches it.
    fs::rename(dir_ / "images" / "swap", dir_ / "images" / "swap.old");
    fs::create_directory_symlink(dir_ / "outside", dir_ / "images" / "swap");
    std::vector<std::string> warnings;
    EXPECT_TRUE(d.recheck_images(warnings));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("symlink"), std::string::npos) << warnings[0];
    EXPECT_FALSE(d.image_status("swap")->available);
    EXPECT_EQ(d.build(2)->resolve("5a5a0001/start4.elf", proto::Ipv4()).dirfd, -1);  // served nothing
    EXPECT_FALSE(d.recheck_images(warnings));                                        // nothing new
    // And at start (put) the same.
    BoardDirectory fresh(root_);
    fresh.set_images_root(images, fs::canonical(dir_ / "images").string());
    fresh.put_image(Image{"swap", ImageKind::dir, swap_path, 1}, warning);
    EXPECT_NE(warning.find("unavailable"), std::string::npos) << warning;
    // A symlink further up the way counts too: images/link -> images/swap.old, image images/link/x.
    fs::create_directories(dir_ / "images" / "swap.old" / "x");
    fs::create_directory_symlink(dir_ / "images" / "swap.old", dir_ / "images" / "link");
    warning.clear();
    fresh.put_image(Image{"via-link", ImageKind::dir, fs::absolute(dir_ / "images" / "link" / "x").string(), 1},
                    warning);
    EXPECT_FALSE(fresh.image_status("via-link")->available);
    // Stored under another --images-root: unavailable, and says so.
    warning.clear();
    fresh.put_image(Image{"old", ImageKind::dir, fs::canonical(dir_ / "outside").string(), 1}, warning);
    EXPECT_NE(fresh.image_status("old")->reason.find("not beneath --images-root"), std::string::npos)
        << fresh.image_status("old")->reason;
    // A --board directory given now is served wherever it lies.
    fresh.allow_flag_tree(fs::canonical(dir_ / "outside").string());
    warning.clear();
    fresh.put_image(Image{"old", ImageKind::dir, fs::canonical(dir_ / "outside").string(), 1}, warning);
    EXPECT_TRUE(fresh.image_status("old")->available) << warning;
}

// An img image: indexed once when put (again only when its content changes: renamed over or
// rewritten), its boards resolve to the index, and what prepare_image indexed is reused by put.
TEST(DiskImage, IndexedOnceAndAgainWhenItChanges) {
    test::ImageScratch s;
    auto make = [&](const std::string& name, const std::string& text) {
        return s.sh("truncate -s 20M " + name + " && printf 'label: dos\\n2048,16M,c\\n' | sfdisk -q " + name +
                    " && mkfs.vfat -F 16 --offset 2048 " + name + " 16384 > /dev/null && printf '" + text +
                    "' > c.txt && mcopy -o -i " + name + "@@1048576 c.txt ::/Config.TXT");
    };
    ASSERT_TRUE(make("pi.img", "first"));
    std::string root_path = fs::canonical(s.dir()).string();
    auto root = test::unwrap(dataplane::TreeHandle::open(root_path));
    BoardDirectory d(root);
    d.set_images_root(root, root_path);
    Image img{"pi", ImageKind::img, root_path + "/pi.img", 1};
    ASSERT_TRUE(d.prepare_image(img));
    std::string warning;
    d.put_image(img, warning);
    ASSERT_TRUE(warning.empty()) << warning;
    Board b;
    b.serial = proto::Serial(0x5a5a0001);
    b.image = "pi";
    d.put_board(b);
    auto m = d.build(1);
    dataplane::BootMap::Resolved r = m->resolve("5a5a0001/config.txt", proto::Ipv4());
    ASSERT_NE(r.image, nullptr);
    EXPECT_EQ(r.dirfd, r.image->fd());
    ASSERT_NE(r.image->index()->find(r.path), nullptr);
    EXPECT_EQ(r.image->index()->find(r.path)->size, 5u);
    const dataplane::TreeHandle* first = r.image;
    auto st = d.image_status("pi");
    ASSERT_TRUE(st && st->indexed);
    EXPECT_EQ(st->content_generation, 1u);
    EXPECT_EQ(st->indexed->fat, "fat16");
    // Nothing changed: the same index, nothing new.
    std::vector<std::string> warnings;
    EXPECT_FALSE(d.recheck_images(warnings));
    // Renamed over: a new index of the new content, generation 2; the old map's index lives on
    // for what still uses it.
    ASSERT_TRUE(make("next.img", "second!"));
    ASSERT_EQ(std::rename(s.path("next.img").c_str(), s.path("pi.img").c_str()), 0);
    EXPECT_TRUE(d.recheck_images(warnings));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("generation 2"), std::string::npos) << warnings[0];
    auto m2 = d.build(m.get(), 2);
    dataplane::BootMap::Resolved r2 = m2->resolve("5a5a0001/config.txt", proto::Ipv4());
    ASSERT_NE(r2.image, nullptr);
    EXPECT_NE(r2.image, first);
    EXPECT_EQ(r2.image->index()->find("CONFIG.txt")->size, 7u);
    EXPECT_EQ(first->index()->find("config.txt")->size, 5u);
    // Rewritten in place (same inode): indexed again too.
    ASSERT_TRUE(
        s.sh("printf 'third, longer' > c.txt && mcopy -o -i pi.img@@1048576 c.txt ::/Config.TXT && "
             "touch -d '+5 seconds' pi.img"));
    warnings.clear();
    EXPECT_TRUE(d.recheck_images(warnings));
    EXPECT_EQ(d.image_status("pi")->content_generation, 3u);
    EXPECT_EQ(d.build(3)->resolve("5a5a0001/config.txt", proto::Ipv4()).image->index()->find("config.txt")->size, 13u);
    // One that cannot be served: prepare says why; put makes its boards served nothing.
    ASSERT_TRUE(s.sh("head -c 4096 /dev/zero > zero.img"));
    Image bad{"bad", ImageKind::img, root_path + "/zero.img", 1};
    auto why = d.prepare_image(bad);
    ASSERT_FALSE(why);
    EXPECT_NE(why.error().reason.find("partition table"), std::string::npos) << why.error().reason;
}

TEST_F(Directory, AnImageThatCannotBeOpenedServesNothing) {
    std::string warning;
    directory_->put_image(Image{"img", ImageKind::dir, (dir_ / "gone").string(), 2}, warning);
    EXPECT_NE(warning.find("served nothing"), std::string::npos) << warning;
    auto m = directory_->build(3);
    EXPECT_EQ(m->resolve("1a2b3c4d/start4.elf", proto::Ipv4()).dirfd, -1);
}

TEST_F(Directory, TheLearnerShowsLearntMacsAndDiscoversBoards) {
    auto store = store_with_board();
    ASSERT_TRUE(store);
    Board b;
    dataplane::BootMapCell cell(std::make_unique<dataplane::EpochDomain>(1), directory_->build(1));
    SnapshotPublisher pub(*directory_, cell);
    InventoryWrites writes(*store, &pub);
    std::vector<std::string> audits;
    writes.set_audit_sink([&audits](const std::string& line) { audits.push_back(line); });
    BoardLearner off(*directory_, pub, &writes, false);
    off.learn(proto::Mac::from_key(0xdca632000001), proto::Serial(0x0badc0de), proto::Ipv4(), 4, 1000,
              "interface eth1");
    EXPECT_FALSE(store->get_board(proto::Serial(0x0badc0de), b).ok());  // no --auto-discover: nothing made
    BoardLearner learner(*directory_, pub, &writes, true);
    learner.learn(proto::Mac::from_key(0xdca632123456), proto::Serial(0x1a2b3c4d), proto::Ipv4(), 4, 1000,
                  "interface eth1");
    ASSERT_TRUE(store->get_board(proto::Serial(0x1a2b3c4d), b).ok());
    EXPECT_TRUE(b.macs.empty());  // learnt, not configured
    ASSERT_EQ(b.learnt_macs.size(), 1u);
    EXPECT_EQ(b.learnt_macs[0].mac.to_string(), "dc:a6:32:12:34:56");
    EXPECT_EQ(b.learnt_macs[0].first_seen, 1000);
    EXPECT_EQ(b.learnt_macs[0].from, "interface eth1");
    EXPECT_EQ(b.model, "pi4");
    EXPECT_EQ(b.last_seen, 1000);
    learner.learn(proto::Mac::from_key(0xdca632000001), proto::Serial(0x0badc0de), proto::Ipv4(), 5, 1000,
                  "relay 10.0.0.1");
    ASSERT_TRUE(store->get_board(proto::Serial(0x0badc0de), b).ok());
    EXPECT_EQ(b.state, BoardState::discovered);
    EXPECT_TRUE(b.macs.empty());
    ASSERT_EQ(b.learnt_macs.size(), 1u);
    EXPECT_EQ(b.learnt_macs[0].from, "relay 10.0.0.1");
    EXPECT_EQ(b.model, "pi5");
    EXPECT_EQ(learner.discovered(), 1u);
    // Made through the one write path: audited with the learner as its actor.
    ASSERT_EQ(audits.size(), 1u);
    EXPECT_EQ(audits[0],
              "event=audit actor=learner method=discover resource=/api/v1/boards/0badc0de generation_before=0 "
              "generation_after=1");
    EXPECT_TRUE(pub.publish_if_changed());  // the learnt boards reach the map
    EXPECT_NE(cell.current()->by_serial(proto::Serial(0x0badc0de)), nullptr);
    learner.boot_finished(proto::Serial(0x1a2b3c4d), R"({"result":"booted"})");
    ASSERT_TRUE(store->get_board(proto::Serial(0x1a2b3c4d), b).ok());
    EXPECT_EQ(b.last_boot, R"({"result":"booted"})");
    EXPECT_EQ(b.generation, 1u);  // learnt MACs, sightings and boots are observations, not changes
}

// Issue 18 #1: board 1234abcd lists dc:a6:32:00:00:01. Another MAC claiming its serial is not
// learnt onto it, and the address that MAC was given does not resolve through it; the board's
// own MAC's address does. A locked board (learn off) that lists none learns nothing.
TEST_F(Directory, AClaimNeverTeachesABoardThatListsMacsNorALockedOne) {
    Board victim;
    victim.serial = proto::Serial(0x1234abcd);
    victim.image = "img";
    victim.macs.push_back(Mac::from_key(0xdca632000001));
    directory_->put_board(victim);
    std::uint64_t thief = 0x026666000001;
    EXPECT_FALSE(directory_->learn(proto::Mac::from_key(thief), proto::Serial(0x1234abcd), proto::Ipv4(0x0ad50064)));
    EXPECT_EQ(directory_->serial_of_mac(proto::Mac::from_key(thief)), std::nullopt);
    auto m = directory_->build(2);
    EXPECT_EQ(m->resolve("start4.elf", proto::Ipv4(0x0ad50064)).board,
              nullptr);  // the thief's address: the default tree
    EXPECT_EQ(m->by_mac(proto::Mac::from_key(thief)), nullptr);
    // The board's MAC (with its serial, or alone as a Pi 3 sends it): its address resolves through it.
    EXPECT_TRUE(
        directory_->learn(proto::Mac::from_key(0xdca632000001), proto::Serial(0x1234abcd), proto::Ipv4(0x0ad50032)));
    EXPECT_EQ(directory_->build(3)->resolve("start4.elf", proto::Ipv4(0x0ad50032)).board->serial(),
              proto::Serial(0x1234abcd));
    EXPECT_TRUE(directory_->learn(proto::Mac::from_key(0xdca632000001), std::nullopt, proto::Ipv4(0x0ad50033)));
    EXPECT_EQ(directory_->build(4)->resolve("start4.elf", proto::Ipv4(0x0ad50033)).board->serial(),
              proto::Serial(0x1234abcd));
    // The board's MAC claiming another board's serial teaches that board nothing either.
    EXPECT_FALSE(
        directory_->learn(proto::Mac::from_key(0xdca632000001), proto::Serial(0x1a2b3c4d), proto::Ipv4(0x0ad50034)));
    EXPECT_EQ(directory_->serial_of_mac(proto::Mac::from_key(0xdca632000001)), proto::Serial(0x1234abcd));
    // Locked: nothing learnt.
    Board locked;
    locked.serial = proto::Serial(0x0badc0de);
    locked.learn = false;
    directory_->put_board(locked);
    EXPECT_FALSE(directory_->learn(proto::Mac::from_key(thief), proto::Serial(0x0badc0de), proto::Ipv4(0x0ad50065)));
    EXPECT_EQ(directory_->build(5)->resolve("start4.elf", proto::Ipv4(0x0ad50065)).board, nullptr);
    EXPECT_EQ(directory_->configured_macs(proto::Serial(0x1234abcd)),
              std::vector<proto::Mac>{Mac::from_key(0xdca632000001)});
}

// A store whose first get_board lets an API change land right after the read (the window the
// learner's read-then-write once had): what the learner records must not undo it.
class RacingStore final : public InventoryStore {
public:
    explicit RacingStore(InventoryStore& inner) : inner_(inner) {}
    Outcome create_image(Image& i) override { return inner_.create_image(i); }
    Outcome get_image(const std::string& n, Image& o) override { return inner_.get_image(n, o); }
    Outcome list_images(std::vector<Image>& o) override { return inner_.list_images(o); }
    Outcome delete_image(const std::string& n, std::optional<std::uint64_t> m) override {
        return inner_.delete_image(n, m);
    }
    Outcome boards_using(const std::string& i, std::size_t& c) override { return inner_.boards_using(i, c); }
    Outcome set_image_files(const std::string& n, const std::map<std::string, std::string>& f,
                            std::optional<std::uint64_t> m, Image& out) override {
        return inner_.set_image_files(n, f, m, out);
    }
    Outcome create_board(Board& b) override { return inner_.create_board(b); }
    Outcome replace_board(Board& b, std::optional<std::uint64_t> m) override { return inner_.replace_board(b, m); }
    Outcome get_board(proto::Serial s, Board& out) override {
        Outcome o = inner_.get_board(s, out);
        if (o.ok() && !raced_) {
            raced_ = true;
            Board patched = out;
            patched.name = "patched-by-the-api";
            (void)inner_.replace_board(patched, out.generation);
        }
        return o;
    }
    Outcome put_boards(std::vector<Board>& b, std::size_t& f) override { return inner_.put_boards(b, f); }
    Outcome observe_board(proto::Serial s, const Observation& o, bool* learnt) override {
        if (!raced_) {
            raced_ = true;
            Board now;
            (void)inner_.get_board(s, now);
            now.name = "patched-by-the-api";
            (void)inner_.replace_board(now, now.generation);
        }
        return inner_.observe_board(s, o, learnt);
    }
    Outcome delete_board(proto::Serial s, std::optional<std::uint64_t> m) override { return inner_.delete_board(s, m); }
    Outcome set_root(proto::Serial s, const BoardRoot& r) override { return inner_.set_root(s, r); }
    Outcome clear_root(proto::Serial s, BoardRoot& out) override { return inner_.clear_root(s, out); }
    Outcome list_boards(const BoardFilter& f, std::optional<proto::Serial> a, std::size_t l,
                        std::vector<Board>& o) override {
        return inner_.list_boards(f, a, l, o);
    }
    Outcome count_boards(const BoardFilter& f, std::size_t& n) override { return inner_.count_boards(f, n); }

private:
    InventoryStore& inner_;
    bool raced_ = false;
};

TEST_F(Directory, AnApiChangeWhileTheLearnerRecordsIsKept) {
    auto inner = store_with_board();
    ASSERT_TRUE(inner);
    Board b;
    RacingStore store(*inner);
    dataplane::BootMapCell cell(std::make_unique<dataplane::EpochDomain>(1), directory_->build(1));
    SnapshotPublisher pub(*directory_, cell);
    InventoryWrites writes(store, &pub);
    BoardLearner learner(*directory_, pub, &writes, false);
    learner.learn(proto::Mac::from_key(0xdca632123456), proto::Serial(0x1a2b3c4d), proto::Ipv4(), 4, 1000, "direct");
    ASSERT_TRUE(inner->get_board(proto::Serial(0x1a2b3c4d), b).ok());
    EXPECT_EQ(b.name, "patched-by-the-api");  // the acknowledged change stands
    EXPECT_EQ(b.generation, 2u);
    ASSERT_EQ(b.learnt_macs.size(), 1u);  // and the sighting is recorded with it
    EXPECT_EQ(b.model, "pi4");
}

}  // namespace
}  // namespace rackboot::control
