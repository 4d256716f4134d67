#include "dataplane/tftp_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proto/tftp_codec.h"
#include "proto/tftp_options.h"
#include "proto/tftp_path.h"

namespace rackboot::dataplane {

using proto::Nanos;
using proto::TftpAction;
using proto::TftpErrorCode;
using proto::TftpEvent;
using proto::TftpResult;

namespace {

constexpr std::uint32_t kNoSlot = UINT32_MAX;

ResultLabel label_of(TftpResult r) noexcept {
    switch (r) {
        case TftpResult::Complete: return ResultLabel::complete;
        case TftpResult::Aborted: return ResultLabel::aborted;
        case TftpResult::Timeout: return ResultLabel::timeout;
        case TftpResult::Unacknowledged: return ResultLabel::unacknowledged;
        default: return ResultLabel::error;
    }
}

// A transfer's result as counted. A probe is one when its client answered or asked again; a
// silent one reads as a spoofed or flooded request would, unacknowledged.
ResultLabel outcome(TftpResult r, ResultLabel ended_as, bool heard, bool superseded) noexcept {
    if (r == TftpResult::Error && ended_as != ResultLabel::count_) return ended_as;
    if (ended_as == ResultLabel::probe && (heard || superseded)) return ResultLabel::probe;
    if (r == TftpResult::Unacknowledged) return ResultLabel::unacknowledged;
    if (ended_as == ResultLabel::replaced) return ResultLabel::replaced;
    return label_of(r);
}

void copy_name(char* dst, std::size_t cap, std::string_view src) noexcept {
    std::size_t n = std::min(src.size(), cap - 1);
    if (n > 0) std::memcpy(dst, src.data(), n);  // an empty view may have no data at all
    dst[n] = '\0';
}

}  // namespace

TftpService::TftpService(const TftpServiceConfig& cfg, TftpTransport& transport)
    : cfg_(cfg),
      transport_(transport),
      slots_(cfg.max_transfers),
      wheel_(cfg.max_transfers),
      by_port_(cfg.max_transfers),
      by_file_(cfg.max_transfers),
      per_client_(cfg.max_transfers) {
    running_.reserve(cfg.max_transfers);
    // The worker's learnt floor under every transfer's retransmit timeout (rtt_guard.h).
    if (cfg_.limits.min_rto > 0) cfg_.limits.rto_floor = rtt_guard_.floor_ptr();
    rtt_floors_.fill(INT64_MAX);
    held_.reserve(cfg.max_transfers);
    work_.reserve(cfg.max_transfers + 1);
}

std::size_t TftpService::list_transfers(TransferView* out, std::size_t room, bool& more, Nanos now) const noexcept {
    std::size_t n = 0;
    for (const Slot& s : slots_) {
        if (s.state == SlotState::Free) continue;
        if (n == room) {
            more = true;
            break;
        }
        TransferView& v = out[n++];
        v.client = s.ip;
        v.port = s.port;
        v.worker = cfg_.id;
        v.serial = s.serial;
        v.bytes = s.bytes;
        v.size = s.file != BlockCache::kNoFile ? cache_->size_of(s.file) : 0;
        v.age_ns = now - s.started;
        std::memcpy(v.file, s.name, sizeof v.file);
    }
    return n;
}

proto::Result<std::unique_ptr<TftpService>> TftpService::create(const TftpServiceConfig& cfg,
                                                                TftpTransport& transport) {
    std::unique_ptr<TftpService> s(new TftpService(cfg, transport));
    if (proto::Result<> ok = s->init(); !ok) return tl::unexpected(ok.error());
    return s;
}

proto::Result<> TftpService::init() {
    if (cfg_.max_transfers == 0 || cfg_.max_transfers >= kMaxWorkerTransfers || cfg_.maps == nullptr) {
        return proto::failure("a worker's transfer table holds 1 to " + std::to_string(kMaxWorkerTransfers - 1) +
                              " transfers, and needs a boot map");
    }
    for (std::uint32_t i = 0; i < slots_.size(); ++i) slots_[i].next_free = i + 1;
    slots_.back().next_free = kNoSlot;
    parked_.reserve(slots_.size());
    parked_scratch_.reserve(slots_.size());
    tx_buf_.resize(65536);
    netascii_buf_.resize(65536);
    render_buf_.resize(65536);
    for (auto& h : data_headers_) h = {0, static_cast<std::uint8_t>(proto::TftpOpcode::Data), 0, 0};
    cfg_.cache.counters = &counters_;
    auto cache = BlockCache::create(cfg_.cache);
    if (!cache) return tl::unexpected(cache.error());
    cache_ = std::move(*cache);
    return {};
}

void TftpService::drain_cache_event() noexcept {
    std::uint64_t drained = 0;
    (void)!read(cache_->event_fd(), &drained, sizeof drained);
}

std::uint32_t TftpService::alloc_slot() noexcept {
    std::uint32_t idx = free_head_;
    if (idx == kNoSlot || idx >= slots_.size()) return kNoSlot;
    free_head_ = slots_[idx].next_free;
    return idx;
}

void TftpService::poll(Nanos now) {
    std::uint32_t reads = cache_->poll([&](std::uint64_t t, int res) { on_open_done(t, res, now); });
    if (reads > 0 && !parked_.empty()) retry_parked(now);
    wheel_.expire(now, [&](std::uint32_t idx) { on_timer(idx, now); });
    admission_tick(now);
    cache_->flush();
}

std::uint32_t TftpService::waiting_on_disk() const noexcept {
    std::uint32_t n = 0;
    for (const Slot& s : slots_) n += s.state == SlotState::Opening || s.state == SlotState::Parked ? 1 : 0;
    return n;
}

void TftpService::abandon_all(Nanos now) {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].state == SlotState::Free) continue;
        slots_[i].engine.abandon(TftpResult::Aborted);
        finalize(i, now);
    }
}

