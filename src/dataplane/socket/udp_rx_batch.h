// A batch of UDP datagrams received with one recvmmsg call, each with its source address and
// IP_PKTINFO (which local address and interface it came in on). Buffers are owned by the batch
// and reused on every call: no allocation per packet.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace rackboot::dataplane {

template <std::size_t N, std::size_t BufSize>
class UdpRxBatch {
public:
    UdpRxBatch() : bufs_(N * BufSize) {}

    // Receives up to N datagrams without blocking, in one system call; returns how many (0 when
    // none is queued), or -errno when the call failed (ECONNREFUSED on a connected socket: the
    // peer answered an earlier datagram with ICMP port unreachable).
    int receive(int fd) noexcept {
        for (std::size_t i = 0; i < N; ++i) {
            iovs_[i] = {bufs_.data() + i * BufSize, BufSize};
            msgs_[i] = mmsghdr{};
            msgs_[i].msg_hdr.msg_iov = &iovs_[i];
            msgs_[i].msg_hdr.msg_iovlen = 1;
            msgs_[i].msg_hdr.msg_name = &from_[i];
            msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            msgs_[i].msg_hdr.msg_control = ctrl_[i].data();
            msgs_[i].msg_hdr.msg_controllen = ctrl_[i].size();
        }
        int n = recvmmsg(fd, msgs_.data(), N, MSG_DONTWAIT, nullptr);
        if (n >= 0) return n;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    }

    [[nodiscard]] const std::uint8_t* data(int i) const noexcept {
        return bufs_.data() + static_cast<std::size_t>(i) * BufSize;
    }
    [[nodiscard]] std::size_t length(int i) const noexcept { return msgs_[static_cast<std::size_t>(i)].msg_len; }
    [[nodiscard]] bool truncated(int i) const noexcept {
        return (msgs_[static_cast<std::size_t>(i)].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    [[nodiscard]] const sockaddr_in& from(int i) const noexcept { return from_[static_cast<std::size_t>(i)]; }
    // The datagram's IP_PKTINFO (zeroes when the socket did not ask for it).
    [[nodiscard]] in_pktinfo pktinfo(int i) const noexcept {
        in_pktinfo info{};
        msghdr& h = const_cast<msghdr&>(msgs_[static_cast<std::size_t>(i)].msg_hdr);
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
                std::memcpy(&info, CMSG_DATA(c), sizeof info);
        }
        return info;
    }

private:
    std::vector<std::uint8_t> bufs_;
    std::array<mmsghdr, N> msgs_{};
    std::array<iovec, N> iovs_{};
    std::array<sockaddr_in, N> from_{};
    std::array<std::array<std::uint8_t, CMSG_SPACE(sizeof(in_pktinfo))>, N> ctrl_{};
};

}  // namespace rackboot::dataplane
