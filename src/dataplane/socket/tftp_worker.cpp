#include "dataplane/socket/tftp_worker.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "dataplane/monotonic_clock.h"

namespace rackboot::dataplane {

using proto::Nanos;

namespace {

constexpr std::uint64_t kListenTag = UINT64_MAX;
constexpr std::uint64_t kCacheTag = UINT64_MAX - 1;
constexpr std::uint64_t kDhcpTag = UINT64_MAX - 2;

}  // namespace

proto::Result<std::unique_ptr<TftpWorker>> TftpWorker::create(const WorkerConfig& cfg) {
    std::unique_ptr<TftpWorker> w(new TftpWorker(cfg));
    if (proto::Result<> ok = w->init(); !ok) return tl::unexpected(ok.error());
    return w;
}

proto::Result<> TftpWorker::init() {
    tid_fds_.assign(cfg_.tftp.max_transfers, -1);
    tid_closes_.assign(cfg_.tftp.max_transfers, 0);
    channel_ = std::make_unique<WorkerChannel>(cfg_.tftp.max_transfers);
    cfg_.tftp.events = &channel_->events;
    auto service = TftpService::create(cfg_.tftp, *this);
    if (!service) return tl::unexpected(service.error());
    service_ = std::move(*service);
    if (cfg_.dhcp != nullptr) cfg_.dhcp->engine().report_to(channel_->events);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return proto::failure(std::string("epoll_create1: ") + std::strerror(errno));
    auto add = [&](int fd, std::uint64_t tag, const char* what) -> proto::Result<> {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            return proto::failure(std::string("epoll_ctl(") + what + "): " + std::strerror(errno));
        }
        return {};
    };
    if (auto ok = add(cfg_.listen_fd, kListenTag, "listen"); !ok) return ok;
    if (auto ok = add(service_->cache_event_fd(), kCacheTag, "cache"); !ok) return ok;
    if (cfg_.dhcp != nullptr) {
        for (int fd : {cfg_.dhcp->fd(), cfg_.dhcp->journal_fd()}) {
            if (fd < 0) continue;
            if (auto ok = add(fd, kDhcpTag, "dhcp"); !ok) return ok;
        }
    }
    return {};
}

TftpWorker::~TftpWorker() {
    service_.reset();  // before the sockets it may still name
    for (int fd : tid_fds_) {
        if (fd >= 0) close(fd);
    }
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (cfg_.listen_fd >= 0) close(cfg_.listen_fd);
}

void TftpWorker::run(const std::atomic<bool>& stop) {
    std::array<epoll_event, 256> events{};
    while (!stop.load(std::memory_order_relaxed)) {
        service_->quiescent_point();  // holds nothing from the boot map across iterations
        Nanos now = monotonic_now();
        serve_mailbox(*channel_, *service_, cfg_.dhcp != nullptr ? &cfg_.dhcp->engine() : nullptr, now);
        int timeout_ms = 100;  // also how soon a stop request is noticed
        Nanos next = service_->next_deadline();
        if (next >= 0) {
            Nanos wait = std::max<Nanos>(0, next - now);
            timeout_ms =
                static_cast<int>(std::min<Nanos>(timeout_ms, (wait + proto::kMillisecond - 1) / proto::kMillisecond));
        }
        int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
        now = monotonic_now();
        for (int i = 0; i < n; ++i) {
            std::uint64_t tag = events[i].data.u64;
            if (tag == kListenTag) {
                on_listen_readable(now);
            } else if (tag == kDhcpTag && cfg_.dhcp != nullptr) {
                cfg_.dhcp->on_readable(now, service_->counters());
            } else if (tag == kCacheTag) {
                service_->drain_cache_event();
            } else {
                on_tid_readable(static_cast<std::uint32_t>(tag), now);
            }
        }
        service_->poll(now);
        if (cfg_.dhcp != nullptr) cfg_.dhcp->tick(service_->counters());
    }
    service_->abandon_all(monotonic_now());
}

void TftpWorker::on_listen_readable(Nanos now) {
    int n = listen_rx_.receive(cfg_.listen_fd);
    for (int i = 0; i < n; ++i) {
        const sockaddr_in& from = listen_rx_.from(i);
        Endpoint client{proto::Ipv4::from_network(from.sin_addr.s_addr), ntohs(from.sin_port), {}};
        service_->counters().rx_packets.add();
        if (listen_rx_.truncated(i)) {
            service_->on_oversized_request(listen_rx_.data(i), listen_rx_.length(i), client, now);
            continue;
        }
        proto::Ipv4 local = cfg_.listen_addr;
        if (local.unset()) local = proto::Ipv4::from_network(listen_rx_.pktinfo(i).ipi_spec_dst.s_addr);
        service_->on_request(listen_rx_.data(i), listen_rx_.length(i), client, local, now);
    }
}

void TftpWorker::on_tid_readable(std::uint32_t slot, Nanos now) {
    if (slot >= tid_fds_.size()) return;
    int fd = tid_fds_[slot];
    if (fd < 0) return;
    std::uint32_t closes = tid_closes_[slot];
    int n = tid_rx_.receive(fd);  // more than the batch holds stays readable for the next epoll_wait
    // ICMP port unreachable: the client closed its socket, as a probe does.
    if (n == -ECONNREFUSED) service_->on_tid_unreachable(slot, now);
    for (int i = 0; i < n; ++i) {
        // The transfer ended on an earlier datagram of the batch (its slot may even hold a new
        // transfer, released by admission, on the same descriptor number): the rest were for the
        // socket that is gone.
        if (tid_closes_[slot] != closes) return;
        service_->counters().rx_packets.add();
        service_->on_tid_datagram(slot, tid_rx_.data(i), tid_rx_.length(i), now);
    }
}

TidOpen TftpWorker::open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = local_ip.network();
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = client.ip.network();
    peer.sin_port = htons(client.port);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = slot;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) < 0 ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        bool shortage = errno == EMFILE || errno == ENFILE;
        if (fd >= 0) close(fd);
        return shortage ? TidOpen::out_of_descriptors : TidOpen::failed;
    }
    tid_fds_[slot] = fd;
    return TidOpen::opened;
}

void TftpWorker::close_tid(std::uint32_t slot) {
    if (tid_fds_[slot] >= 0) close(tid_fds_[slot]);  // closing also leaves the epoll set
    tid_fds_[slot] = -1;
    ++tid_closes_[slot];
}

std::uint32_t TftpWorker::send(std::uint32_t slot, std::span<const TxDatagram> datagrams) {
    std::array<mmsghdr, kMaxWindowBatch> msgs{};
    std::size_t n = std::min<std::size_t>(datagrams.size(), msgs.size());
    for (std::size_t i = 0; i < n; ++i) {
        msgs[i].msg_hdr.msg_iov = const_cast<iovec*>(datagrams[i].iov.data());
        msgs[i].msg_hdr.msg_iovlen = datagrams[i].iovcnt;
    }
    int sent = sendmmsg(tid_fds_[slot], msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    return sent < 0 ? 0 : static_cast<std::uint32_t>(sent);
}

void TftpWorker::send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = to.ip.network();
    sa.sin_port = htons(to.port);
    (void)sendto(cfg_.listen_fd, datagram.data(), datagram.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sa),
                 sizeof sa);
}

}  // namespace rackboot::dataplane
