#include "swarm/udp_tftp_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "proto/tftp_codec.h"

namespace rackboot::swarm {

namespace {

using namespace rackboot::proto;

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Client {
    int fd = -1;
    sockaddr_in peer{};
    bool have_peer = false;
    std::uint16_t expected = 1;
    std::uint64_t received = 0;
    std::vector<std::uint8_t> last;  // last packet sent, for retransmission
    double last_sent = 0;
    int retries = 0;
};

struct Options {
    sockaddr_in server{};
    std::string file;
    std::uint64_t size = 0;
    int clients = 64;
    double seconds = 5;
    int blksize = 1468;
    std::vector<in_addr> sources;
};

constexpr const char* kUsage =
    "usage: tftp_load --server ADDR:PORT --file NAME --size BYTES [--clients N] [--seconds S] [--blksize B|0] "
    "[--sources A,B,...]\n";

// False with the reason in `why`.
bool parse(const std::vector<std::string>& args, Options& o, std::string& why) {
    auto usage = [&](const std::string& what) {
        why = what;
        return false;
    };
    if (args.size() % 2 != 0) return usage("every option takes a value");
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        const std::string& k = args[i];
        const std::string& v = args[i + 1];
        if (k == "--server") {
            auto colon = v.rfind(':');
            if (colon == std::string::npos) return usage("--server wants ADDR:PORT");
            o.server.sin_family = AF_INET;
            if (inet_pton(AF_INET, v.substr(0, colon).c_str(), &o.server.sin_addr) != 1) return usage("bad --server");
            o.server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(v.c_str() + colon + 1)));
        } else if (k == "--file") {
            o.file = v;
        } else if (k == "--size") {
            o.size = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "--clients") {
            o.clients = std::atoi(v.c_str());
        } else if (k == "--seconds") {
            o.seconds = std::atof(v.c_str());
        } else if (k == "--blksize") {
            o.blksize = std::atoi(v.c_str());
        } else if (k == "--sources") {
            std::size_t start = 0;
            while (start <= v.size()) {
                auto comma = v.find(',', start);
                std::string a = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                in_addr addr{};
                if (inet_pton(AF_INET, a.c_str(), &addr) != 1) return usage("bad --sources");
                o.sources.push_back(addr);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else {
            return usage("unknown option " + k);
        }
    }
    if (o.file.empty() || o.server.sin_port == 0 || o.clients <= 0) {
        return usage("--server, --file and --size are required");
    }
    return true;
}

}  // namespace

int run_udp_tftp_load_main(const std::vector<std::string>& args) {
    Options o;
    std::string why;
    if (!parse(args, o, why)) {
        std::fprintf(stderr, "tftp_load: %s\n%s", why.c_str(), kUsage);
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<Client> clients(static_cast<std::size_t>(o.clients));
    std::vector<std::uint8_t> rrq(1024);
    TftpOptionList opts;
    std::string bs = std::to_string(o.blksize);
    if (o.blksize > 0) opts.items[opts.count++] = {"blksize", bs};
    rrq.resize(build_tftp_request(rrq, TftpOpcode::Rrq, o.file, "octet", opts));
    const std::uint64_t blksize = o.blksize > 0 ? static_cast<std::uint64_t>(o.blksize) : 512;

    std::uint64_t done = 0, bad = 0, errors = 0, timeouts = 0, bytes = 0;
    bool bind_failed = false;
    auto send_last = [&](Client& c, const sockaddr_in& to) {
        sendto(c.fd, c.last.data(), c.last.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
        c.last_sent = now_s();
    };
    auto begin = [&](std::size_t i) {
        Client& c = clients[i];
        if (c.fd >= 0) close(c.fd);
        c = Client{};
        c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr = o.sources.empty() ? in_addr{htonl(INADDR_ANY)} : o.sources[i % o.sources.size()];
        if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            std::perror("tftp_load: bind");
            bind_failed = true;
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        c.last = rrq;
        send_last(c, o.server);
    };

    double start = now_s();
    double end = start + o.seconds;
    for (std::size_t i = 0; i < clients.size(); ++i) begin(i);
    std::vector<epoll_event> evs(256);
    std::uint8_t buf[70000];
    std::uint8_t ackbuf[4];
    double last_scan = start;
    while (!bind_failed && now_s() < end) {
        int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
        for (int k = 0; k < n; ++k) {
            std::size_t i = evs[k].data.u64;
            Client& c = clients[i];
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            ssize_t len = recvfrom(c.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (len < 4) continue;
            TftpPacket pkt;
            if (parse_tftp(ConstBytes(buf, static_cast<std::size_t>(len)), pkt) != TftpParseError::none) continue;
            if (!c.have_peer) {
                c.peer = from;
                c.have_peer = true;
            }
            if (pkt.opcode == TftpOpcode::Error) {
                ++errors;
                begin(i);
                continue;
            }
            if (pkt.opcode == TftpOpcode::Oack) {
                c.last.assign(ackbuf, ackbuf + build_tftp_ack(ackbuf, 0));
                send_last(c, c.peer);
                continue;
            }
            if (pkt.opcode != TftpOpcode::Data || pkt.block != c.expected) continue;
            c.received += pkt.payload.size();
            c.last.assign(ackbuf, ackbuf + build_tftp_ack(ackbuf, pkt.block));
            send_last(c, c.peer);
            c.retries = 0;
            ++c.expected;
            if (pkt.payload.size() < blksize) {
                bytes += c.received;
                if (c.received == o.size) {
                    ++done;
                } else {
                    ++bad;
                }
                begin(i);
            }
        }
        double t = now_s();
        if (t - last_scan > 0.1) {
            last_scan = t;
            for (std::size_t i = 0; i < clients.size(); ++i) {
                Client& c = clients[i];
                if (t - c.last_sent < 1.0) continue;
                if (++c.retries > 5) {
                    ++timeouts;
                    begin(i);
                } else {
                    send_last(c, c.have_peer ? c.peer : o.server);
                }
            }
        }
    }
    for (Client& c : clients) {
        if (c.fd >= 0) close(c.fd);
    }
    close(ep);
    if (bind_failed) return 1;
    double elapsed = now_s() - start;
    std::printf(
        "transfers=%llu transfers_per_s=%.1f mbytes_per_s=%.1f wrong_size=%llu errors=%llu timeouts=%llu "
        "clients=%d blksize=%d seconds=%.2f\n",
        static_cast<unsigned long long>(done), static_cast<double>(done) / elapsed,
        static_cast<double>(bytes) / elapsed / 1e6, static_cast<unsigned long long>(bad),
        static_cast<unsigned long long>(errors), static_cast<unsigned long long>(timeouts), o.clients, o.blksize,
        elapsed);
    return bad == 0 ? 0 : 1;
}

}  // namespace rackboot::swarm
