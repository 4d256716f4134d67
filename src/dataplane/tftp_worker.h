// One socket-backend worker: a thread's whole share of TFTP service. It owns its listening socket
// (one of a SO_REUSEPORT group, steered by client address), a socket per transfer (the TID), its
// transfer table, timer wheel, block cache and counters. Nothing mutable is shared with other
// workers; the loop never blocks on disk and sleeps in epoll when there is nothing to do.
#pragma once

#include <netinet/in.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/block_cache.h"
#include "dataplane/boot_trees.h"
#include "dataplane/counters.h"
#include "dataplane/dhcp_service.h"
#include "proto/flat_index.h"
#include "dataplane/spsc_ring.h"
#include "dataplane/timer_wheel.h"
#include "dataplane/transfer_record.h"
#include "dataplane/udp_rx_batch.h"
#include "proto/netascii.h"
#include "proto/tftp_rrq_policy.h"
#include "proto/tftp_transfer.h"

namespace rackboot::dataplane {

struct WorkerConfig {
    std::uint16_t id = 0;
    int listen_fd = -1;             // owned by the worker from now on
    in_addr listen_addr{};          // INADDR_ANY: answer from the address the request came to
    proto::TftpLimits limits{};
    std::uint32_t max_transfers = 20000;   // this worker's table size
    std::atomic<std::int64_t>* global_active = nullptr;  // shared cap accounting (per request)
    std::int64_t global_cap = 0;
    const BootTrees* trees = nullptr;
    BlockCacheConfig cache{};
    DhcpService* dhcp = nullptr;  // polled by this worker when set (not owned)
};

constexpr std::uint32_t kMaxWindowBatch = 256;

class TftpWorker {
public:
    static std::unique_ptr<TftpWorker> create(const WorkerConfig& cfg, std::string& error);
    ~TftpWorker();
    TftpWorker(const TftpWorker&) = delete;
    TftpWorker& operator=(const TftpWorker&) = delete;

    // Runs until `stop` is set; then ends every transfer.
    void run(const std::atomic<bool>& stop);

    [[nodiscard]] const WorkerCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] SpscRing<TransferRecord>& records() noexcept { return records_; }

private:
    enum class SlotState : std::uint8_t { Free, Opening, Active, Parked };
    struct Slot {
        proto::TftpTransfer engine;
        proto::TftpNegotiated negotiated;
        proto::TftpAction pending;
        int fd = -1;
        std::int32_t file = BlockCache::kNoFile;
        std::uint32_t ip = 0;     // network order
        std::uint16_t port = 0;   // host order
        std::uint32_t seq = 0;    // guards stale open completions
        std::uint64_t file_hash = 0;
        proto::Nanos started = 0;
        std::uint64_t bytes = 0;
        std::uint32_t retransmits = 0;
        std::uint16_t error_code = 0;
        std::uint8_t quirks = 0;
        // Marked by a newer request for the same file from the same address (see RrqDecision).
        proto::RrqDecision superseded = proto::RrqDecision::Start;
        std::uint32_t successor = 0;
        std::uint32_t successor_seq = 0;
        bool in_parked = false;
        // Netascii: where the block in flight (na_block) and the one after it start in the file.
        bool netascii = false;
        proto::NetasciiCursor na_base;
        proto::NetasciiCursor na_next;
        std::uint64_t na_block = 1;
        SlotState state = SlotState::Free;
        std::uint32_t next_free = 0;
        char name[sizeof(TransferRecord::file)] = {};
    };

    explicit TftpWorker(const WorkerConfig& cfg);
    [[nodiscard]] bool init(std::string& error);

    void on_listen_readable(proto::Nanos now);
    void on_request(const std::uint8_t* data, std::size_t len, const sockaddr_in& from, in_addr local,
                    proto::Nanos now);
    void on_transfer_readable(std::uint32_t idx, proto::Nanos now);
    void on_open_done(std::uint64_t tag, int res, proto::Nanos now);
    void on_timer(std::uint32_t idx, proto::Nanos now);
    void retry_parked(proto::Nanos now);

    void execute(std::uint32_t idx, const proto::TftpAction& action, proto::Nanos now);
    enum class SendOutcome : std::uint8_t { Sent, Parked, Failed };
    SendOutcome send_data(Slot& s, const proto::TftpAction& action);
    SendOutcome send_netascii(Slot& s, const proto::TftpAction& action);
    void send_error(Slot& s, proto::TftpErrorCode code, std::string_view msg);
    void refuse(const sockaddr_in& to, std::string_view file, proto::TftpErrorCode code, std::string_view msg,
                DropReason reason, proto::Nanos now);
    void fail(std::uint32_t idx, proto::TftpErrorCode code, std::string_view msg, DropReason reason,
              proto::Nanos now);
    void after_event(std::uint32_t idx, proto::Nanos now);
    void finalize(std::uint32_t idx, proto::Nanos now);
    void note_quirk(Slot& s, Quirk q) noexcept;
    // Drops a superseded transfer whose timer fired without progress; false if not superseded.
    bool resolve_superseded(std::uint32_t idx, proto::Nanos now);
    void push_record(const TransferRecord& r) noexcept;

    [[nodiscard]] std::uint32_t alloc_slot() noexcept;
    [[nodiscard]] static std::uint64_t port_key(std::uint32_t ip, std::uint16_t port) noexcept {
        return (static_cast<std::uint64_t>(ip) << 16) | port;
    }
    [[nodiscard]] static std::uint64_t file_key(std::uint32_t ip, std::uint64_t hash) noexcept {
        return hash ^ proto::mix64(ip);
    }

    WorkerConfig cfg_;
    int epoll_fd_ = -1;
    std::unique_ptr<BlockCache> cache_;
    std::vector<Slot> slots_;
    std::uint32_t free_head_ = 0;
    TimerWheel wheel_;
    proto::FlatIndex by_port_;
    proto::FlatIndex by_file_;
    std::vector<std::uint32_t> parked_;
    std::vector<std::uint32_t> parked_scratch_;
    proto::RecentProbes recent_probes_;
    WorkerCounters counters_;
    SpscRing<TransferRecord> records_;

    // Scratch for batched I/O.
    static constexpr std::uint32_t kRxBatch = 32;
    static constexpr std::size_t kRxBufSize = 2048;
    UdpRxBatch<kRxBatch, kRxBufSize> listen_rx_;
    std::vector<std::uint8_t> rx_buf_;  // transfer sockets, one datagram at a time
    std::vector<std::uint8_t> tx_buf_;
    std::vector<std::uint8_t> netascii_buf_;
    std::array<std::array<std::uint8_t, 4>, kMaxWindowBatch> data_headers_{};
    std::array<iovec, std::size_t{kMaxWindowBatch} * 3> tx_iov_{};
};

}  // namespace rackboot::dataplane
