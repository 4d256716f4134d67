// nbd-server kept in step with the boards' roots: the configuration has one export per root
// (read-write, flush and FUA, no listing), every export an authorization file naming only the
// board's addresses (and one allowing nobody once its root is gone: nbd-server allows anyone
// when the file is missing), and Debian's nbd-server started, reloaded only when an export was
// added, and found again by a second NbdServer (a restarted rackbootd).
#include "control/roots/nbd_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace rackboot::control {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Scratch {
    fs::path dir;
    Scratch() {
        char tmpl[] = "/tmp/rb-nbd.XXXXXX";
        dir = mkdtemp(tmpl);
    }
    ~Scratch() {
        // Whatever nbd-server a test started goes with it.
        std::string pid = slurp(dir / "nbd-server.pid");
        if (!pid.empty()) ::kill(std::stoi(pid), SIGTERM);
        fs::remove_all(dir);
    }
};

// A port nothing listens on now (the kernel's choice).
std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string nbd_server_program() {
    for (const char* p : {"/usr/bin/nbd-server", "/bin/nbd-server", "/usr/sbin/nbd-server"}) {
        if (::access(p, X_OK) == 0) return p;
    }
    return {};
}

TEST(NbdServer, OneExportPerRootEachAllowedFromItsBoardAlone) {
    std::string text = nbd_config_text("10.0.0.1", 10809, "/r/.nbd/allow",
                                       {NbdExport{"5a5a0001", "/r/5a5a0001.img", {}}});
    EXPECT_NE(text.find("[generic]\nlistenaddr = 10.0.0.1\nport = 10809\nallowlist = false\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("[5a5a0001]\nexportname = /r/5a5a0001.img\nauthfile = /r/.nbd/allow/5a5a0001\n"
                        "flush = true\nfua = true\ntrim = true\n"),
              std::string::npos)
        << text;

    Scratch s;
    NbdServer nbd({s.dir.string(), "127.0.0.1", free_port(), ""});  // a unit runs it: never started here
    auto a = NbdExport{"5a5a0001", "/r/5a5a0001.img", {proto::Ipv4(0x0a000007)}};
    auto b = NbdExport{"5a5a0002", "/r/5a5a0002.img", {}};
    auto applied = nbd.apply({b, a});
    ASSERT_FALSE(applied);  // nothing runs it
    EXPECT_NE(applied.error().reason.find("not running"), std::string::npos) << applied.error().reason;
    std::string conf = slurp(s.dir / "nbd-server.conf");
    EXPECT_LT(conf.find("[5a5a0001]"), conf.find("[5a5a0002]"));  // sorted: the same roots, the same file
    EXPECT_NE(slurp(s.dir / "allow/5a5a0001").find("\n10.0.0.7\n"), std::string::npos);
    std::string nobody = slurp(s.dir / "allow/5a5a0002");
    EXPECT_EQ(nobody.find_first_of("0123456789", nobody.find('\n')), std::string::npos) << nobody;
    // A board's new address: its file alone changes, the configuration does not.
    a.allowed = {proto::Ipv4(0x0a000009)};
    (void)nbd.apply({a, b});
    EXPECT_EQ(slurp(s.dir / "nbd-server.conf"), conf);
    EXPECT_NE(slurp(s.dir / "allow/5a5a0001").find("\n10.0.0.9\n"), std::string::npos);
    // A root removed: out of the configuration, and its file allows nobody.
    (void)nbd.apply({b});
    EXPECT_EQ(slurp(s.dir / "nbd-server.conf").find("[5a5a0001]"), std::string::npos);
    ASSERT_TRUE(fs::exists(s.dir / "allow/5a5a0001"));
    EXPECT_EQ(slurp(s.dir / "allow/5a5a0001").find("10.0.0.9"), std::string::npos);
}

TEST(NbdServer, DebiansNbdServerIsStartedReloadedAndFoundAgain) {
    std::string program = nbd_server_program();
    if (program.empty()) GTEST_SKIP() << "nbd-server is not installed (Debian's nbd-server package)";
    Scratch s;
    std::ofstream(s.dir / "a.img").put('x');
    NbdServer::Options o{s.dir.string(), "127.0.0.1", free_port(), program};
    NbdServer nbd(o);
    // No export: nothing to start (nbd-server refuses to run without one).
    ASSERT_TRUE(nbd.apply({}));
    EXPECT_EQ(nbd.status().pid, 0);
    auto started = nbd.apply({NbdExport{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}}});
    ASSERT_TRUE(started) << started.error().reason;
    int pid = nbd.status().pid;
    ASSERT_GT(pid, 0);
    EXPECT_EQ(nbd.status().starts, 1u);
    EXPECT_EQ(nbd.status().reloads, 0u);
    // The same exports: no reload. One more: reloaded, the same process.
    ASSERT_TRUE(nbd.apply({NbdExport{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}}}));
    EXPECT_EQ(nbd.status().reloads, 0u);
    ASSERT_TRUE(nbd.apply({NbdExport{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}},
                           NbdExport{"5a5a0002", (s.dir / "a.img").string(), {}}}));
    EXPECT_EQ(nbd.status().reloads, 1u);
    EXPECT_EQ(nbd.status().pid, pid);
    // A restarted rackbootd finds it by its pid file and starts no second one.
    NbdServer again(o);
    ASSERT_TRUE(again.apply({NbdExport{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}},
                             NbdExport{"5a5a0002", (s.dir / "a.img").string(), {}}}));
    EXPECT_EQ(again.status().pid, pid);
    EXPECT_EQ(again.status().starts, 0u);
    // Gone: started again.
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) ::usleep(10000);
    auto restarted = again.apply({NbdExport{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}},
                                  NbdExport{"5a5a0002", (s.dir / "a.img").string(), {}}});
    ASSERT_TRUE(restarted) << restarted.error().reason;
    EXPECT_NE(again.status().pid, pid);
    EXPECT_EQ(again.status().starts, 1u);
}

}  // namespace
}  // namespace rackboot::control
