#include "swarm/udp_tftp_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/flag_table.h"
#include "proto/result.h"
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
    bool help = false;
};

using proto::failure;
using proto::FlagShape;
using proto::Result;
using Row = proto::FlagRow<Options>;

bool parse_address(std::string_view text, in_addr& out) {
    return inet_pton(AF_INET, std::string(text).c_str(), &out) == 1;
}

// A whole number in [min, max] into `out`, or `why`.
template <typename T>
Result<> whole(std::string_view text, unsigned long long min, unsigned long long max, T& out, const char* why) {
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < min || v > max) {
        return failure(why);
    }
    out = static_cast<T>(v);
    return {};
}

const Row kRows[] = {
    {"--server", "ADDR:PORT", FlagShape::Value, "the TFTP server (required)",
     [](Options& o, std::string_view v) -> Result<> {
         std::size_t colon = v.rfind(':');
         std::uint16_t port = 0;
         if (colon == std::string_view::npos || !parse_address(v.substr(0, colon), o.server.sin_addr) ||
             !whole(v.substr(colon + 1), 1, 65535, port, "")) {
             return failure("is not ADDR:PORT");
         }
         o.server.sin_family = AF_INET;
         o.server.sin_port = htons(port);
         return {};
     }},
    {"--file", "NAME", FlagShape::Value, "the file each client fetches (required)",
     [](Options& o, std::string_view v) -> Result<> {
         o.file = std::string(v);
         return {};
     }},
    {"--size", "BYTES", FlagShape::Value, "its size: every transfer is checked against it (required)",
     [](Options& o, std::string_view v) { return whole(v, 0, UINT64_MAX, o.size, "is not a byte count"); }},
    {"--clients", "N", FlagShape::Value, "clients fetching at once (default 64)",
     [](Options& o, std::string_view v) { return whole(v, 1, 100000, o.clients, "is not a count of 1 to 100000"); }},
    {"--seconds", "S", FlagShape::Value, "how long the run lasts (default 5)",
     [](Options& o, std::string_view v) -> Result<> {
         char* end = nullptr;
         std::string text(v);
         double d = std::strtod(text.c_str(), &end);
         if (text.empty() || *end != '\0' || !(d > 0 && d <= 86400)) return failure("is not seconds (0-86400]");
         o.seconds = d;
         return {};
     }},
    {"--blksize", "B", FlagShape::Value, "the blksize asked (default 1468; 0: no options)",
     [](Options& o, std::string_view v) -> Result<> {
         if (Result<> r = whole(v, 0, 65464, o.blksize, "is not 0 or 8 to 65464"); !r) return r;
         if (o.blksize != 0 && o.blksize < 8) return failure("is not 0 or 8 to 65464");
         return {};
     }},
    {"--sources", "A,B,...", FlagShape::List, "the clients' addresses, in turn (default: any)",
     [](Options& o, std::string_view v) -> Result<> {
         for (;;) {
             std::size_t comma = v.find(',');
             in_addr a{};
             if (!parse_address(v.substr(0, comma), a)) return failure("is not a list of IPv4 addresses");
             o.sources.push_back(a);
             if (comma == std::string_view::npos) return {};
             v.remove_prefix(comma + 1);
         }
     }},
    {"--help",
     {},
     FlagShape::CommandLine,
     "this text",
     [](Options& o, std::string_view) -> Result<> {
         o.help = true;
         return {};
     }},
};

std::string usage() {
    return "usage: tftp_load --server ADDR:PORT --file NAME --size BYTES [options]\n\n" +
           proto::flag_usage(std::span<const Row>(kRows));
}

Result<Options> parse(const std::vector<std::string>& args) {
    std::vector<std::string_view> words(args.begin(), args.end());
    Options o;
    if (Result<> r = proto::apply_flags(std::span<const Row>(kRows), std::span<const std::string_view>(words), o); !r) {
        return tl::unexpected(r.error());
    }
    if (!o.help && (o.file.empty() || o.server.sin_port == 0)) {
        return failure("--server, --file and --size are required", 2);
    }
    return o;
}

// One run: every client fetches the file in a loop, a fresh port per transfer.
class LoadRun {
public:
    explicit LoadRun(const Options& o)
        : o_(o), clients_(static_cast<std::size_t>(o.clients)), blksize_(o.blksize > 0 ? o.blksize : 512) {
        TftpOptionList opts;
        std::string bs = std::to_string(o.blksize);
        if (o.blksize > 0) opts.items[opts.count++] = {"blksize", bs};
        rrq_.resize(1024);
        rrq_.resize(build_tftp_request(rrq_, TftpOpcode::Rrq, o.file, "octet", opts));
    }
    ~LoadRun() {
        for (Client& c : clients_) {
            if (c.fd >= 0) close(c.fd);
        }
        if (ep_ >= 0) close(ep_);
    }
    LoadRun(const LoadRun&) = delete;
    LoadRun& operator=(const LoadRun&) = delete;

