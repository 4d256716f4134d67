#include "dataplane/socket_backend.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dataplane/cpu_affinity.h"
#include "dataplane/socket_buffers.h"
#include "dataplane/udp_rx_batch.h"

namespace rackboot::dataplane {

namespace {

// Classic BPF for SO_ATTACH_REUSEPORT_CBPF: the group member is the IPv4 source address modulo
// the group size. The program sees the UDP payload; SKF_NET_OFF reaches the IP header.
bool attach_steering(int fd, std::uint32_t count) {
    sock_filter code[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<std::uint32_t>(SKF_NET_OFF + 12)},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, count},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) == 0;
}

}  // namespace

std::vector<int> open_listen_group(in_addr addr, std::uint16_t port, std::uint32_t count, std::uint16_t& bound_port,
                                   bool& steering, std::string& error) {
    std::vector<int> fds;
    bound_port = port;
    steering = false;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr, text, sizeof text);
    for (std::uint32_t i = 0; i < count; ++i) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        int rcvbuf = 4 << 20;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
            error = std::string("cannot create the TFTP socket: ") + std::strerror(errno);
            if (fd >= 0) close(fd);
            for (int f : fds) close(f);
            return {};
        }
        grow_receive_buffer(fd, rcvbuf);  // best effort: bursts of RRQs
        grow_send_buffer(fd, 4 << 20);    // and of DATA windows
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr = addr;
        sa.sin_port = htons(bound_port);
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
            error = std::string("cannot bind TFTP to ") + text + ":" + std::to_string(bound_port) + ": " +
                    std::strerror(errno) + (errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
            close(fd);
            for (int f : fds) close(f);
            return {};
        }
        if (bound_port == 0) {
            socklen_t len = sizeof sa;
            getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
            bound_port = ntohs(sa.sin_port);
        }
        fds.push_back(fd);
    }
    steering = count == 1 || attach_steering(fds[0], count);
    return fds;
}

std::unique_ptr<SocketBackend> SocketBackend::create(const SocketBackendConfig& cfg, std::string& error) {
    std::unique_ptr<SocketBackend> b(new SocketBackend());
    std::uint32_t n = cfg.workers == 0 ? 1 : cfg.workers;
    std::vector<int> fds = open_listen_group(cfg.listen_addr, cfg.port, n, b->port_, b->steering_, error);
    if (fds.empty()) return nullptr;
    b->cpus_ = cfg.cpus.empty() ? pick_worker_cpus(static_cast<int>(n)) : cfg.cpus;
    for (std::uint32_t i = 0; i < n; ++i) {
        WorkerConfig wc;
        wc.listen_fd = fds[i];
        fds[i] = -1;
        wc.listen_addr = cfg.listen_addr;
        wc.tftp.id = static_cast<std::uint16_t>(i);
        wc.tftp.limits = cfg.limits;
        // Every worker can hold the whole cap: the shared counter enforces it, and one worker may
        // carry most clients when few addresses are in play.
        wc.tftp.max_transfers = cfg.max_transfers;
        wc.tftp.global_active = &b->active_;
        wc.tftp.global_cap = cfg.max_transfers;
        wc.tftp.trees = cfg.trees;
        wc.tftp.cache.budget_bytes = cfg.cache_bytes / n;
        // DHCP runs on one worker: lease decisions stay single-writer (DESIGN.md).
        if (i == 0) wc.dhcp = cfg.dhcp;
        auto w = TftpWorker::create(wc, error);
        if (!w) {
            for (int f : fds) {
                if (f >= 0) close(f);
            }
            return nullptr;
        }
        b->workers_.push_back(std::move(w));
    }
    return b;
}

void SocketBackend::start() {
    stop_.store(false);
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        int cpu = cpus_[i % cpus_.size()];
        threads_.emplace_back([this, i, cpu] {
            std::string err;
            if (!pin_current_thread(cpu, err)) {  // an unpinned worker still works: say so, go on
                std::fprintf(stderr, "event=warning worker=%zu what=\"not pinned: %s\"\n", i, err.c_str());
            }
            workers_[i]->run(stop_);
        });
    }
}

void SocketBackend::stop() {
    stop_.store(true);
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

SocketBackend::~SocketBackend() { stop(); }

}  // namespace rackboot::dataplane