void TftpService::on_oversized_request(const std::uint8_t* data, std::size_t len, const Endpoint& from, Nanos now) {
    if (len >= 2 && data[0] == 0 && (data[1] == 1 || data[1] == 2)) {
        refuse(from, {}, TftpErrorCode::IllegalOperation, "request too long", TftpDrop::oversized, now);
    } else {
        counters_.drop(TftpDrop::oversized);
    }
}

void TftpService::push_record(const TransferRecord& r) noexcept {
    if (cfg_.events != nullptr && !cfg_.events->push(r)) counters_.drop(InternalDrop::log_overflow);
}

void TftpService::refuse(const Endpoint& to, std::string_view file, TftpErrorCode code, std::string_view msg,
                         TftpDrop reason, Nanos) {
    counters_.drop(reason);
    counters_.result(result_of(reason));
    std::size_t len = proto::build_tftp_error(tx_buf_, code, msg);
    if (len > 0) {
        transport_.send_from_listen(to, std::span<const std::uint8_t>(tx_buf_.data(), len));
        counters_.tx_packets.add();
    }
    TransferRecord r;
    r.client_ip = to.ip;
    r.client_port = to.port;
    r.worker = cfg_.id;
    r.client_mac = to.mac;
    r.result = TftpResult::Error;
    r.outcome = result_of(reason);
    r.error_code = static_cast<std::uint16_t>(code);
    copy_name(r.file, sizeof r.file, file);
    push_record(r);
}

void TftpService::note_quirk(Slot& s, Quirk q) noexcept {
    counters_.quirk(q);
    s.quirks = static_cast<std::uint8_t>(s.quirks | (1u << static_cast<unsigned>(q)));
}

// An RRQ, as its steps: read it, check its name and options, weigh the Pi's habits against the
// transfers its address holds, claim a slot and a TID, then resolve and open the file. Each step
// that refuses or drops the request answers it itself and says so.
void TftpService::on_request(const std::uint8_t* data, std::size_t len, const Endpoint& from, proto::Ipv4 local_ip,
                             Nanos now) {
    proto::TftpPacket pkt;
    if (!read_rrq(data, len, from, pkt, now)) return;
    char normal[proto::kMaxPathLength];
    RrqPlan plan;
    if (!check_rrq(pkt, from, normal, plan, now)) return;
    if (!weigh_habits(from, plan, now)) return;
    std::uint32_t idx = claim_slot(from, local_ip, plan.filename, now);
    if (idx == kNoSlot) return;
    start_slot(idx, from, pkt.mode, plan, now);
    open_file(idx, plan.filename, local_ip, now);
}

bool TftpService::read_rrq(const std::uint8_t* data, std::size_t len, const Endpoint& from, proto::TftpPacket& pkt,
                           Nanos now) {
    proto::TftpParseError perr = proto::parse_tftp(proto::ConstBytes(data, len), pkt);
    if (perr != proto::TftpParseError::none) {
        counters_.note(perr);
        // A request we cannot read is told so (as tftpd-hpa does); anything else is dropped quietly.
        if (len >= 2 && data[0] == 0 && (data[1] == 1 || data[1] == 2)) {
            bool options = perr == proto::TftpParseError::too_many_options;
            refuse(from, {}, options ? TftpErrorCode::OptionRefused : TftpErrorCode::IllegalOperation,
                   options ? "too many options" : "malformed request", TftpDrop::malformed, now);
        } else {
            counters_.drop(TftpDrop::malformed);
        }
        return false;
    }
    if (pkt.opcode == proto::TftpOpcode::Wrq) {
        refuse(from, pkt.filename, TftpErrorCode::AccessViolation, "read-only server: WRQ refused",
               TftpDrop::write_request, now);
        return false;
    }
    if (pkt.opcode != proto::TftpOpcode::Rrq) {
        counters_.drop(TftpDrop::unexpected_opcode);
        return false;
    }
    counters_.rrq_received.add();
    if (pkt.mode == proto::TftpMode::Mail) {
        refuse(from, pkt.filename, TftpErrorCode::IllegalOperation, "mail mode not supported",
               TftpDrop::unsupported_mode, now);
        return false;
    }
    return true;
}

