// A change costs what it changes (issue 20): the directory builds the next boot map from the
// last one, rebuilding only the shards a change touches. Checked against the whole map built
// from the same directory after every step of a seeded random sequence of the changes the
// control plane makes (boards put and removed, MACs configured, claimed and learnt, addresses
// pinned and given, images moved): every serial, MAC and address resolves to the same board
// with the same tree, and identify() answers the same. And one board's change at 20,000 boards
// shares all but a few shards with the map before it.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "control/live/board_directory.h"
#include "support/unwrap.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

class MapEdit : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rb-mapedit.XXXXXX";
        dir_ = fs::canonical(mkdtemp(tmpl));
        root_ = test::unwrap(dataplane::TreeHandle::open(dir_.string()));
        ASSERT_TRUE(root_);
        directory_ = std::make_unique<BoardDirectory>(root_);
        directory_->set_images_root(root_, dir_.string());
        for (const char* name : {"a", "b"}) {
            fs::create_directories(dir_ / name);
            std::string warning;
            directory_->put_image(Image{name, ImageKind::dir, (dir_ / name).string(), 1}, warning);
            ASSERT_TRUE(warning.empty()) << warning;
        }
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    std::shared_ptr<dataplane::TreeHandle> root_;
    std::unique_ptr<BoardDirectory> directory_;
};

constexpr std::uint32_t kSerials = 24;
constexpr std::uint64_t kMacs = 20;
constexpr std::uint32_t kIps = 16;

