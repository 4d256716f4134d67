#include "dataplane/socket/dhcp_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "dataplane/socket/socket_buffers.h"

namespace rackboot::dataplane {

proto::Result<std::unique_ptr<DhcpService>> DhcpService::create(const DhcpServiceConfig& cfg) {
    std::unique_ptr<DhcpService> d(new DhcpService(cfg));
    auto engine = DhcpEngine::create(cfg.engine, *d);
    if (!engine) return tl::unexpected(engine.error());
    d->engine_ = std::move(*engine);
    d->fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (d->fd_ < 0 || setsockopt(d->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(d->fd_, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0 ||
        setsockopt(d->fd_, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
        return proto::failure(std::string("cannot create the DHCP socket: ") + std::strerror(errno));
    }
    grow_receive_buffer(d->fd_, 8 << 20);  // a rack powering on at once
    grow_send_buffer(d->fd_, 8 << 20);     // and its OFFERs, released together by a group commit
    if (!cfg.interface.empty() && setsockopt(d->fd_, SOL_SOCKET, SO_BINDTODEVICE, cfg.interface.c_str(),
                                             static_cast<socklen_t>(cfg.interface.size())) < 0) {
        return proto::failure("--dhcp-interface: cannot bind to '" + cfg.interface + "': " + std::strerror(errno));
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    sa.sin_port = htons(cfg.port);
    if (bind(d->fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        return proto::failure("cannot bind DHCP to 0.0.0.0:" + std::to_string(cfg.port) + ": " + std::strerror(errno) +
                              (errno == EACCES ? " (port 67 needs root or CAP_NET_BIND_SERVICE)" : ""));
    }
    return d;
}

DhcpService::~DhcpService() {
    if (fd_ >= 0) close(fd_);
}

void DhcpService::on_readable(proto::Nanos, WorkerCounters& counters) {
    engine_->drain_journal_event();
    engine_->begin_batch(counters);
    int n = rx_.receive(fd_);
    for (int i = 0; i < n; ++i) {
        counters.rx_packets.add();
        in_pktinfo info = rx_.pktinfo(i);
        DhcpOrigin origin{proto::Ipv4::from_network(info.ipi_spec_dst.s_addr), info.ipi_ifindex, {}};
        engine_->on_datagram(rx_.data(i), rx_.length(i), rx_.truncated(i), origin, counters);
    }
    engine_->end_batch();
}

bool DhcpService::send_dhcp(const proto::DhcpReply& reply, std::span<const std::uint8_t> bytes,
                            const DhcpOrigin& origin) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::array<std::uint8_t, CMSG_SPACE(sizeof(in_pktinfo))> ctrl{};
    msghdr msg{};
    iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
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
        info.ipi_ifindex = origin.ifindex;
        info.ipi_spec_dst.s_addr = origin.local_ip.network();
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    return sendmsg(fd_, &msg, MSG_DONTWAIT) > 0;
}

}  // namespace rackboot::dataplane
