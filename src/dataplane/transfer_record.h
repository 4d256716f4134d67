// What a worker reports about each finished (or refused) transfer, for the control plane's log
// and timelines (an event on the worker's ring: worker_event.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/counters.h"
#include "proto/ipv4.h"
#include "proto/mac.h"
#include "proto/serial.h"
#include "proto/tftp_transfer.h"

namespace rackboot::dataplane {

struct TransferRecord {
    proto::Ipv4 client_ip;
    std::uint16_t client_port = 0;  // host byte order
    std::uint16_t worker = 0;
    proto::Mac client_mac{};  // where the backend sees it (DPDK); unset on kernel sockets
    std::uint64_t bytes = 0;  // payload bytes sent, retransmits included
    std::uint64_t file_size = 0;
    std::int64_t duration_ns = 0;
    std::uint32_t retransmits = 0;
    std::uint16_t blksize = 0;
    std::uint16_t windowsize = 0;
    std::uint16_t error_code = 0;  // TFTP error sent, when result is error
    proto::TftpResult result = proto::TftpResult::Running;
    ResultLabel outcome = ResultLabel::count_;  // what it was, as rackboot_tftp_transfers_total counts it
    std::uint8_t quirks = 0;                    // bit per dataplane::Quirk
    std::optional<proto::Serial> serial;        // the board the request resolved through
    char file[104] = {};                        // requested name, truncated, NUL-terminated
};

// A record's result as logs, timelines and metrics name it: the worker's count (a probe, a
// fallback lookup that found nothing, a refusal by its kind), else the engine's.
[[nodiscard]] inline std::string_view result_name(const TransferRecord& r) noexcept {
    return r.outcome != ResultLabel::count_ ? to_string(r.outcome) : proto::to_string(r.result);
}

}  // namespace rackboot::dataplane