bool TftpService::check_rrq(const proto::TftpPacket& pkt, const Endpoint& from, char* normal, RrqPlan& plan,
                            Nanos now) {
    proto::PathVerdict verdict = proto::check_tftp_path(pkt.filename);
    // One file, one key: the name is hashed, looked up and logged in its one spelling.
    if (verdict == proto::PathVerdict::ok) plan.filename = proto::normalize_tftp_path(pkt.filename, normal);
    if (verdict == proto::PathVerdict::ok && plan.filename.empty()) verdict = proto::PathVerdict::empty;
    if (verdict != proto::PathVerdict::ok) {
        counters_.note(verdict);
        refuse(from, pkt.filename, TftpErrorCode::AccessViolation, "access violation", TftpDrop::path_refused, now);
        return false;
    }
    proto::TftpNegotiationResult neg =
        proto::negotiate_tftp_options(pkt.options, pkt.mode, 0, cfg_.limits, plan.negotiated);
    if (!neg.ok) {
        refuse(from, pkt.filename, TftpErrorCode::OptionRefused, neg.refusal, TftpDrop::options_refused, now);
        return false;
    }
    plan.file_hash = proto::fnv1a64(plan.filename);
    return true;
}

// The Pi bootloader's habits: retransmitted RRQs, probe-then-restart, the RRQ race.
bool TftpService::weigh_habits(const Endpoint& from, RrqPlan& plan, Nanos now) {
    proto::RrqContext ctx;
    std::uint32_t same_port = by_port_.find(port_key(from.ip, from.port));
    if (same_port != proto::FlatIndex::kNone) {
        const Slot& other = slots_[same_port];
        ctx.same_port = &other.engine;
        ctx.same_port_same_file = other.file_hash == plan.file_hash;
        // A slot still opening its file has not started its engine: treat it as running.
        if ((other.state == SlotState::Opening || other.state == SlotState::Held) && ctx.same_port_same_file) {
            counters_.quirk(Quirk::rrq_retransmit);
            return false;
        }
    }
    std::uint32_t same_file = by_file_.find(file_key(from.ip, plan.file_hash));
    if (same_file != proto::FlatIndex::kNone && slots_[same_file].port != from.port &&
        slots_[same_file].ip == from.ip && slots_[same_file].file_hash == plan.file_hash &&
        slots_[same_file].state != SlotState::Opening) {
        ctx.same_file = &slots_[same_file].engine;
    }
    plan.decision = proto::decide_rrq(ctx);
    plan.same_file = same_file;
    switch (plan.decision) {
        case proto::RrqDecision::IgnoreRetransmit: note_quirk(slots_[same_port], Quirk::rrq_retransmit); return false;
        case proto::RrqDecision::ReplaceSamePort:
            // The same client socket asks for something else: it has given up on the old transfer.
            slots_[same_port].ended_as = ResultLabel::replaced;
            slots_[same_port].engine.abandon(TftpResult::Aborted);
            finalize(same_port, now);
            break;
        case proto::RrqDecision::SupersedeRace:
        case proto::RrqDecision::SupersedeProbe: break;  // marked once the new transfer has a slot
        case proto::RrqDecision::Start: plan.restart = recent_probes_.take(from.ip, plan.file_hash, now); break;
    }
    return true;
}

// A slot and the transfer's own TID (a socket, or a port of this worker's range: RFC 1350), within
// the caps per client and for the process; kNoSlot when refused.
std::uint32_t TftpService::claim_slot(const Endpoint& from, proto::Ipv4 local_ip, std::string_view filename,
                                      Nanos now) {
    std::uint32_t held = per_client_.find(from.ip.value());
    if (held != proto::FlatIndex::kNone && held >= cfg_.max_per_client) {
        refuse(from, filename, TftpErrorCode::NotDefined, "too many transfers from your address, try again",
               TftpDrop::client_cap, now);
        return kNoSlot;
    }
    if (cfg_.global_active != nullptr &&
        cfg_.global_active->fetch_add(1, std::memory_order_relaxed) >= cfg_.global_cap) {
        cfg_.global_active->fetch_sub(1, std::memory_order_relaxed);
        refuse(from, filename, TftpErrorCode::NotDefined, "transfer limit reached, try again", TftpDrop::transfer_cap,
               now);
        return kNoSlot;
    }
    std::uint32_t idx = alloc_slot();
    TidOpen opened = idx != kNoSlot ? transport_.open_tid(idx, from, local_ip) : TidOpen::failed;
    if (opened == TidOpen::opened) return idx;
    if (idx != kNoSlot) {
        slots_[idx].next_free = free_head_;
        free_head_ = idx;
    }
    if (cfg_.global_active != nullptr) cfg_.global_active->fetch_sub(1, std::memory_order_relaxed);
    TftpDrop why = idx == kNoSlot                          ? TftpDrop::no_slot
                   : opened == TidOpen::out_of_descriptors ? TftpDrop::descriptors
                                                           : TftpDrop::socket_error;
    refuse(from, filename, TftpErrorCode::NotDefined, "server busy, try again", why, now);
    return kNoSlot;
}

