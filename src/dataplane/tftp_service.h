// A worker's TFTP service, whatever the backend: the transfer table, the Pi quirk policy, the
// timer wheel, the block cache, counters and transfer records. Backends feed it requests and TID
// datagrams and give it a TftpTransport to send with; it never blocks on disk and allocates
// nothing per packet. One per worker: nothing in it is shared.
#pragma once

#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/block_cache.h"
#include "dataplane/counters.h"
#include "dataplane/delivery_rate.h"
#include "dataplane/open_pins.h"
#include "dataplane/path_admission.h"
#include "dataplane/rtt_guard.h"
#include "dataplane/snapshot_cell.h"
#include "dataplane/tftp_transport.h"
#include "dataplane/timer_wheel.h"
#include "dataplane/transfer_view.h"
#include "dataplane/worker_event.h"
#include "proto/flat_index.h"
#include "proto/mac.h"
#include "proto/netascii.h"
#include "proto/serial.h"
#include "proto/tftp_rrq_policy.h"
#include "proto/tftp_transfer.h"

namespace rackboot::dataplane {

struct TftpServiceConfig {
    std::uint16_t id = 0;  // the worker's number, in records
    proto::TftpLimits limits{};
    std::uint32_t max_transfers = 20000;                 // this worker's table size
    std::atomic<std::int64_t>* global_active = nullptr;  // shared cap accounting (per request)
    std::int64_t global_cap = 0;
    std::uint32_t max_per_client = 32;  // concurrent transfers one client address may hold
    BootMapCell* maps = nullptr;        // where requests resolve; this worker reads it as reader `id`
    BlockCacheConfig cache{};
    // Admission to the path's capacity (path_admission.h); `path` (may be null) is where this
    // worker publishes its figures, as worker `id`, and reads the others'.
    AdmissionConfig admission{};
    PathBoard* path = nullptr;
    // Where transfer records go: the ring out of this worker (worker_event.h). Null: not kept.
    EventRing* events = nullptr;
};

constexpr std::uint32_t kMaxWindowBatch = 256;
// A worker's table is addressed with 20 bits in an open's completion tag.
constexpr std::uint32_t kMaxWorkerTransfers = 1u << 20;

class TftpService {
public:
    [[nodiscard]] static proto::Result<std::unique_ptr<TftpService>> create(const TftpServiceConfig& cfg,
                                                                            TftpTransport& transport);
    TftpService(const TftpService&) = delete;
    TftpService& operator=(const TftpService&) = delete;

    // A datagram to the well-known port, from `from`, addressed to `local_ip`.
    void on_request(const std::uint8_t* data, std::size_t len, const Endpoint& from, proto::Ipv4 local_ip,
                    proto::Nanos now);
    // A datagram to the well-known port cut short by the receive buffer: a request that long is
    // answered with an ERROR, anything else dropped.
    void on_oversized_request(const std::uint8_t* data, std::size_t len, const Endpoint& from, proto::Nanos now);
    // A datagram on a transfer's TID. (Backends count received packets; the service counts what
    // it sends.)
    void on_tid_datagram(std::uint32_t slot, const std::uint8_t* data, std::size_t len, proto::Nanos now);
    // The client's port is gone (ICMP port unreachable): as a probe that closed its socket.
    void on_tid_unreachable(std::uint32_t slot, proto::Nanos now);
    // Disk completions, parked transfers, timers; then submits queued reads.
    void poll(proto::Nanos now);
    // When poll() next has timer work, or -1.
    [[nodiscard]] proto::Nanos next_deadline() const noexcept;
    // Readable when disk completions wait (for epoll-based backends); drain_cache_event() clears it.
    [[nodiscard]] int cache_event_fd() const noexcept { return cache_->event_fd(); }
    void drain_cache_event() noexcept;
    // Transfers waiting on the disk (a file opening, or a send parked until its read lands): a
    // driver with a virtual clock polls until this is 0 before moving time on (tests).
    [[nodiscard]] std::uint32_t waiting_on_disk() const noexcept;
    // The top of the worker's loop: reports a quiescent state to the boot map's publisher, unless a
    // file open submitted under an older map is still in flight (see open_pins.h).
    void quiescent_point() noexcept {
        if (pins_.clear_before(cfg_.maps->generation())) cfg_.maps->quiescent(cfg_.id);
    }
    // Its live transfers, for the worker's mailbox (worker_mailbox.h): up to `room` into `out`,
    // `more` set when some were left out; how many.
    std::size_t list_transfers(TransferView* out, std::size_t room, bool& more, proto::Nanos now) const noexcept;
    // Ends every transfer (shutdown).
    void abandon_all(proto::Nanos now);