std::uint32_t serial_of(std::uint32_t i) {
    return 0x5e000000 + i;
}
std::uint64_t mac_of(std::uint64_t i) {
    return 0xdca632000000 + i;
}
Mac mac_bytes(std::uint64_t key) {
    Mac m{};
    for (int i = 5; i >= 0; --i) {
        m[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(key & 0xff);
        key >>= 8;
    }
    return m;
}
std::uint32_t ip_of(std::uint32_t i) {
    return 0x0a000100 + i;
}

std::string describe(const dataplane::MappedBoard* b) {
    if (b == nullptr) return "none";
    return std::to_string(b->serial_number) + "/" + std::to_string(b->has_serial) + "/fd" + std::to_string(b->dirfd) +
           "/ip" + b->ip.to_string() + "/nb" + std::to_string(b->netboot) + "/lm" + std::to_string(b->lists_macs);
}

void expect_same(const dataplane::BootMap& edited, const dataplane::BootMap& whole, int step) {
    EXPECT_EQ(edited.board_count(), whole.board_count()) << "step " << step;
    for (std::uint32_t i = 0; i < kSerials; ++i) {
        EXPECT_EQ(describe(edited.by_serial(proto::Serial(serial_of(i)))),
                  describe(whole.by_serial(proto::Serial(serial_of(i)))))
            << "serial " << i << " step " << step;
    }
    for (std::uint64_t i = 0; i < kMacs; ++i) {
        EXPECT_EQ(describe(edited.by_mac(proto::Mac::from_key(mac_of(i)))),
                  describe(whole.by_mac(proto::Mac::from_key(mac_of(i)))))
            << "mac " << i << " step " << step;
        for (std::uint32_t s = 0; s < kSerials; s += 5) {
            dataplane::ClientIdentity a = edited.identify(proto::Mac::from_key(mac_of(i)), proto::Serial(serial_of(s)));
            dataplane::ClientIdentity b = whole.identify(proto::Mac::from_key(mac_of(i)), proto::Serial(serial_of(s)));
            EXPECT_EQ(describe(a.board), describe(b.board)) << "identify " << i << "," << s << " step " << step;
            EXPECT_EQ(describe(a.conflict), describe(b.conflict)) << "identify " << i << "," << s << " step " << step;
            EXPECT_EQ(a.by_mac, b.by_mac) << "identify " << i << "," << s << " step " << step;
        }
    }
    for (std::uint32_t i = 0; i < kIps; ++i) {
        EXPECT_EQ(describe(edited.by_ip(proto::Ipv4(ip_of(i)))), describe(whole.by_ip(proto::Ipv4(ip_of(i)))))
            << "ip " << i << " step " << step;
        EXPECT_EQ(edited.reserved(proto::Ipv4(ip_of(i))), whole.reserved(proto::Ipv4(ip_of(i))))
            << "ip " << i << " step " << step;
    }
}

TEST_F(MapEdit, EveryEditedMapResolvesAsTheWholeMapBuiltFromTheSameDirectory) {
    std::mt19937 rng(20);
    auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
    std::unique_ptr<const dataplane::BootMap> current = directory_->build(nullptr, 1);
    std::vector<Board> boards(kSerials);
    for (int step = 0; step < 600; ++step) {
        std::uint32_t i = pick(kSerials);
        Board& b = boards[i];
        b.serial = proto::Serial(serial_of(i));
        switch (pick(8)) {
            case 0:
            case 1:  // put, with a new image, MACs, pinned address, netboot or learning
                b.image = std::vector<std::string>{"", "a", "b"}[pick(3)];
                b.netboot = pick(5) != 0;
                b.learn = pick(4) != 0;
                b.macs.clear();
                if (pick(2) == 0) b.macs.push_back(mac_bytes(mac_of(pick(kMacs))));
                b.ip.reset();
                if (pick(2) == 0) b.ip = proto::Ipv4(ip_of(pick(kIps)));
                directory_->put_board(b);
                break;
            case 2: directory_->remove_board(proto::Serial(b.serial)); break;
            case 3:
            case 4:  // a claim by option 97, with an address
                (void)directory_->learn(proto::Mac::from_key(mac_of(pick(kMacs))), proto::Serial(serial_of(i)),
                                        pick(2) == 0 ? proto::Ipv4(ip_of(pick(kIps))) : proto::Ipv4());
                break;
            case 5:  // an address given to a MAC
                (void)directory_->learn(proto::Mac::from_key(mac_of(pick(kMacs))), std::nullopt,
                                        proto::Ipv4(ip_of(pick(kIps))));
                break;
            case 6:
                if (pick(10) == 0) {  // an image moved (every board on it)
                    std::string warning;
                    directory_->put_image(Image{"b", ImageKind::dir, (dir_ / (pick(2) == 0 ? "a" : "b")).string(), 1},
                                          warning);
                }
                break;
            default: break;  // nothing: an edit of nothing
        }
        if (pick(3) != 0 && step != 599) continue;  // changes batch up between builds
        auto edited = directory_->build(current.get(), static_cast<std::uint64_t>(step) + 2);
        std::unique_ptr<const dataplane::BootMap> whole = directory_->build(nullptr, 0);
        expect_same(*edited, *whole, step);
        // The whole build reset what the next edit counts from: build the edit again from the
        // edited map, as the publisher does (nothing changed since: an empty edit).
        current = directory_->build(edited.get(), static_cast<std::uint64_t>(step) + 2);
        expect_same(*current, *whole, step);
        if (HasFailure()) return;
    }
}

TEST_F(MapEdit, OneBoardsChangeSharesAllButAFewShardsWithTheMapBefore) {
    for (std::uint32_t i = 0; i < 20000; ++i) {
        Board b;
        b.serial = proto::Serial(0x10000000 + i);
        b.image = i % 2 == 0 ? "a" : "b";
        b.macs.push_back(mac_bytes(0xdca632000000 + i));
        b.ip = proto::Ipv4(0x0a000000 + i);
        directory_->put_board(b);
    }
    auto before = directory_->build(nullptr, 1);
    Board b;
    b.serial = proto::Serial(0x10000000 + 77);
    b.image = "b";
    b.macs.push_back(mac_bytes(0xdca632100000));  // a new MAC and address, the old ones let go
    b.ip = proto::Ipv4(0x0a100000);
    directory_->put_board(b);
    auto after = directory_->build(before.get(), 2);
    auto [shared, shards] = after->shards_shared_with(*before);
    EXPECT_GE(shards, 3u * 256u);
    // Its board's shard, the old and new MACs' and the old and new addresses': five at most.
    EXPECT_GE(shared + 5, shards);
    EXPECT_LT(shared, shards);
    EXPECT_EQ(after->by_serial(proto::Serial(b.serial))->dirfd,
              after->by_mac(proto::Mac::from_key(0xdca632100000))->dirfd);
    EXPECT_EQ(after->by_mac(proto::Mac::from_key(0xdca632000000 + 77)), nullptr);
    EXPECT_EQ(after->by_ip(proto::Ipv4(0x0a000000 + 77)), nullptr);
    EXPECT_EQ(after->by_ip(proto::Ipv4(0x0a100000))->serial(), proto::Serial(b.serial));
    EXPECT_EQ(after->board_count(), 20000u);
    // The map costs well under 256 bytes a board, shards shared or not.
    EXPECT_LT(after->memory_bytes(), 20000u * 256u);
}

}  // namespace
}  // namespace rackboot::control
