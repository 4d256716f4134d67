// The roots service over a real store: a root of a kind whose server is missing is refused with
// the fix; an NBD root is made from the board's image and recorded, and its disk removed with it;
// an NFS root is the host's directory beneath the roots directory (never another board's, never
// out through a symlink), with the lowest export id free (reused once its root is gone), and its
// directory is never removed; a refusal leaves nothing behind.
#include "control/roots/board_roots.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

class BoardRootsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rb-boardroots.XXXXXX";
        dir_ = mkdtemp(tmpl);
        fs::create_directories(dir_ / "roots");
        fs::create_directories(dir_ / "elsewhere");
        {
            std::ofstream img(dir_ / "raspios.img", std::ios::binary);
            img << std::string(1 << 20, 'p');
        }
        auto opened = open_sqlite_inventory((dir_ / "inventory.sqlite").string());
        ASSERT_TRUE(opened) << opened.error().reason;
        store_ = std::move(*opened);
        writes_ = std::make_unique<InventoryWrites>(*store_);
        writes_->set_audit_sink([](const std::string&) {});
        Image img{"raspios", ImageKind::img, (dir_ / "raspios.img").string(), 0};
        ASSERT_TRUE(store_->create_image(img).ok());
        for (std::uint32_t s : {0x5a5a0001u, 0x5a5a0002u, 0x5a5a0003u}) {
            Board b;
            b.serial = proto::Serial(s);
            b.image = s == 0x5a5a0003u ? "" : "raspios";
            ASSERT_TRUE(store_->create_board(b).ok());
        }
        roots_ = std::make_unique<BoardRoots>(
            *writes_, (dir_ / "roots").string(),
            [this](const std::string& name) -> proto::Result<int> {
                if (name != "raspios") return proto::failure("no image '" + name + "'");
                return ::open((dir_ / "raspios.img").c_str(), O_RDONLY | O_CLOEXEC);
            },
            [this] { ++changes_; },
            [this](RootKind kind) -> proto::Result<> {
                if (kind == RootKind::nfs && !nfs_installed_) return proto::failure("NFS roots need NFS-Ganesha");
                return {};
            });
        ASSERT_TRUE(roots_->open());
    }
    void TearDown() override { fs::remove_all(dir_); }

    Outcome nfs(std::uint32_t serial, const fs::path& path, Board& out) {
        return roots_->create(proto::Serial(serial), RootRequest{RootKind::nfs, 0, path.string()}, out, who_);
    }

    fs::path dir_;
    std::unique_ptr<InventoryStore> store_;
    std::unique_ptr<InventoryWrites> writes_;
    std::unique_ptr<BoardRoots> roots_;
    int changes_ = 0;
    bool nfs_installed_ = true;
    Actor who_{Actor::Kind::token, "t", "POST"};
};

TEST_F(BoardRootsTest, AnNbdRootIsMadeFromTheImageAndRemovedWithItsDisk) {
    Board out;
    ASSERT_TRUE(roots_->create(proto::Serial(0x5a5a0001), RootRequest{}, out, who_).ok());
    ASSERT_TRUE(out.root);
    EXPECT_EQ(out.root->path, (dir_ / "roots/5a5a0001.img").string());
    EXPECT_EQ(out.root->image, "raspios");
    EXPECT_EQ(fs::file_size(dir_ / "roots/5a5a0001.img"), 1u << 20);
    EXPECT_EQ(changes_, 1);
    Outcome twice = roots_->create(proto::Serial(0x5a5a0001), RootRequest{}, out, who_);
    EXPECT_EQ(twice.error, ApiError::conflict);
    Outcome no_image = roots_->create(proto::Serial(0x5a5a0003), RootRequest{}, out, who_);
    EXPECT_EQ(no_image.error, ApiError::conflict);
    EXPECT_NE(no_image.message.find("has no image"), std::string::npos) << no_image.message;
    Outcome with_path = roots_->create(proto::Serial(0x5a5a0002), RootRequest{RootKind::nbd, 0, "/x"}, out, who_);
    EXPECT_EQ(with_path.field, "path");
    EXPECT_FALSE(fs::exists(dir_ / "roots/5a5a0002.img"));
    BoardRoot gone;
    ASSERT_TRUE(roots_->remove(proto::Serial(0x5a5a0001), gone, who_).ok());
    EXPECT_FALSE(fs::exists(dir_ / "roots/5a5a0001.img"));
    Board now;
    ASSERT_TRUE(store_->get_board(proto::Serial(0x5a5a0001), now).ok());
    EXPECT_FALSE(now.root);
}

TEST_F(BoardRootsTest, AnNfsRootIsTheHostsDirectoryWithAnExportIdOfItsOwn) {
    fs::create_directories(dir_ / "roots/a");
    fs::create_directories(dir_ / "roots/b");
    fs::create_directories(dir_ / "roots/c d");
    fs::create_symlink(dir_ / "elsewhere", dir_ / "roots/out");
    std::ofstream(dir_ / "roots/file") << "x";
    Board out;
    nfs_installed_ = false;
    Outcome missing = nfs(0x5a5a0001, dir_ / "roots/a", out);
    EXPECT_EQ(missing.error, ApiError::conflict);
    EXPECT_NE(missing.message.find("NFS-Ganesha"), std::string::npos);
    nfs_installed_ = true;
    for (const auto& [path, why] :
         {std::pair{dir_ / "elsewhere", "not beneath --roots"}, std::pair{dir_ / "roots/out", "not beneath --roots"},
          std::pair{dir_ / "roots/file", "not a directory"}, std::pair{dir_ / "roots/none", "No such file"},
          std::pair{dir_ / "roots/c d", "letters, digits"}, std::pair{fs::path("relative"), "absolute path"}}) {
        Outcome o = nfs(0x5a5a0001, path, out);
        EXPECT_EQ(o.error, ApiError::invalid_field) << path;
        EXPECT_NE(o.message.find(why), std::string::npos) << o.message;
    }
    EXPECT_EQ(changes_, 0);
    ASSERT_TRUE(nfs(0x5a5a0001, dir_ / "roots/a", out).ok());
    EXPECT_EQ(out.root->kind, RootKind::nfs);
    EXPECT_EQ(out.root->export_id, 1u);
    EXPECT_EQ(root_reference(*out.root), (dir_ / "roots/a").string());
    EXPECT_EQ(nfs(0x5a5a0002, dir_ / "roots/a", out).error, ApiError::conflict);  // board 1's
    fs::create_directories(dir_ / "roots/a/inner");
    Outcome nested = nfs(0x5a5a0002, dir_ / "roots/a/inner", out);  // its export would reach this one
    EXPECT_EQ(nested.error, ApiError::conflict);
    EXPECT_NE(nested.message.find("lies in board 5a5a0001's root"), std::string::npos) << nested.message;
    fs::create_directories(dir_ / "roots/.nfs");
    EXPECT_NE(nfs(0x5a5a0002, dir_ / "roots/.nfs", out).message.find("rackbootd's own"), std::string::npos);
    ASSERT_TRUE(nfs(0x5a5a0002, dir_ / "roots/b", out).ok());
    EXPECT_EQ(out.root->export_id, 2u);
    BoardRoot gone;
    ASSERT_TRUE(roots_->remove(proto::Serial(0x5a5a0001), gone, who_).ok());
    EXPECT_TRUE(fs::exists(dir_ / "roots/a"));  // the host's: never removed
    ASSERT_TRUE(nfs(0x5a5a0003, dir_ / "roots/a", out).ok());
    EXPECT_EQ(out.root->export_id, 1u);  // free again
}

}  // namespace
}  // namespace rackboot::control