    [[nodiscard]] WorkerCounters& counters() noexcept { return counters_; }
    // For zero-copy transports: where DATA payloads live.
    [[nodiscard]] BlockCache& cache() noexcept { return *cache_; }
    [[nodiscard]] const WorkerCounters& counters() const noexcept { return counters_; }

private:
    // Held: the file is open and the OACK (if any) answered, but its first DATA waits for room on
    // the path (path_admission.h).
    enum class SlotState : std::uint8_t { Free, Opening, Active, Parked, Held };
    struct Slot {
        proto::TftpTransfer engine;
        proto::TftpNegotiated negotiated;
        proto::TftpAction pending;
        bool has_tid = false;
        std::int32_t file = BlockCache::kNoFile;
        proto::Ipv4 ip;
        std::uint16_t port = 0;               // host order
        std::uint32_t seq = 0;                // guards stale open completions
        std::optional<proto::Serial> serial;  // the board the request resolved through
        proto::Mac mac{};                     // the client's, where the backend sees it
        std::uint64_t file_hash = 0;
        proto::Nanos started = 0;
        std::uint64_t bytes = 0;
        std::uint32_t retransmits = 0;
        std::uint16_t error_code = 0;
        std::uint8_t quirks = 0;
        // Marked by a newer request for the same file from the same address (see RrqDecision).
        proto::RrqDecision superseded = proto::RrqDecision::Start;
        bool heard = false;  // a valid datagram came from the client on this transfer's TID
        // What ended it, where the engine's result does not say (a refusal's reason, a probe, a
        // newer request); count_: the engine's result says.
        ResultLabel ended_as = ResultLabel::count_;
        std::uint32_t successor = 0;
        std::uint32_t successor_seq = 0;
        bool in_parked = false;
        bool admitted = false;                  // its first DATA went out (it counts against the path)
        bool unfit = false;                     // larger than the path carries in a file timeout
        bool waited = false;                    // it was held before it was admitted
        proto::Nanos silent_since = 0;          // its resend has been held since (the path silent); 0: not
        std::uint32_t running_at = UINT32_MAX;  // its place in running_
        // Netascii: where the block in flight (na_block) and the one after it start in the file.
        bool netascii = false;
        proto::NetasciiCursor na_base;
        proto::NetasciiCursor na_next;
        std::uint64_t na_block = 1;
        SlotState state = SlotState::Free;
        std::uint32_t next_free = 0;
        char name[sizeof(TransferRecord::file)] = {};
    };

    TftpService(const TftpServiceConfig& cfg, TftpTransport& transport);
    [[nodiscard]] proto::Result<> init();

    // An RRQ's steps (on_request); a step that returns false (or kNoSlot) has answered it.
    struct RrqPlan {
        std::string_view filename;  // normalised
        std::uint64_t file_hash = 0;
        proto::TftpNegotiated negotiated;
        proto::RrqDecision decision = proto::RrqDecision::Start;
        std::uint32_t same_file = 0;  // the transfer it supersedes, if it does
        bool restart = false;         // it restarts a probe
    };
    [[nodiscard]] bool read_rrq(const std::uint8_t* data, std::size_t len, const Endpoint& from, proto::TftpPacket& pkt,
                                proto::Nanos now);
    // `normal` (kMaxPathLength) holds the normalised name plan.filename views.
    [[nodiscard]] bool check_rrq(const proto::TftpPacket& pkt, const Endpoint& from, char* normal, RrqPlan& plan,
                                 proto::Nanos now);
    [[nodiscard]] bool weigh_habits(const Endpoint& from, RrqPlan& plan, proto::Nanos now);
    [[nodiscard]] std::uint32_t claim_slot(const Endpoint& from, proto::Ipv4 local_ip, std::string_view filename,
                                           proto::Nanos now);
    void start_slot(std::uint32_t idx, const Endpoint& from, proto::TftpMode mode, const RrqPlan& plan,
                    proto::Nanos now);
    void open_file(std::uint32_t idx, std::string_view filename, proto::Ipv4 local_ip, proto::Nanos now);
    void open_rendered_file(std::uint32_t idx, const BoardFiles& files, const BoardFiles::File& file,
                            proto::Ipv4 local_ip, proto::Nanos now);
    void on_open_done(std::uint64_t tag, int res, proto::Nanos now);
    void open_image_file(std::uint32_t idx, const TreeHandle& image, std::string_view path, proto::Nanos now);
    // The slot's file is adopted (or kNoFile: refused as busy): negotiation and the first block.
    void begin_transfer(std::uint32_t idx, proto::Nanos now);
    void on_timer(std::uint32_t idx, proto::Nanos now);
    // A due resend held back while the whole path is silent (DESIGN.md "Loss recovery"): true
    // when it was (its timer is re-armed).
    [[nodiscard]] bool hold_resend(std::uint32_t idx, proto::Nanos now);
    void retry_parked(proto::Nanos now);

