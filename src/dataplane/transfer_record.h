// What a worker reports about each finished (or refused) transfer, for the control plane's
// structured log. Fixed size and trivially copyable: it travels over an SPSC ring.
#pragma once

#include <cstdint>

#include "proto/ipv4.h"

namespace rackboot::dataplane {

struct TransferRecord {
    proto::Ipv4 client_ip;
    std::uint16_t client_port = 0;  // host byte order
    std::uint16_t worker = 0;
    std::uint64_t bytes = 0;  // payload bytes sent, retransmits included
    std::uint64_t file_size = 0;
    std::int64_t duration_ns = 0;
    std::uint32_t retransmits = 0;
    std::uint16_t blksize = 0;
    std::uint16_t windowsize = 0;
    std::uint16_t error_code = 0;  // TFTP error sent, when result is error
    std::uint8_t result = 0;       // proto::TftpResult
    std::uint8_t quirks = 0;       // bit per dataplane::Quirk
    bool has_serial = false;       // the request resolved through a board with this serial
    std::uint32_t serial = 0;
    char file[104] = {};  // requested name, truncated, NUL-terminated
};

}  // namespace rackboot::dataplane
