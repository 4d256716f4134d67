#include "dataplane/dhcp_service.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace rackboot::dataplane {

std::int64_t wall_seconds() noexcept;

std::int64_t wall_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

std::unique_ptr<DhcpService> DhcpService::create(const DhcpServiceConfig& cfg, std::string& error) {
    std::unique_ptr<DhcpService> d(new DhcpService(cfg));
    if (cfg.responder.mode == proto::DhcpMode::Server) {
        if (cfg.journal == nullptr || !cfg.journal->ok()) {
            error = "DHCP server mode needs a lease store";
            return nullptr;
        }
        auto table = proto::LeaseTable::create(cfg.leases, error);
        if (!table) return nullptr;
        d->server_.emplace(cfg.server, std::move(*table));
        d->pending_.resize(kMaxPending);
    }
    d->tx_.resize(1500);
    d->fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (d->fd_ < 0 || setsockopt(d->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(d->fd_, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0 ||
        setsockopt(d->fd_, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
        error = std::string("cannot create the DHCP socket: ") + std::strerror(errno);
        return nullptr;
    }
    if (!cfg.interface.empty() &&
        setsockopt(d->fd_, SOL_SOCKET, SO_BINDTODEVICE, cfg.interface.c_str(),
                   static_cast<socklen_t>(cfg.interface.size())) < 0) {
        error = "--dhcp-interface: cannot bind to '" + cfg.interface + "': " + std::strerror(errno);
        return nullptr;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    sa.sin_port = htons(cfg.port);
    if (bind(d->fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        error = "cannot bind DHCP to 0.0.0.0:" + std::to_string(cfg.port) + ": " + std::strerror(errno) +
                (errno == EACCES ? " (port 67 needs root or CAP_NET_BIND_SERVICE)" : "");
        return nullptr;
    }
    return d;
}

DhcpService::~DhcpService() {
    if (fd_ >= 0) close(fd_);
}

void DhcpService::on_readable(proto::Nanos, WorkerCounters& counters) {
    if (server_) {
        cfg_.journal->drain_worker_fd();
        flush_committed(counters);
    }
    bool pushed = false;
    int n = rx_.receive(fd_);
    for (int i = 0; i < n; ++i) {
        counters.rx_packets.add();
        in_pktinfo info = rx_.pktinfo(i);
        proto::DhcpPacket req;
        proto::ConstBytes data(rx_.data(i), rx_.length(i));
        if (rx_.truncated(i) || proto::parse_dhcp(data, req) != proto::DhcpParseError::none) {
            counters.dhcp_packets[0][static_cast<std::size_t>(proto::DhcpVerdict::malformed)].add();
            continue;
        }
        std::uint32_t local_ip = ntohl(info.ipi_spec_dst.s_addr);
        proto::DhcpReply reply;
        std::uint32_t yiaddr = 0;
        if (!server_) {
            reply = responder_.handle(req, local_ip, tx_);
            if (reply.verdict == proto::DhcpVerdict::replied) {
                send_reply(reply, tx_.data(), local_ip, info.ipi_ifindex, counters);
            }
        } else if (pending_count_ == kMaxPending || !cfg_.journal->has_room(1)) {
            // The lease store is behind: drop rather than answer what cannot be made durable.
            reply.verdict = proto::DhcpVerdict::busy;
        } else {
            proto::DhcpServerResult res = server_->handle(req, local_ip, wall_seconds(), tx_);
            reply = res.reply;
            if (res.offer_without_request) {
                counters.dhcp_quirks[static_cast<std::size_t>(DhcpQuirk::offer_without_request)].add();
            }
            std::uint64_t seq = 0;
            if (res.change) {
                seq = cfg_.journal->push(*res.change);
                pushed = true;
            }
            if (reply.length > 0 && reply.length <= sizeof(Pending::bytes)) {
                if (seq == 0) {
                    send_reply(reply, tx_.data(), local_ip, info.ipi_ifindex, counters);  // NAK, INFORM
                } else {
                    Pending& p = pending_[(pending_head_ + pending_count_) % kMaxPending];
                    p.seq = seq;
                    p.reply = reply;
                    p.local_ip = local_ip;
                    p.ifindex = info.ipi_ifindex;
                    std::memcpy(p.bytes.data(), tx_.data(), reply.length);
                    ++pending_count_;
                }
            }
            if (res.change && reply.verdict == proto::DhcpVerdict::replied) yiaddr = res.change->ip;
        }
        counters.dhcp_packets[static_cast<std::size_t>(req.type)][static_cast<std::size_t>(reply.verdict)].add();

        DhcpRecord r;
        r.mac = req.mac();
        r.xid = req.xid;
        r.is_pi = reply.pi.is_pi;
        r.has_serial = reply.pi.serial.has_value();
        r.serial = reply.pi.serial.value_or(0);
        r.model = static_cast<std::uint8_t>(reply.pi.model);
        r.type = static_cast<std::uint8_t>(req.type);
        r.verdict = static_cast<std::uint8_t>(reply.verdict);
        r.yiaddr = yiaddr;
        r.via = req.giaddr;
        r.ifindex = static_cast<std::uint32_t>(info.ipi_ifindex);
        records_.push(r);
    }
    if (pushed) cfg_.journal->notify_store();
}

void DhcpService::flush_committed(WorkerCounters& counters) {
    std::uint64_t committed = cfg_.journal->committed();
    while (pending_count_ > 0 && pending_[pending_head_].seq <= committed) {
        Pending& p = pending_[pending_head_];
        send_reply(p.reply, p.bytes.data(), p.local_ip, p.ifindex, counters);
        pending_head_ = (pending_head_ + 1) % kMaxPending;
        --pending_count_;
    }
}

void DhcpService::restore(const std::vector<proto::Lease>& leases) {
    if (!server_) return;
    for (const proto::Lease& l : leases) server_->leases().restore(l);
}

void DhcpService::tick(WorkerCounters& counters) {
    if (!server_) return;
    std::int64_t now = wall_seconds();
    if (now == last_tick_) return;
    last_tick_ = now;
    counters.dhcp_leases_in_use.set(server_->leases().in_use(now));
    counters.dhcp_pool_size.set(server_->leases().pool_size());
}

void DhcpService::send_reply(const proto::DhcpReply& reply, const std::uint8_t* data, std::uint32_t local_ip,
                             int ifindex, WorkerCounters& counters) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::array<std::uint8_t, CMSG_SPACE(sizeof(in_pktinfo))> ctrl{};
    msghdr msg{};
    iovec iov{const_cast<std::uint8_t*>(data), reply.length};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    if (reply.dest == proto::DhcpReply::Dest::Relay) {
        to.sin_addr.s_addr = htonl(reply.dest_ip);
        to.sin_port = htons(cfg_.port);
    } else if (reply.dest == proto::DhcpReply::Dest::Client) {
        to.sin_addr.s_addr = htonl(reply.dest_ip);
        to.sin_port = htons(static_cast<std::uint16_t>(cfg_.port + 1));
    } else {
        // Limited broadcast, out of the interface the request came in on, from our address there.
        to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
        to.sin_port = htons(static_cast<std::uint16_t>(cfg_.port + 1));
        msg.msg_control = ctrl.data();
        msg.msg_controllen = ctrl.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_ifindex = ifindex;
        info.ipi_spec_dst.s_addr = htonl(local_ip);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    if (sendmsg(fd_, &msg, MSG_DONTWAIT) > 0) {
        counters.tx_packets.add();
    } else {
        counters.drop(DropReason::tx_failed);
    }
}

}  // namespace rackboot::dataplane
