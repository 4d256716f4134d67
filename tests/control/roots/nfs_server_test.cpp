// NFS-Ganesha kept in step with the boards' NFS roots: one EXPORT per root with its own id, a
// CLIENT block naming only the board's addresses (none: reached by nobody), NFSv4 only, root not
// squashed; Debian's ganesha.nfsd started only once a root exists, reloaded (the same process)
// when the exports change, left alone when they do not.
#include "control/roots/nfs_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

TEST(NfsServer, OneExportPerRootReachedFromItsBoardAlone) {
    std::string text = ganesha_config_text("10.0.0.1", 2049,
                                           {NfsExport{"5a5a0001", 7, "/r/5a5a0001", {proto::Ipv4(0x0a000007)}},
                                            NfsExport{"5a5a0002", 9, "/r/5a5a0002", {}}});
    EXPECT_NE(text.find("NFS_Port = 2049;\n    Bind_addr = 10.0.0.1;\n    Protocols = 4;"), std::string::npos) << text;
    EXPECT_NE(text.find("Graceless = true;"), std::string::npos);
    EXPECT_NE(text.find("# board 5a5a0001\nEXPORT {\n    Export_Id = 7;\n    Path = \"/r/5a5a0001\";\n"
                        "    Pseudo = \"/r/5a5a0001\";\n    Protocols = 4;\n    Access_Type = None;\n"
                        "    Squash = No_Root_Squash;"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("CLIENT {\n        Clients = 10.0.0.7;\n        Access_Type = RW;\n    }"), std::string::npos);
    // The board with no address: its export has no CLIENT block, so Access_Type None holds.
    std::string second = text.substr(text.find("# board 5a5a0002"));
    EXPECT_EQ(second.find("CLIENT"), std::string::npos) << second;
}

TEST(NfsServer, GaneshaStartsWithTheFirstRootAndReloadsInPlace) {
    const char* program = "/usr/bin/ganesha.nfsd";
    if (::access(program, X_OK) != 0) GTEST_SKIP() << "ganesha.nfsd is not installed (Debian's nfs-ganesha)";
    if (::geteuid() != 0) GTEST_SKIP() << "NFS-Ganesha's VFS exports need root";
    char tmpl[] = "/tmp/rb-nfs.XXXXXX";
    fs::path dir = mkdtemp(tmpl);
    fs::create_directories(dir / "a");
    fs::create_directories(dir / "b");
    NfsServer::Options o{(dir / ".nfs").string(), "127.0.0.1", 0, program};
    o.port = static_cast<std::uint16_t>(20000 + ::getpid() % 20000);
    NfsServer nfs(o);
    ASSERT_TRUE(nfs.apply({}));
    EXPECT_EQ(nfs.status().pid, 0);  // no root: nothing started
    std::vector<NfsExport> exports{{"5a5a0001", 1, (dir / "a").string(), {proto::Ipv4(0x7f000001)}}};
    auto started = nfs.apply(exports);
    ASSERT_TRUE(started) << started.error().reason;
    int pid = nfs.status().pid;
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(nfs.apply(exports));
    EXPECT_EQ(nfs.status().reloads, 0u);
    exports.push_back({"5a5a0002", 2, (dir / "b").string(), {}});
    ASSERT_TRUE(nfs.apply(exports));
    EXPECT_EQ(nfs.status().reloads, 1u);
    EXPECT_EQ(nfs.status().pid, pid);
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) ::usleep(10000);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace rackboot::control
