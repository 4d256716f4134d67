// One live transfer as GET /api/v1/transfers lists it: what a worker copies out of its table when
// its mailbox asks (worker_mailbox.h).
#pragma once

#include <cstdint>
#include <optional>

#include "proto/ipv4.h"
#include "proto/serial.h"

namespace rackboot::dataplane {

struct TransferView {
    proto::Ipv4 client;
    std::uint16_t port = 0;
    std::uint16_t worker = 0;
    std::optional<proto::Serial> serial;  // the board the request resolved through
    std::uint64_t bytes = 0;              // payload sent so far, retransmits included
    std::uint64_t size = 0;               // 0 while the file opens
    std::int64_t age_ns = 0;
    char file[104] = {};
};

}  // namespace rackboot::dataplane
