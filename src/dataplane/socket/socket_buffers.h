// Kernel socket buffer sizes for the socket backend's UDP sockets. Both are best effort: beyond
// net.core.{r,w}mem_max where we may (CAP_NET_ADMIN), else up to that cap.
#pragma once

#include <sys/socket.h>

namespace rackboot::dataplane {

// A receive buffer for rack-scale bursts, so the kernel does not drop requests before a worker
// reads them.
inline void grow_receive_buffer(int fd, int bytes) noexcept {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);  // capped at net.core.rmem_max
    }
}

// A send buffer for bursts of replies (a group commit releases every OFFER it held at once; a
// worker sends windows to thousands of clients in one poll), so a non-blocking send is not refused
// with EAGAIN while the kernel has not yet handed earlier datagrams on (veth delivery deferred to
// ksoftirqd on a loaded host holds each one's memory until then).
inline void grow_send_buffer(int fd, int bytes) noexcept {
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);  // capped at net.core.wmem_max
    }
}

}  // namespace rackboot::dataplane
