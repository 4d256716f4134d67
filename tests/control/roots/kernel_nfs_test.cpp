// The kernel's nfsd as the roots' NFS server (--nfs-server kernel): the exports(5) file rackbootd
// owns (a line per root naming only its board's addresses; a board with no address not exported,
// since a line with no client would let every host in), and exportfs -ra run after each change,
// again after it failed, never when nothing changed. exportfs here is a stand-in script that
// records its calls and the file it was run on: this host has no nfsd module, so the real one
// cannot run here (DESIGN.md).
#include "control/roots/kernel_nfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "control/roots/managed_daemon.h"

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

TEST(KernelNfs, OneLinePerRootReachedFromItsBoardAlone) {
    std::string text = kernel_exports_text(
        {NfsExport{"5a5a0001", 7, "/r/5a5a0001", {proto::Ipv4(0x0a000007), proto::Ipv4(0x0a000008)}},
         NfsExport{"5a5a0002", 9, "/r/5a5a0002", {}}});
    EXPECT_NE(text.find("# board 5a5a0001\n\"/r/5a5a0001\" "
                        "10.0.0.7(rw,sync,no_subtree_check,no_root_squash,sec=sys,fsid=7) "
                        "10.0.0.8(rw,sync,no_subtree_check,no_root_squash,sec=sys,fsid=7)\n"),
              std::string::npos)
        << text;
    // No address: commented out, not a line that exports to the world.
    EXPECT_NE(text.find("# board 5a5a0002\n# /r/5a5a0002: no address known yet, not exported\n"), std::string::npos)
        << text;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != '#') {
            EXPECT_NE(line.find('('), std::string::npos) << "a line with no client";
        }
    }
}

class KernelNfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rb-knfs.XXXXXX";
        dir_ = mkdtemp(tmpl);
        // exportfs's stand-in: its arguments and the exports file it saw, appended to calls; exits
        // with the status in `fail` (with exportfs's own kind of message) when that file exists.
        exportfs_ = dir_ / "exportfs";
        std::ofstream(exportfs_) << "#!/bin/sh\n"
                                 << "echo \"$*\" >> " << (dir_ / "calls").string() << "\n"
                                 << "cat " << (dir_ / "exports.d/rackboot.exports").string() << " >> "
                                 << (dir_ / "seen").string() << "\n"
                                 << "if [ -f " << (dir_ / "fail").string() << " ]; then\n"
                                 << "  echo 'exportfs: /r/x does not support NFS export' >&2; exit 1\n"
                                 << "fi\n";
        fs::permissions(exportfs_, fs::perms::owner_all);
        std::ofstream(dir_ / "threads") << "8\n";
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string calls() const { return read_small_file((dir_ / "calls").string()); }
    KernelNfs make() const {
        return KernelNfs(KernelNfs::Options{(dir_ / "exports.d/rackboot.exports").string(), exportfs_.string(),
                                            (dir_ / "threads").string()});
    }

    fs::path dir_;
    fs::path exportfs_;
};

TEST_F(KernelNfsTest, ReexportsAfterEachChangeAndAfterAFailureOnly) {
    KernelNfs nfs = make();
    std::vector<NfsExport> exports{{"5a5a0001", 1, "/r/5a5a0001", {proto::Ipv4(0x0a000007)}}};
    auto ok = nfs.apply(exports);
    ASSERT_TRUE(ok) << ok.error().reason;
    EXPECT_EQ(calls(), "-ra\n");
    // exportfs ran on the file as written (the directory made, the file whole).
    EXPECT_EQ(read_small_file((dir_ / "seen").string()), kernel_exports_text(exports));
    EXPECT_EQ(nfs.status().reexports, 1u);
    EXPECT_TRUE(nfs.status().up);
    ASSERT_TRUE(nfs.apply(exports));
    EXPECT_EQ(calls(), "-ra\n") << "re-exported with nothing changed";
    // A new address for the board: the file changes, exportfs runs; it fails, and says why.
    exports[0].allowed.push_back(proto::Ipv4(0x0a000009));
    std::ofstream(dir_ / "fail") << "";
    auto failed = nfs.apply(exports);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().reason.find("exited with status 1: exportfs: /r/x does not support NFS export"),
              std::string::npos)
        << failed.error().reason;
    // The file is as asked; the next sync tries again though nothing changed, until it works.
    fs::remove(dir_ / "fail");
    ASSERT_TRUE(nfs.apply(exports));
    EXPECT_EQ(calls(), "-ra\n-ra\n-ra\n");
    EXPECT_EQ(nfs.status().reexports, 2u);
    ASSERT_TRUE(nfs.apply(exports));
    EXPECT_EQ(calls(), "-ra\n-ra\n-ra\n");
    // The last root gone: an empty file (nothing of ours exported), re-exported.
    ASSERT_TRUE(nfs.apply({}));
    EXPECT_EQ(calls(), "-ra\n-ra\n-ra\n-ra\n");
    EXPECT_EQ(nfs.status().exports, 0u);
    std::ofstream(dir_ / "threads") << "0\n";
    EXPECT_FALSE(nfs.status().up);
}

// A program that does not end is killed at the bound, and the reason says so.
TEST(RunProgram, BoundedAndSaysWhy) {
    auto slow = run_program("sleep", {"5"}, 100);
    ASSERT_FALSE(slow);
    EXPECT_NE(slow.error().reason.find("did not finish"), std::string::npos) << slow.error().reason;
    EXPECT_TRUE(run_program("true", {}, 1000));
    auto missing = run_program("/nonexistent/exportfs", {"-ra"}, 1000);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().reason.find("/nonexistent/exportfs"), std::string::npos) << missing.error().reason;
}

}  // namespace
}  // namespace rackboot::control
