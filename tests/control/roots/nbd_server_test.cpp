// nbd-server kept in step with the boards' roots: one export whose file is named by the
// connecting address, a link per board address to that board's disk (changed atomically, removed
// when the address or the root goes, given to nobody when two boards claim it), and Debian's
// nbd-server started, never reloaded, found again by a second NbdServer (a restarted rackbootd),
// started again when it is gone, and replaced only when its configuration changed.
#include "control/roots/nbd_server.h"

#include <netinet/in.h>
#include <pthread.h>
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

std::string link_of(const fs::path& p) {
    std::error_code ec;
    fs::path t = fs::read_symlink(p, ec);
    return ec ? std::string() : t.string();
}

// Alive and not a zombie (a daemon's zombie waits for whatever reaps orphans here).
bool running(int pid) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

constexpr proto::Ipv4 kA{0x0a000007};  // 10.0.0.7
constexpr proto::Ipv4 kB{0x0a000009};  // 10.0.0.9

TEST(NbdServer, EachBoardAddressLinksToItsOwnDisk) {
    std::string text = nbd_config_text("10.0.0.1", 10809, "/r/.nbd/by-address");
    EXPECT_NE(text.find("[generic]\nlistenaddr = 10.0.0.1\nport = 10809\nallowlist = false\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("[root]\nexportname = /r/.nbd/by-address/%s\nvirtstyle = ipliteral\n"
                        "flush = true\nfua = true\ntrim = true\n"),
              std::string::npos)
        << text;

    Scratch s;
    NbdServer nbd({s.dir.string(), "127.0.0.1", free_port(), ""});  // a unit runs it: never started here
    NbdExport a{"5a5a0001", "/r/5a5a0001.img", {kA}};
    NbdExport b{"5a5a0002", "/r/5a5a0002.img", {}};
    auto applied = nbd.apply({b, a});
    ASSERT_FALSE(applied);  // nothing runs it
    EXPECT_NE(applied.error().reason.find("not running"), std::string::npos) << applied.error().reason;
    EXPECT_NE(slurp(s.dir / "nbd-server.conf").find("exportname = " + (s.dir / "by-address").string() + "/%s"),
              std::string::npos);
    EXPECT_EQ(link_of(s.dir / "by-address/10.0.0.7"), "/r/5a5a0001.img");
    EXPECT_EQ(nbd.status().addresses, 1u);  // the board with no address reaches nothing
    // A board's new address: the old link goes, the new one is there.
    a.allowed = {kB};
    (void)nbd.apply({a, b});
    EXPECT_EQ(link_of(s.dir / "by-address/10.0.0.7"), "");
    EXPECT_EQ(link_of(s.dir / "by-address/10.0.0.9"), "/r/5a5a0001.img");
    // Two boards claiming one address: neither gets it, and the reason names both.
    b.allowed = {kB};
    auto twice = nbd.apply({a, b});
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().reason.find("10.0.0.9 (boards 5a5a0001 and 5a5a0002)"), std::string::npos)
        << twice.error().reason;
    EXPECT_EQ(link_of(s.dir / "by-address/10.0.0.9"), "");
    // The root gone: its address reaches nothing.
    b.allowed = {};
    (void)nbd.apply({a, b});
    EXPECT_EQ(link_of(s.dir / "by-address/10.0.0.9"), "/r/5a5a0001.img");
    (void)nbd.apply({b});
    EXPECT_TRUE(fs::is_empty(s.dir / "by-address"));
}

TEST(NbdServer, DebiansNbdServerIsStartedFoundAgainAndReplacedOnlyForANewConfiguration) {
    std::string program = nbd_server_program();
    if (program.empty()) GTEST_SKIP() << "nbd-server is not installed (Debian's nbd-server package)";
    Scratch s;
    std::ofstream(s.dir / "a.img").put('x');
    NbdServer::Options o{s.dir.string(), "127.0.0.1", free_port(), program};
    std::vector<NbdExport> exports{{"5a5a0001", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000001)}}};
    // Started as rackbootd starts it: with SIGTERM blocked in the starting thread (rackbootd's
    // control thread takes it with sigtimedwait). It must still stop on SIGTERM (below).
    sigset_t term;
    sigset_t before;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &before), 0);
    NbdServer nbd(o);
    ASSERT_TRUE(nbd.apply({}));
    EXPECT_EQ(nbd.status().pid, 0);  // no root: nothing started
    auto started = nbd.apply(exports);
    ASSERT_TRUE(started) << started.error().reason;
    int pid = nbd.status().pid;
    ASSERT_GT(pid, 0);
    EXPECT_EQ(nbd.status().starts, 1u);
    // A new root: a link, the same process (no reload: nbd-server 3.24's reload breaks it).
    exports.push_back({"5a5a0002", (s.dir / "a.img").string(), {proto::Ipv4(0x7f000002)}});
    ASSERT_TRUE(nbd.apply(exports));
    EXPECT_EQ(nbd.status().pid, pid);
    EXPECT_EQ(nbd.status().starts, 1u);
    // A restarted rackbootd finds it by its pid file and starts no second one.
    NbdServer again(o);
    ASSERT_TRUE(again.apply(exports));
    EXPECT_EQ(again.status().pid, pid);
    EXPECT_EQ(again.status().starts, 0u);
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &before, nullptr), 0);
    // SIGTERM stops it (it did not keep rackbootd's blocked mask); gone, it is started again.
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    for (int i = 0; i < 200 && running(pid); ++i) ::usleep(10000);
    auto restarted = again.apply(exports);
    ASSERT_TRUE(restarted) << restarted.error().reason;
    int second = again.status().pid;
    EXPECT_NE(second, pid);
    EXPECT_EQ(again.status().starts, 1u);
    // Another port: the listener replaced.
    o.port = free_port();
    NbdServer moved(o);
    auto replaced = moved.apply(exports);
    ASSERT_TRUE(replaced) << replaced.error().reason;
    EXPECT_NE(moved.status().pid, second);
    EXPECT_FALSE(running(second)) << "the old listener still runs";
    EXPECT_NE(slurp(s.dir / "nbd-server.conf").find("port = " + std::to_string(o.port)), std::string::npos);
}

}  // namespace
}  // namespace rackboot::control