void TftpService::start_slot(std::uint32_t idx, const Endpoint& from, proto::TftpMode mode, const RrqPlan& plan,
                             Nanos now) {
    Slot& s = slots_[idx];
    std::uint32_t seq = s.seq + 1;
    bool in_parked = s.in_parked;
    s = Slot{};
    s.seq = seq;
    s.in_parked = in_parked;
    s.has_tid = true;
    s.state = SlotState::Opening;
    s.ip = from.ip;
    s.port = from.port;
    s.mac = from.mac;
    s.file_hash = plan.file_hash;
    s.started = now;
    s.negotiated = plan.negotiated;
    s.netascii = mode == proto::TftpMode::Netascii;
    copy_name(s.name, sizeof s.name, plan.filename);
    counters_.active_transfers.add();
    std::uint32_t held = per_client_.find(from.ip.value());
    per_client_.put(from.ip.value(), held == proto::FlatIndex::kNone ? 1 : held + 1);
    by_port_.put(port_key(from.ip, from.port), idx);
    by_file_.put(file_key(from.ip, plan.file_hash), idx);
    if (plan.restart) note_quirk(s, Quirk::probe_restart);
    if (plan.decision == proto::RrqDecision::SupersedeRace || plan.decision == proto::RrqDecision::SupersedeProbe) {
        Slot& old = slots_[plan.same_file];
        old.superseded = plan.decision;
        old.successor = idx;
        old.successor_seq = seq;
    }
}

// The tree the boot map picks for it (the board's image, or the default tree), then the open,
// pinned to that map until it completes.
void TftpService::open_file(std::uint32_t idx, std::string_view filename, proto::Ipv4 local_ip, Nanos now) {
    Slot& s = slots_[idx];
    const BootMap* map = cfg_.maps->current();
    BootMap::Resolved tree = map->resolve(filename, s.ip);
    if (tree.board != nullptr) s.serial = tree.board->serial();
    if (tree.dirfd < 0) {
        fail(idx, TftpErrorCode::FileNotFound, "file not found", TftpDrop::netboot_off, now);
        return;
    }
    if (tree.files != nullptr) {
        if (const BoardFiles::File* own = tree.files->find(tree.own_path)) {
            open_rendered_file(idx, *tree.files, *own, local_ip, now);
            return;
        }
    }
    if (tree.image != nullptr) {
        open_image_file(idx, *tree.image, tree.path, now);
        return;
    }
    std::uint32_t pin = pins_.pin(map->generation());
    if (pin == OpenPins::kNoPin) {
        fail(idx, TftpErrorCode::NotDefined, "server busy, try again", TftpDrop::no_slot, now);
        return;
    }
    char path[proto::kMaxPathLength + 1];
    std::memcpy(path, tree.path.data(), tree.path.size());
    path[tree.path.size()] = '\0';
    if (!cache_->submit_open(tree.dirfd, path, open_tag(idx, pin, s.seq))) {
        pins_.unpin(pin);
        fail(idx, TftpErrorCode::NotDefined, "server busy", TftpDrop::read_error, now);
    }
}

