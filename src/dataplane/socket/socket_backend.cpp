#include "dataplane/socket/socket_backend.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dataplane/cpu_affinity.h"
#include "dataplane/socket/socket_buffers.h"
#include "dataplane/socket/udp_rx_batch.h"

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

proto::Result<ListenGroup> open_listen_group(proto::Ipv4 addr, std::uint16_t port, std::uint32_t count) {
    ListenGroup group;
    std::vector<int>& fds = group.fds;
    std::uint16_t& bound_port = group.port;
    bound_port = port;
    const std::string text = addr.to_string();
    for (std::uint32_t i = 0; i < count; ++i) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        int rcvbuf = 4 << 20;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
            std::string why = std::string("cannot create the TFTP socket: ") + std::strerror(errno);
            if (fd >= 0) close(fd);
            for (int f : fds) close(f);
            return proto::failure(why);
        }
        grow_receive_buffer(fd, rcvbuf);  // best effort: bursts of RRQs
        grow_send_buffer(fd, 4 << 20);    // and of DATA windows
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = addr.network();
        sa.sin_port = htons(bound_port);
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
            std::string why = std::string("cannot bind TFTP to ") + text + ":" + std::to_string(bound_port) + ": " +
                              std::strerror(errno) +
                              (errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
            close(fd);
            for (int f : fds) close(f);
            return proto::failure(why);
        }
        if (bound_port == 0) {
            socklen_t len = sizeof sa;
            getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
            bound_port = ntohs(sa.sin_port);
        }
        fds.push_back(fd);
    }
    group.steering = count == 1 || attach_steering(fds[0], count);
    return group;
}

proto::Result<std::unique_ptr<SocketBackend>> SocketBackend::create(const BackendCommon& common,
                                                                    const SocketOptions& opts) {
    std::unique_ptr<SocketBackend> b(new SocketBackend());
    std::uint32_t n = std::max<std::uint32_t>(1, common.workers);
    if (common.dhcp) {
        auto dhcp = DhcpService::create(DhcpServiceConfig{opts.dhcp_interface, common.dhcp_port, *common.dhcp});
        if (!dhcp) return tl::unexpected(dhcp.error());
        b->dhcp_ = std::move(*dhcp);
    }
    auto arena = shared_chunk_arena(common, false);
    if (!arena) return tl::unexpected(arena.error());
    auto group = open_listen_group(opts.listen_addr, opts.port, n);
    if (!group) return tl::unexpected(group.error());
    b->port_ = group->port;
    const bool steering = group->steering;
    std::vector<int>& fds = group->fds;
    for (std::uint32_t i = 0; i < n; ++i) {
        WorkerConfig wc;
        wc.listen_fd = fds[i];
        fds[i] = -1;
        wc.listen_addr = opts.listen_addr;
        wc.tftp = tftp_service_config(common, i, b->active_);
        wc.tftp.cache.arena = *arena;
        if (i == 0) wc.dhcp = b->dhcp_.get();  // DHCP runs on one worker: lease decisions stay single-writer
        auto w = TftpWorker::create(wc);
        if (!w) {
            for (int f : fds) {
                if (f >= 0) close(f);
            }
            return tl::unexpected(w.error());
        }
        b->workers_.push_back(std::move(*w));
    }
    b->info_ =
        BackendInfo{opts.listen_addr.to_string(), b->port_, "socket", steering ? "client-address" : "kernel-hash",
                    common.cpus.empty() ? pick_worker_cpus(static_cast<int>(n)) : common.cpus};
    return b;
}

void SocketBackend::start() {
    threads_.start(workers_.size(), info_.cpus,
                   [this](std::size_t i, const std::atomic<bool>& stop) { workers_[i]->run(stop); });
}

SocketBackend::~SocketBackend() {
    stop_workers();
    workers_.clear();  // before the DHCP service they poll
}

}  // namespace rackboot::dataplane