    void execute(std::uint32_t idx, const proto::TftpAction& action, proto::Nanos now);
    enum class SendOutcome : std::uint8_t { Sent, Parked, Failed, Changed };
    struct Settle;
    SendOutcome send_data(Slot& s, const proto::TftpAction& action);
    SendOutcome send_netascii(Slot& s, const proto::TftpAction& action);
    void send_error(Slot& s, proto::TftpErrorCode code, std::string_view msg);
    void send_one(Slot& s, const std::uint8_t* data, std::size_t len);
    void refuse(const Endpoint& to, std::string_view file, proto::TftpErrorCode code, std::string_view msg,
                TftpDrop reason, proto::Nanos now);
    void fail(std::uint32_t idx, proto::TftpErrorCode code, std::string_view msg, TftpDrop reason, proto::Nanos now);
    void after_event(std::uint32_t idx, proto::Nanos now);
    void finalize(std::uint32_t idx, proto::Nanos now);
    void note_quirk(Slot& s, Quirk q) noexcept;
    // Counts a probe's restart and tags the request that restarted it.
    void credit_restart(const Slot& probe);
    // Drops a superseded transfer whose timer fired without progress; false if not superseded.
    bool resolve_superseded(std::uint32_t idx, proto::Nanos now);
    void push_record(const TransferRecord& r) noexcept;

    // Admission (path_admission.h).
    enum class Room : std::uint8_t { Admit, Hold, Never };
    [[nodiscard]] Room room_for(const Slot& s, proto::Nanos now);
    // False when the transfer was held instead of sending `a`, its first DATA.
    bool admit_or_hold(std::uint32_t idx, const proto::TftpAction& a, proto::Nanos now);
    void mark_running(Slot& s);
    void admit_held(proto::Nanos now);
    void admission_tick(proto::Nanos now);
    void update_queue() noexcept;
    [[nodiscard]] std::uint64_t remaining_bytes(const Slot& s) const noexcept;
    void acked(const Slot& s, std::uint64_t blocks_before, proto::Nanos now) noexcept;

    [[nodiscard]] std::uint32_t alloc_slot() noexcept;
    // An open's completion tag: the slot (20 bits), its map pin (8 bits), the slot's sequence
    // number (35 bits; the block cache keeps the top bit).
    static constexpr std::uint64_t kTagSeqMask = (std::uint64_t{1} << 35) - 1;
    [[nodiscard]] static std::uint64_t open_tag(std::uint32_t idx, std::uint32_t pin, std::uint32_t seq) noexcept {
        return ((seq & kTagSeqMask) << 28) | (std::uint64_t{pin & 0xff} << 20) | idx;
    }
    [[nodiscard]] static std::uint64_t port_key(proto::Ipv4 ip, std::uint16_t port) noexcept {
        return (static_cast<std::uint64_t>(ip.value()) << 16) | port;
    }
    [[nodiscard]] static std::uint64_t file_key(proto::Ipv4 ip, std::uint64_t hash) noexcept {
        return hash ^ proto::mix64(ip.value());
    }

    TftpServiceConfig cfg_;
    TftpTransport& transport_;
    std::unique_ptr<BlockCache> cache_;
    std::vector<Slot> slots_;
    std::uint32_t free_head_ = 0;
    TimerWheel wheel_;
    proto::FlatIndex by_port_;
    proto::FlatIndex by_file_;
    proto::FlatIndex per_client_;  // client address -> transfers it holds here
    std::vector<std::uint32_t> parked_;
    std::vector<std::uint32_t> parked_scratch_;
    proto::RecentProbes recent_probes_;
    OpenPins pins_;
    WorkerCounters counters_;

    DeliveryRate rate_;
    RttGuard rtt_guard_;
    // Whether the running transfers' round trips show a standing queue (the path limits them);
    // without one, more transfers carry more and the count may grow a quarter each tick.
    bool queue_ = true;
    std::uint32_t running_at_tick_ = 0;
    std::array<proto::Nanos, 100> rtt_floors_{};  // the least round trip of each tick, 10 s
    std::size_t rtt_floor_at_ = 0;
    std::vector<std::uint32_t> running_;  // admitted transfers, unordered
    proto::Nanos last_ack_at_ = 0;        // when any transfer here last had an ACK
    std::vector<std::uint32_t> held_;     // held transfers, earliest RRQ first
    std::vector<PlannedWork> work_;       // scratch for plans_hold
    proto::Nanos tick_at_ = 0;
    bool room_freed_ = false;
    std::uint64_t largest_[2] = {0, 0};  // the largest file admitted: this half-minute, the last
    proto::Nanos largest_since_ = 0;
    std::uint64_t published_rate_ = 0;
    std::uint32_t published_running_ = 0;

    // Scratch for building what goes out.
    std::vector<std::uint8_t> tx_buf_;
    std::vector<std::uint8_t> netascii_buf_;
    std::vector<std::uint8_t> render_buf_;  // a board's own file, rendered before it is copied to the cache
    std::array<std::array<std::uint8_t, 4>, kMaxWindowBatch> data_headers_{};
    std::array<TxDatagram, kMaxWindowBatch> tx_{};
};

}  // namespace rackboot::dataplane