void TftpService::on_open_done(std::uint64_t tag, int res, Nanos now) {
    auto idx = static_cast<std::uint32_t>(tag & (kMaxWorkerTransfers - 1));
    pins_.unpin(static_cast<std::uint32_t>((tag >> 20) & 0xff));
    auto seq = tag >> 28;
    if (idx >= slots_.size() || (slots_[idx].seq & kTagSeqMask) != seq || slots_[idx].state != SlotState::Opening) {
        if (res >= 0) close(res);  // the request was superseded while its file was opening
        return;
    }
    Slot& s = slots_[idx];
    if (res < 0) {
        switch (-res) {
            case ENOENT:
            case ENOTDIR: fail(idx, TftpErrorCode::FileNotFound, "file not found", TftpDrop::not_found, now); return;
            case EXDEV:
            case ELOOP:
                fail(idx, TftpErrorCode::AccessViolation, "access violation", TftpDrop::path_escape, now);
                return;
            case EACCES:
            case EPERM:
                // A permissions mistake on the server, not an attack: counted apart.
                fail(idx, TftpErrorCode::AccessViolation, "access violation", TftpDrop::permission_denied, now);
                return;
            case EMFILE:
            case ENFILE:
                // Capacity, not a broken file: the process (or system) is out of descriptors.
                fail(idx, TftpErrorCode::NotDefined, "server busy, try again", TftpDrop::descriptors, now);
                return;
            default: fail(idx, TftpErrorCode::NotDefined, "cannot open file", TftpDrop::read_error, now); return;
        }
    }
    struct stat st {};
    if (fstat(res, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(res);
        fail(idx, TftpErrorCode::AccessViolation, "not a regular file", TftpDrop::not_regular_file, now);
        return;
    }
    s.file = cache_->adopt(res, st);
    begin_transfer(idx, now);
}

// A file of a disk image: looked up in its index (in memory, nothing to wait for), and read
// through the cache from the image's descriptor.
void TftpService::open_image_file(std::uint32_t idx, const TreeHandle& image, std::string_view path, Nanos now) {
    const image::IndexedFile* file = image.index()->find(path);
    if (file == nullptr) {
        fail(idx, TftpErrorCode::FileNotFound, "file not found", TftpDrop::not_found, now);
        return;
    }
    slots_[idx].file = cache_->adopt_extents(image.fd(), image.identity(), file->size, file->extents);
    begin_transfer(idx, now);
}

// A board's own file: rendered now, for this board and the address the request came to.
void TftpService::open_rendered_file(std::uint32_t idx, const BoardFiles& files, const BoardFiles::File& file,
                                     proto::Ipv4 local_ip, Nanos now) {
    // A command line that names the board's root is never served without one: the kernel would
    // wait for a root that does not exist.
    if (file.tmpl.uses(proto::TemplateVar::root) && !files.has_value(proto::TemplateVar::root)) {
        fail(idx, TftpErrorCode::NotDefined, "this board has no root yet", TftpDrop::no_root, now);
        return;
    }
    char server[16] = {};
    std::size_t server_len = local_ip.unset() ? 0 : local_ip.format(server);
    std::size_t n = files.render(file, std::string_view(server, server_len), render_buf_);
    std::uint8_t* bytes = nullptr;
    if (n == SIZE_MAX || (slots_[idx].file = cache_->adopt_memory(n, bytes)) == BlockCache::kNoFile) {
        slots_[idx].file = BlockCache::kNoFile;
        fail(idx, TftpErrorCode::NotDefined, "server busy, try again", TftpDrop::no_slot, now);
        return;
    }
    if (n > 0) std::memcpy(bytes, render_buf_.data(), n);
    begin_transfer(idx, now);
}

void TftpService::begin_transfer(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    if (s.file == BlockCache::kNoFile) {
        fail(idx, TftpErrorCode::NotDefined, "server busy, try again", TftpDrop::no_slot, now);
        return;
    }
    std::uint64_t size = cache_->size_of(s.file);
    proto::set_tftp_file_size(s.negotiated, size);
    s.state = SlotState::Active;
    // A netascii stream's length is known only once it has been encoded to the end.
    TftpAction action =
        s.engine.start(s.negotiated, s.netascii ? proto::TftpTransfer::kUnknownSize : size, cfg_.limits, now);
    execute(idx, action, now);
}

void TftpService::send_error(Slot& s, TftpErrorCode code, std::string_view msg) {
    s.error_code = static_cast<std::uint16_t>(code);
    std::size_t len = proto::build_tftp_error(tx_buf_, code, msg);
    if (s.has_tid && len > 0) send_one(s, tx_buf_.data(), len);
}

void TftpService::send_one(Slot& s, const std::uint8_t* data, std::size_t len) {
    TxDatagram d;
    d.iov[0] = {const_cast<std::uint8_t*>(data), len};
    d.iovcnt = 1;
    if (transport_.send(static_cast<std::uint32_t>(&s - slots_.data()), std::span<const TxDatagram>(&d, 1)) == 1) {
        counters_.tx_packets.add();
    } else {
        counters_.drop(TransportDrop::tx_failed);
    }
}

void TftpService::fail(std::uint32_t idx, TftpErrorCode code, std::string_view msg, TftpDrop reason, Nanos now) {
    Slot& s = slots_[idx];
    counters_.drop(reason);
    send_error(s, code, msg);
    s.ended_as = result_of(reason);
    s.engine.abandon(TftpResult::Error);
    finalize(idx, now);
}

// What a send held in the cache (ensure) is let go once its bytes are out: copied, or pinned by
// the packets that point into it.
struct TftpService::Settle {
    BlockCache& cache;
    ~Settle() { cache.settle(); }
};

TftpService::SendOutcome TftpService::send_netascii(Slot& s, const TftpAction& a) {
    Settle settle{*cache_};
    // One block in flight (negotiation keeps windowsize 1): it is either the block at na_base
    // again (a retransmit) or the next one, which starts where the last encoding stopped.
    std::uint64_t block = a.first_block;
    if (block == s.na_block + 1) {
        s.na_base = s.na_next;
        s.na_block = block;
    }
    const std::uint32_t blksize = s.negotiated.blksize;
    std::uint64_t size = cache_->size_of(s.file);
    auto in_len = static_cast<std::uint32_t>(std::min<std::uint64_t>(blksize, size - s.na_base.offset));
    switch (cache_->ensure(s.file, s.na_base.offset, in_len)) {
        case BlockCache::Avail::Failed: return SendOutcome::Failed;
        case BlockCache::Avail::Changed: return SendOutcome::Changed;
        case BlockCache::Avail::Pending: return SendOutcome::Parked;
        case BlockCache::Avail::Ready: break;
    }
    std::array<iovec, 2> in{};
    int segs = cache_->map(s.file, s.na_base.offset, in_len, in.data());
    proto::NetasciiCursor cur = s.na_base;
    proto::MutableBytes out(netascii_buf_.data(), blksize);
    std::size_t n = 0;
    for (int i = 0; i < segs || (segs == 0 && i == 0); ++i) {
        proto::ConstBytes seg =
            segs == 0 ? proto::ConstBytes{}
                      : proto::ConstBytes(static_cast<const std::uint8_t*>(in[i].iov_base), in[i].iov_len);
        n += proto::netascii_encode(seg, cur, out.subspan(n));
    }
    s.na_next = cur;
    if (n < blksize) s.engine.set_final_block(block);
    auto& hdr = data_headers_[0];
    hdr[2] = static_cast<std::uint8_t>(block >> 8);
    hdr[3] = static_cast<std::uint8_t>(block);
    TxDatagram d;
    d.iov[0] = {hdr.data(), hdr.size()};
    d.iov[1] = {netascii_buf_.data(), n};
    d.iovcnt = 2;
    if (transport_.send(static_cast<std::uint32_t>(&s - slots_.data()), std::span<const TxDatagram>(&d, 1)) == 1) {
        counters_.tx_packets.add();
        counters_.tftp_bytes.add(n);
        s.bytes += n;
    } else {
        counters_.drop(TransportDrop::tx_failed);
    }
    if (a.retransmit) {
        counters_.retransmits.add();
        ++s.retransmits;
    }
    return SendOutcome::Sent;
}

TftpService::SendOutcome TftpService::send_data(Slot& s, const TftpAction& a) {
    if (s.netascii) return send_netascii(s, a);
    Settle settle{*cache_};
    const proto::TftpTransfer& e = s.engine;
    std::uint64_t last = a.first_block + a.count - 1;
    std::uint64_t begin = e.block_offset(a.first_block);
    std::uint64_t end = e.block_offset(last) + e.block_length(last);
    switch (cache_->ensure(s.file, begin, end - begin)) {
        case BlockCache::Avail::Failed: return SendOutcome::Failed;
        case BlockCache::Avail::Changed: return SendOutcome::Changed;
        case BlockCache::Avail::Pending: return SendOutcome::Parked;
        case BlockCache::Avail::Ready: break;
    }
    for (std::uint32_t i = 0; i < a.count; ++i) {
        std::uint64_t block = a.first_block + i;
        auto& hdr = data_headers_[i];
        hdr[2] = static_cast<std::uint8_t>(block >> 8);
        hdr[3] = static_cast<std::uint8_t>(block);
        TxDatagram& d = tx_[i];
        d.iov[0] = {hdr.data(), hdr.size()};
        std::uint32_t len = e.block_length(block);
        int segs = cache_->map(s.file, e.block_offset(block), len, d.iov.data() + 1);
        d.iovcnt = static_cast<std::uint8_t>(1 + segs);
    }
    auto sent = static_cast<int>(transport_.send(static_cast<std::uint32_t>(&s - slots_.data()),
                                                 std::span<const TxDatagram>(tx_.data(), a.count)));
    if (sent < static_cast<int>(a.count)) counters_.drop(TransportDrop::tx_failed);
    if (sent > 0) {
        counters_.tx_packets.add(static_cast<std::uint64_t>(sent));
        // Payload of the blocks that went out (all but possibly a short last one are full).
        std::uint64_t out = 0;
        for (int i = 0; i < sent; ++i) out += e.block_length(a.first_block + static_cast<std::uint64_t>(i));
        counters_.tftp_bytes.add(out);
        s.bytes += out;
    }
    if (a.retransmit) {
        counters_.retransmits.add(a.count);
        s.retransmits += a.count;
    }
    return SendOutcome::Sent;
}

void TftpService::execute(std::uint32_t idx, const TftpAction& a, Nanos now) {
    Slot& s = slots_[idx];
    switch (a.kind) {
        case TftpAction::Kind::None: break;
        case TftpAction::Kind::Oack: {
            std::size_t len = proto::build_tftp_oack(tx_buf_, s.engine.negotiated());
            if (len > 0) send_one(s, tx_buf_.data(), len);
            if (a.retransmit) {
                counters_.retransmits.add();
                ++s.retransmits;
            }
            break;
        }
        case TftpAction::Kind::Error: send_error(s, a.error_code, a.error_message); break;
        case TftpAction::Kind::Data:
            // A transfer's first DATA waits for room on the path (tftp_service_admission.cpp).
            if (!s.admitted && !admit_or_hold(idx, a, now)) break;
            switch (send_data(s, a)) {
                case SendOutcome::Sent:
                    // The retransmit timer runs from when the data really went out (later than the
                    // engine asked, when the send waited for the disk).
                    s.engine.restart_timer(now);
                    break;
                case SendOutcome::Failed:
                    fail(idx, TftpErrorCode::NotDefined, "read error", TftpDrop::read_error, now);
                    return;
                case SendOutcome::Changed:
                    fail(idx, TftpErrorCode::NotDefined, "file changed, try again", TftpDrop::file_changed, now);
                    return;
                case SendOutcome::Parked:
                    s.pending = a;
                    s.state = SlotState::Parked;
                    if (!s.in_parked) {
                        s.in_parked = true;
                        parked_.push_back(idx);
                    }
                    break;
            }
            break;
    }
    after_event(idx, now);
}

void TftpService::after_event(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    switch (s.engine.last_event()) {
        case TftpEvent::Progress: s.superseded = proto::RrqDecision::Start; break;  // somebody else's
        case TftpEvent::DuplicateAck: note_quirk(s, Quirk::duplicate_ack); break;
        case TftpEvent::StrayAck: counters_.drop(TftpDrop::stray_ack); break;
        case TftpEvent::ProbeAbort:
            note_quirk(s, Quirk::probe_abort);
            s.ended_as = ResultLabel::probe;
            if (s.superseded != proto::RrqDecision::Start) {
                credit_restart(s);  // the restart arrived before this probe's ERROR
            } else {
                recent_probes_.record(s.ip, s.file_hash, now);
            }
            break;
        default: break;
    }
    if (s.engine.finished()) {
        finalize(idx, now);
    } else if (s.state == SlotState::Parked) {
        // A read landing retries it sooner; the timer is the fallback.
        wheel_.arm(idx, now + s.engine.negotiated().timeout);
    } else if (s.state == SlotState::Held) {
        // Released by admission when there is room; this is when its client gives up.
        wheel_.arm(idx, s.started + cfg_.admission.file_timeout);
    } else if (s.state != SlotState::Free) {
        wheel_.arm(idx, s.engine.deadline());
    }
}

void TftpService::on_tid_unreachable(std::uint32_t idx, Nanos now) {
    if (idx >= slots_.size() || slots_[idx].state != SlotState::Active) return;
    execute(idx, slots_[idx].engine.on_error(now), now);
}

void TftpService::on_tid_datagram(std::uint32_t idx, const std::uint8_t* data, std::size_t len, Nanos now) {
    if (idx >= slots_.size()) return;
    Slot& s = slots_[idx];
    if (s.state == SlotState::Free) return;
    proto::TftpPacket pkt;
    if (proto::TftpParseError perr = proto::parse_tftp(proto::ConstBytes(data, len), pkt);
        perr != proto::TftpParseError::none) {
        counters_.drop(TftpDrop::malformed);
        counters_.note(perr);
        return;
    }
    s.heard = true;
    if (s.state != SlotState::Active) {
        // Opening, parked or held: an ACK can only repeat one already handled; an ERROR still ends it.
        if (pkt.opcode == proto::TftpOpcode::Error && (s.state == SlotState::Parked || s.state == SlotState::Held)) {
            execute(idx, s.engine.on_error(now), now);
        }
        return;
    }
    if (pkt.opcode == proto::TftpOpcode::Ack) {
        if (len > 4 && (s.quirks & (1u << static_cast<unsigned>(Quirk::padded_ack))) == 0)
            note_quirk(s, Quirk::padded_ack);
        last_ack_at_ = now;
        s.silent_since = 0;
        std::uint64_t before = s.engine.acked_blocks();
        TftpAction a = s.engine.on_ack(pkt.block, now);
        acked(s, before, now);
        if (s.engine.last_ack_spurious()) counters_.spurious_retransmits.add();
        if (s.engine.last_rtt() >= 0) rtt_guard_.add(s.engine.last_rtt(), now);
        execute(idx, a, now);
    } else if (pkt.opcode == proto::TftpOpcode::Error) {
        execute(idx, s.engine.on_error(now), now);
    } else {
        counters_.drop(TftpDrop::unexpected_opcode);
    }
}

void TftpService::on_timer(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    if (s.state == SlotState::Parked) {
        // Waiting for the disk is not the client's fault: try the pending send again (it re-issues
        // any read that could not be queued) without counting a retry.
        s.state = SlotState::Active;
        execute(idx, s.pending, now);
        return;
    }
    if (s.state == SlotState::Held) {
        // Its client has given up on it by now (TFTP_FILE_TIMEOUT from the RRQ).
        counters_.admission_expired.add();
        s.engine.abandon(TftpResult::Timeout);
        finalize(idx, now);
        return;
    }
    if (s.state != SlotState::Active) return;
    if (resolve_superseded(idx, now)) return;
    if (hold_resend(idx, now)) return;
    execute(idx, s.engine.on_timer(now), now);
}

namespace {

// Transfers that must be sending before a silence is the path's rather than one client's.
constexpr std::size_t kSilentQuorum = 4;
// The longest a resend is held for a silent path: then it goes (the path may be dead, not slow).
constexpr Nanos kSilentWait = 250 * proto::kMillisecond;

}  // namespace

bool TftpService::hold_resend(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    // A transfer that has seen a real loss is resent as ever: on a lossy link a few transfers are
    // often all waiting on losses at once, and holding them would stall them all together.
    if (s.engine.finished() || s.engine.lossy() || now < s.engine.deadline() || running_.size() < kSilentQuorum) {
        return false;
    }
    // ACKs came while this one's timer ran: the others' clients answer, so its own was lost.
    Nanos wait = s.engine.interval();
    if (now - last_ack_at_ < wait) return false;
    // No transfer here has had an ACK for a whole timeout: the host or the path stalled (a pause
    // of this VM, a burst queued ahead of the ACKs), and a resend would be a duplicate DATA the
    // client does not need (a Pi 4's start4.elf may hang on one, firmware#1631).
    if (s.silent_since == 0) s.silent_since = now;
    if (now - s.silent_since >= kSilentWait) return false;
    s.engine.postpone(std::min(now + wait, s.silent_since + kSilentWait));
    wheel_.arm(idx, s.engine.deadline());
    counters_.resends_held.add();
    return true;
}

void TftpService::credit_restart(const Slot& probe) {
    counters_.quirk(Quirk::probe_restart);
    Slot& next = slots_[probe.successor];
    if (next.seq == probe.successor_seq && next.state != SlotState::Free) {
        next.quirks = static_cast<std::uint8_t>(next.quirks | (1u << static_cast<unsigned>(Quirk::probe_restart)));
    }
}

bool TftpService::resolve_superseded(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    if (s.superseded == proto::RrqDecision::Start) return false;
    // Still no progress since the newer request: the client left this transfer for that one.
    bool race = s.superseded == proto::RrqDecision::SupersedeRace;
    if (race) {
        note_quirk(s, Quirk::rrq_race);
        s.ended_as = ResultLabel::replaced;
    } else if (s.negotiated.needs_oack()) {
        // The Pi's probe: options read from the OACK, then the file asked again.
        note_quirk(s, Quirk::probe_abort);
        s.ended_as = ResultLabel::probe;
        credit_restart(s);
    }  // else DATA 1 to nobody and the same file asked again: a flood's, not a Pi's habit
    s.engine.abandon(TftpResult::Aborted);
    finalize(idx, now);
    return true;
}

void TftpService::retry_parked(Nanos now) {
    parked_scratch_.clear();
    parked_scratch_.swap(parked_);
    for (std::uint32_t idx : parked_scratch_) {
        Slot& s = slots_[idx];
        s.in_parked = false;
        if (s.state != SlotState::Parked) continue;
        s.state = SlotState::Active;
        execute(idx, s.pending, now);
    }
}

void TftpService::finalize(std::uint32_t idx, Nanos now) {
    Slot& s = slots_[idx];
    if (s.state == SlotState::Free) return;
    TftpResult result = s.engine.result();
    if (result == TftpResult::Running) result = TftpResult::Aborted;
    if ((result == TftpResult::Aborted || result == TftpResult::Timeout) && !s.heard) {
        result = TftpResult::Unacknowledged;
    }
    ResultLabel counted = outcome(result, s.ended_as, s.heard, s.superseded != proto::RrqDecision::Start);
    counters_.result(counted);

    TransferRecord r;
    r.client_ip = s.ip;
    r.client_port = s.port;
    r.worker = cfg_.id;
    r.bytes = s.bytes;
    r.file_size = s.file != BlockCache::kNoFile ? cache_->size_of(s.file) : 0;
    r.duration_ns = now - s.started;
    r.retransmits = s.retransmits;
    r.blksize = s.negotiated.blksize;
    r.windowsize = s.negotiated.windowsize;
    r.error_code = s.error_code;
    r.client_mac = s.mac;
    r.result = result;
    r.outcome = counted;
    r.quirks = s.quirks;
    r.serial = s.serial;
    std::memcpy(r.file, s.name, sizeof r.file);
    push_record(r);

    by_port_.erase_if(port_key(s.ip, s.port), idx);
    by_file_.erase_if(file_key(s.ip, s.file_hash), idx);
    std::uint32_t held = per_client_.find(s.ip.value());
    if (held <= 1) {
        per_client_.erase_if(s.ip.value(), held);
    } else if (held != proto::FlatIndex::kNone) {
        per_client_.put(s.ip.value(), held - 1);
    }
    wheel_.cancel(idx);
    if (s.state == SlotState::Held) {
        if (auto it = std::find(held_.begin(), held_.end(), idx); it != held_.end()) held_.erase(it);
        counters_.tftp_held.set(held_.size());
    }
    if (s.admitted) {
        std::uint32_t last = running_.back();
        running_[s.running_at] = last;
        slots_[last].running_at = s.running_at;
        running_.pop_back();
        s.admitted = false;
        room_freed_ = true;
    }
    if (s.has_tid) transport_.close_tid(idx);
    s.has_tid = false;
    cache_->release(s.file);
    s.file = BlockCache::kNoFile;
    s.state = SlotState::Free;
    s.next_free = free_head_;
    free_head_ = idx;
    counters_.active_transfers.sub();
    if (cfg_.global_active != nullptr) cfg_.global_active->fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace rackboot::dataplane