    // False when a client's socket could not be bound.
    bool run() {
        start_ = now_s();
        double end = start_ + o_.seconds;
        for (std::size_t i = 0; i < clients_.size(); ++i) begin(i);
        std::vector<epoll_event> evs(256);
        double last_scan = start_;
        while (!bind_failed_ && now_s() < end) {
            int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 10);
            for (int k = 0; k < n; ++k) on_readable(evs[k].data.u64);
            double t = now_s();
            if (t - last_scan > 0.1) {
                last_scan = t;
                resend_stale(t);
            }
        }
        return !bind_failed_;
    }

    // The key=value line; the exit code (1 when a transfer had the wrong size).
    int report() const {
        double elapsed = now_s() - start_;
        std::printf(
            "transfers=%llu transfers_per_s=%.1f mbytes_per_s=%.1f wrong_size=%llu errors=%llu timeouts=%llu "
            "clients=%d blksize=%d seconds=%.2f\n",
            static_cast<unsigned long long>(done_), static_cast<double>(done_) / elapsed,
            static_cast<double>(bytes_) / elapsed / 1e6, static_cast<unsigned long long>(bad_),
            static_cast<unsigned long long>(errors_), static_cast<unsigned long long>(timeouts_), o_.clients,
            o_.blksize, elapsed);
        return bad_ == 0 ? 0 : 1;
    }

private:
    void send_last(Client& c, const sockaddr_in& to) {
        sendto(c.fd, c.last.data(), c.last.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
        c.last_sent = now_s();
    }

    // Client i starts a transfer from a fresh port, as a boot ROM does.
    void begin(std::size_t i) {
        Client& c = clients_[i];
        if (c.fd >= 0) close(c.fd);
        c = Client{};
        c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr = o_.sources.empty() ? in_addr{htonl(INADDR_ANY)} : o_.sources[i % o_.sources.size()];
        if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            std::perror("tftp_load: bind");
            bind_failed_ = true;
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
        c.last = rrq_;
        send_last(c, o_.server);
    }

    void on_readable(std::size_t i) {
        Client& c = clients_[i];
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(c.fd, buf_, sizeof buf_, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (len < 4) return;
        TftpPacket pkt;
        if (parse_tftp(ConstBytes(buf_, static_cast<std::size_t>(len)), pkt) != TftpParseError::none) return;
        if (!c.have_peer) {
            c.peer = from;
            c.have_peer = true;
        }
        std::uint8_t ack[4];
        if (pkt.opcode == TftpOpcode::Error) {
            ++errors_;
            begin(i);
            return;
        }
        if (pkt.opcode == TftpOpcode::Oack) {
            c.last.assign(ack, ack + build_tftp_ack(ack, 0));
            send_last(c, c.peer);
            return;
        }
        if (pkt.opcode != TftpOpcode::Data || pkt.block != c.expected) return;
        c.received += pkt.payload.size();
        c.last.assign(ack, ack + build_tftp_ack(ack, pkt.block));
        send_last(c, c.peer);
        c.retries = 0;
        ++c.expected;
        if (pkt.payload.size() < blksize_) {
            bytes_ += c.received;
            ++(c.received == o_.size ? done_ : bad_);
            begin(i);
        }
    }

    // Each client silent for a second resends its last packet; after 5 resends it starts over.
    void resend_stale(double t) {
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            Client& c = clients_[i];
            if (t - c.last_sent < 1.0) continue;
            if (++c.retries > 5) {
                ++timeouts_;
                begin(i);
            } else {
                send_last(c, c.have_peer ? c.peer : o_.server);
            }
        }
    }

    const Options& o_;
    int ep_ = epoll_create1(EPOLL_CLOEXEC);
    std::vector<Client> clients_;
    std::vector<std::uint8_t> rrq_;
    std::uint64_t blksize_;
    std::uint64_t done_ = 0, bad_ = 0, errors_ = 0, timeouts_ = 0, bytes_ = 0;
    bool bind_failed_ = false;
    double start_ = 0;
    std::uint8_t buf_[70000];
};

}  // namespace

int run_udp_tftp_load_main(const std::vector<std::string>& args) {
    Result<Options> o = parse(args);
    if (!o) {
        std::fprintf(stderr, "tftp_load: %s\n%s", o.error().reason.c_str(), usage().c_str());
        return 2;
    }
    if (o->help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    LoadRun load(*o);
    if (!load.run()) return 1;
    return load.report();
}

}  // namespace rackboot::swarm
