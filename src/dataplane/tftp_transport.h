// How the TFTP service reaches the network, whatever the backend: kernel sockets (a socket per
// transfer) or DPDK (a UDP port per transfer in the worker's range, frames built by hand). The
// service decides what to send; the transport only moves datagrams.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <span>

#include "proto/ipv4.h"
#include "proto/mac.h"

namespace rackboot::dataplane {

struct Endpoint {
    proto::Ipv4 ip;
    std::uint16_t port = 0;  // host byte order
    proto::Mac mac{};        // the client's Ethernet address where the backend sees it
};

// One datagram as up to three pieces: a header and at most two payload segments (a TFTP block may
// straddle two cache chunks). The pieces are sent, not copied, by backends that can.
struct TxDatagram {
    std::array<iovec, 3> iov{};
    std::uint8_t iovcnt = 0;
};

// What opening a transfer's TID came to: out of descriptors is capacity (the client is told to try
// again, counted as `descriptors`), any other failure a fault (`socket_error`).
enum class TidOpen : std::uint8_t { opened, out_of_descriptors, failed };

class TftpTransport {
public:
    virtual ~TftpTransport() = default;
    // Opens the server end of a transfer (its TID) towards `client`, answering from `local_ip`. `slot` is the service's
    // handle; the backend hands it back with every datagram that arrives on this TID.
    virtual TidOpen open_tid(std::uint32_t slot, const Endpoint& client, proto::Ipv4 local_ip) = 0;
    virtual void close_tid(std::uint32_t slot) = 0;
    // Sends on a slot's TID; returns how many datagrams went out (the rest are lost, and the
    // retransmit timer deals with it).
    virtual std::uint32_t send(std::uint32_t slot, std::span<const TxDatagram> datagrams) = 0;
    // Answers a request from the well-known port, with no TID (refusals).
    virtual void send_from_listen(const Endpoint& to, std::span<const std::uint8_t> datagram) = 0;
};

}  // namespace rackboot::dataplane
