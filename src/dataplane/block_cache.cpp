#include "dataplane/block_cache.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rackboot::dataplane {

proto::Result<std::unique_ptr<BlockCache>> BlockCache::create(const BlockCacheConfig& cfg) {
    std::shared_ptr<ChunkArena> arena = cfg.arena;
    if (arena == nullptr) {
        auto own = ChunkArena::create(ChunkArenaConfig{cfg.budget_bytes, cfg.chunk_size, 1, false});
        if (!own) return tl::unexpected(own.error());
        arena = std::move(*own);
    }
    if (cfg.worker >= arena->workers()) {
        return proto::failure("block cache: worker " + std::to_string(cfg.worker) + " is not one of the arena's " +
                              std::to_string(arena->workers()));
    }
    std::unique_ptr<BlockCache> c(new BlockCache(std::move(arena)));
    c->cfg_ = cfg;
    c->cfg_.chunk_size = c->arena_->chunk_size();
    std::size_t nchunks = c->arena_->slot_count();
    c->pins_.assign(nchunks, 0);
    c->loads_.resize(nchunks);
    // One ensure() holds at most a window's chunks: 256 blocks of at most 64 KiB, plus the two ends.
    c->held_.reserve(std::size_t{256} * 65536 / c->cfg_.chunk_size + 2);
    c->files_.resize(cfg.max_files);
    int rc = io_uring_queue_init(cfg.ring_entries, &c->ring_, 0);
    if (rc < 0) {
        return proto::failure(std::string("block cache: io_uring_queue_init failed: ") + std::strerror(-rc) +
                              " (is io_uring disabled by kernel.io_uring_disabled or a seccomp policy?)");
    }
    c->ring_ok_ = true;
    c->event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->event_fd_ < 0 || io_uring_register_eventfd(&c->ring_, c->event_fd_) < 0) {
        return proto::failure(std::string("block cache: cannot register an eventfd: ") + std::strerror(errno));
    }
    c->arena_->set_wake_fd(cfg.worker, c->event_fd_);
    c->wakeups_seen_ = c->arena_->wakeups(cfg.worker);
    if (cfg.register_buffers) c->register_arena();
    return c;
}

void BlockCache::register_arena() noexcept {
    // At most 1 GiB per registered buffer (the kernel's limit), whole chunks each.
    constexpr std::size_t kMaxBuffer = 1u << 30;
    registered_span_ = kMaxBuffer / cfg_.chunk_size * cfg_.chunk_size;
    std::vector<iovec> iov;
    for (std::size_t at = 0; at < arena_->bytes(); at += registered_span_) {
        iov.push_back(iovec{arena_->base() + at, std::min(registered_span_, arena_->bytes() - at)});
    }
    registered_ = io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size())) == 0;
}

BlockCache::~BlockCache() {
    settle();
    for (std::size_t slot = 0; slot < pins_.size(); ++slot) {
        while (pins_[slot] > 0) unpin(static_cast<std::int32_t>(slot));
    }
    // This worker's reads in flight land first: one landing after its slot went to another chunk
    // would overwrite that chunk. Bounded: a read that has not landed in a few seconds is failed.
    if (ring_ok_) {
        flush();
        auto in_flight = [&] {
            return std::any_of(loads_.begin(), loads_.end(), [](const Load& l) { return l.file != kNoFile; });
        };
        for (int waited = 0; waited < 50 && in_flight(); ++waited) {
            io_uring_cqe* cqe = nullptr;
            __kernel_timespec ts{0, 100'000'000};
            if (io_uring_wait_cqe_timeout(&ring_, &cqe, &ts) != 0) continue;
            (void)poll([](std::uint64_t, int fd) {
                if (fd >= 0) close(fd);
            });
        }
    }
    for (std::size_t slot = 0; slot < loads_.size(); ++slot) {
        if (loads_[slot].file == kNoFile) continue;
        arena_->publish(static_cast<std::int32_t>(slot), loads_[slot].version, ChunkArena::State::Failed);
        arena_->forget_failed(static_cast<std::int32_t>(slot), loads_[slot].version);
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
        if (files_[i].fd >= 0 || files_[i].memory) drop_file(static_cast<std::int32_t>(i));
    }
    arena_->set_wake_fd(cfg_.worker, -1);
    if (ring_ok_) io_uring_queue_exit(&ring_);
    if (event_fd_ >= 0) close(event_fd_);
}

bool BlockCache::woken() noexcept {
    std::uint64_t now = arena_->wakeups(cfg_.worker);
    if (now == wakeups_seen_) return false;
    wakeups_seen_ = now;
    return true;
}

io_uring_sqe* BlockCache::sqe() noexcept {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s == nullptr) {
        flush();
        s = io_uring_get_sqe(&ring_);
    }
    if (s != nullptr) ++pending_sqes_;
    return s;
}

void BlockCache::flush() noexcept {
    if (pending_sqes_ == 0) return;
    int rc = io_uring_submit(&ring_);
    if (rc >= 0) pending_sqes_ = 0;
}

bool BlockCache::submit_open(int dirfd, const char* path, std::uint64_t tag) noexcept {
    io_uring_sqe* s = sqe();
    if (s == nullptr) return false;
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    io_uring_prep_openat2(s, dirfd, path, &how);
    io_uring_sqe_set_data64(s, tag | kOpenBit);
    // The kernel copies the path and open_how when the request is submitted, so submit now: the
    // caller's buffers need not outlive this call.
    flush();
    return true;
}

std::int32_t BlockCache::find_or_claim(const ImageIdentity& id, std::uint64_t origin, bool& found) noexcept {
    found = false;
    std::int32_t free_slot = kNoFile;
    std::int32_t idle_oldest = kNoFile;
    for (std::size_t i = 0; i < files_.size(); ++i) {
        File& f = files_[i];
        if (f.fd < 0 && !f.memory) {
            if (free_slot == kNoFile) free_slot = static_cast<std::int32_t>(i);
            continue;
        }
        if (f.dev == id.dev && f.ino == id.ino && f.image_size == id.size && f.mtime_ns == id.mtime_ns &&
            f.origin == origin) {
            found = true;  // the same version of the same file is already open
            return static_cast<std::int32_t>(i);
        }
        if (f.refs == 0 && (idle_oldest == kNoFile || f.last_release < files_[idle_oldest].last_release)) {
            idle_oldest = static_cast<std::int32_t>(i);
        }
    }
    std::int32_t slot = free_slot;
    if (slot == kNoFile && idle_oldest != kNoFile) {
        drop_file(idle_oldest);
        slot = idle_oldest;
    }
    return slot;
}

std::int32_t BlockCache::adopt(int fd, const struct stat& st) noexcept {
    ImageIdentity id = ImageIdentity::of(st);
    bool found = false;
    std::int32_t slot = find_or_claim(id, 0, found);
    if (found) {
        close(fd);
        ++files_[slot].refs;
        return slot;
    }
    if (slot == kNoFile) {
        close(fd);
        return kNoFile;
    }
    File& f = files_[slot];
    f.fd = fd;
    f.dev = id.dev;
    f.ino = id.ino;
    f.size = id.size;
    f.mtime_ns = id.mtime_ns;
    f.origin = 0;
    f.image_size = id.size;
    f.refs = 1;
    f.chunks.assign((f.size + cfg_.chunk_size - 1) / cfg_.chunk_size, Hint{});
    f.parts.clear();
    return slot;
}

std::int32_t BlockCache::adopt_extents(int image_fd, const ImageIdentity& identity, std::uint64_t size,
                                       std::span<const image::Extent> extents) noexcept {
    // Keyed by the image's content and where the file starts in it (no two files share a cluster).
    std::uint64_t origin = (extents.empty() ? 0 : extents.front().offset) + 1;
    bool found = false;
    std::int32_t slot = find_or_claim(identity, origin, found);
    if (found) {
        ++files_[slot].refs;
        return slot;
    }
    if (slot == kNoFile) return kNoFile;
    std::uint64_t covered = 0;
    for (const image::Extent& e : extents) covered += e.length;
    if (covered < size) return kNoFile;  // the index never makes one: no read may run past its extents
    int fd = fcntl(image_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return kNoFile;
    File& f = files_[slot];
    f.fd = fd;
    f.dev = identity.dev;
    f.ino = identity.ino;
    f.size = size;
    f.mtime_ns = identity.mtime_ns;
    f.origin = origin;
    f.image_size = identity.size;
    f.refs = 1;
    f.chunks.assign((size + cfg_.chunk_size - 1) / cfg_.chunk_size, Hint{});
    f.parts.clear();
    std::uint64_t at = 0;
    for (const image::Extent& e : extents) {
        f.parts.push_back(Part{at, e.offset, e.length});
        at += e.length;
    }
    return slot;
}

std::int32_t BlockCache::adopt_memory(std::size_t size, std::uint8_t*& bytes) noexcept {
    if (size > cfg_.chunk_size) return kNoFile;
    bool found = false;
    // No file has this origin: a slot of its own.
    std::int32_t file = find_or_claim(ImageIdentity{}, UINT64_MAX, found);
    if (file == kNoFile) return kNoFile;
    ChunkArena::Found chunk;
    if (size != 0) {
        chunk = arena_->claim_private(cfg_.worker);  // held (one reference) until the file is dropped
        if (chunk.slot < 0) {
            retry_soon_ = true;
            return kNoFile;
        }
    }
    File& f = files_[file];
    f.fd = -1;
    f.memory = true;
    f.dev = 0;
    f.ino = 0;
    f.size = size;
    f.mtime_ns = 0;
    f.origin = 0;
    f.image_size = 0;
    f.refs = 1;
    f.parts.clear();
    f.chunks.clear();
    bytes = nullptr;
    if (chunk.slot >= 0) {
        f.chunks.push_back(Hint{chunk.slot, chunk.version});
        bytes = arena_->data(chunk.slot);
    }
    return file;
}

void BlockCache::release(std::int32_t file) noexcept {
    if (file < 0) return;
    File& f = files_[file];
    if (f.refs > 0 && --f.refs == 0) {
        f.last_release = ++release_clock_;
        if (f.memory) drop_file(file);  // its bytes were one request's
    }
}

void BlockCache::drop_file(std::int32_t file) noexcept {
    File& f = files_[file];
    if (f.memory) {
        for (const Hint& h : f.chunks) arena_->unref(cfg_.worker, h.slot);
    }
    // Reads in flight finish into their slot and are then failed by the generation check.
    if (f.fd >= 0) close(f.fd);
    f.fd = -1;
    f.memory = false;
    f.chunks.clear();
    f.chunks.shrink_to_fit();
    f.parts.clear();
    ++f.generation;
}

std::uint32_t BlockCache::chunk_bytes(const File& f, std::uint32_t index) const noexcept {
    std::uint64_t off = static_cast<std::uint64_t>(index) * cfg_.chunk_size;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg_.chunk_size, f.size - off));
}

BlockCache::Avail BlockCache::ensure(std::int32_t file, std::uint64_t offset, std::uint64_t len) noexcept {
    const File& f = files_[file];
    if (len == 0 || offset >= f.size || f.memory) return Avail::Ready;  // a memory file holds its chunk
    auto first = static_cast<std::uint32_t>(offset / cfg_.chunk_size);
    auto last = static_cast<std::uint32_t>((std::min(offset + len, f.size) - 1) / cfg_.chunk_size);
    const std::size_t mark = held_.size();
    Avail result = Avail::Ready;
    for (std::uint32_t idx = first; idx <= last; ++idx) {
        Hold h = hold(file, idx);
        if (h == Hold::Ready) continue;
        if (h == Hold::Pending) {
            result = Avail::Pending;  // the other chunks' reads still start now
            continue;
        }
        result = h == Hold::Changed ? Avail::Changed : Avail::Failed;
        break;
    }
    if (result != Avail::Ready) {
        // All or nothing: a range not wholly resident holds none of it.
        while (held_.size() > mark) {
            arena_->unref(cfg_.worker, held_.back());
            held_.pop_back();
        }
    }
    return result;
}

BlockCache::Hold BlockCache::hold(std::int32_t file, std::uint32_t index) noexcept {
    File& f = files_[file];
    Hint& h = f.chunks[index];
    // A hint goes stale when its slot is evicted between the lookup and the probe: bounded
    // retries, then later (retry_soon).
    for (int attempt = 0; attempt < 8; ++attempt) {
        if (h.slot >= 0) {
            switch (arena_->probe(cfg_.worker, h.slot, h.version)) {
                case ChunkArena::Probe::Ready:
                    held_.push_back(h.slot);
                    if (cfg_.counters != nullptr) cfg_.counters->cache_hits.add();
                    return Hold::Ready;
                case ChunkArena::Probe::Loading: return Hold::Pending;  // woken when it lands
                case ChunkArena::Probe::Failed:
                    arena_->forget_failed(h.slot, h.version);  // the next request reads it again
                    h = Hint{};
                    return Hold::Failed;
                case ChunkArena::Probe::Changed:
                    arena_->forget_failed(h.slot, h.version);
                    h = Hint{};
                    return Hold::Changed;
                case ChunkArena::Probe::Gone: h = Hint{}; break;
            }
        }
        unsigned needed = reads_needed(f, index);
        if (needed == 0 || needed > 0xffff || needed > cfg_.ring_entries) return Hold::Failed;
        if (io_uring_sq_space_left(&ring_) < needed) flush();
        if (io_uring_sq_space_left(&ring_) < needed) return Hold::Pending;  // retried when a read lands
        ChunkArena::Found found = arena_->find_or_claim(cfg_.worker, key_of(f, index));
        if (found.slot < 0) {
            retry_soon_ = true;  // every slot held or loading: woken by the next landing, or soon
            return Hold::Pending;
        }
        h = Hint{found.slot, found.version};
        if (!found.load) continue;  // someone's: probe it
        queue_chunk_reads(f, index, found.slot);
        Load& l = loads_[static_cast<std::size_t>(found.slot)];
        l.file = file;
        l.generation = f.generation;
        l.version = found.version;
        l.parts_left = static_cast<std::uint16_t>(needed);
        l.failed = false;
        ++reads_issued_;
        if (cfg_.counters != nullptr) cfg_.counters->cache_reads.add();
        return Hold::Pending;
    }
    retry_soon_ = true;
    return Hold::Pending;
}

void BlockCache::settle() noexcept {
    for (std::int32_t slot : held_) arena_->unref(cfg_.worker, slot);
    held_.clear();
}

unsigned BlockCache::reads_needed(const File& f, std::uint32_t index) const noexcept {
    if (f.parts.empty()) return 1;
    const std::uint64_t start = static_cast<std::uint64_t>(index) * cfg_.chunk_size;
    const std::uint32_t bytes = chunk_bytes(f, index);
    auto it = std::upper_bound(f.parts.begin(), f.parts.end(), start,
                               [](std::uint64_t off, const Part& p) { return off < p.file_offset; });
    if (it == f.parts.begin()) return 0;
    unsigned needed = 0;
    for (--it; it != f.parts.end() && it->file_offset < start + bytes; ++it) ++needed;
    return needed;
}

void BlockCache::queue_chunk_reads(const File& f, std::uint32_t index, std::int32_t slot) noexcept {
    const std::uint64_t start = static_cast<std::uint64_t>(index) * cfg_.chunk_size;
    const std::uint32_t bytes = chunk_bytes(f, index);
    std::uint8_t* into = arena_->data(slot);
    auto submit = [&](std::uint64_t fd_offset, std::uint32_t within, std::uint32_t len) {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);  // room checked by the caller
        if (registered_) {
            auto at = static_cast<std::size_t>(into - arena_->base());
            io_uring_prep_read_fixed(s, f.fd, into + within, len, fd_offset, static_cast<int>(at / registered_span_));
        } else {
            io_uring_prep_read(s, f.fd, into + within, len, fd_offset);
        }
        io_uring_sqe_set_data64(s, static_cast<std::uint64_t>(slot) | (static_cast<std::uint64_t>(len) << 32));
        ++pending_sqes_;
    };
    if (f.parts.empty()) {
        submit(start, 0, bytes);
        return;
    }
    // The extent holding `start`, then one read per extent up to the chunk's end.
    auto it = std::upper_bound(f.parts.begin(), f.parts.end(), start,
                               [](std::uint64_t off, const Part& p) { return off < p.file_offset; });
    --it;  // reads_needed found one
    for (std::uint32_t done = 0; done < bytes && it != f.parts.end(); ++it) {
        std::uint64_t off = start + done;
        std::uint64_t within = off - it->file_offset;
        auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes - done, it->length - within));
        submit(it->fd_offset + within, done, len);
        done += len;
    }
}

void BlockCache::finish_read(std::uint32_t slot, int res, std::uint32_t expected) noexcept {
    if (slot >= loads_.size()) return;
    Load& l = loads_[slot];
    if (l.file == kNoFile) return;
    if (res < 0 || static_cast<std::uint32_t>(res) != expected) l.failed = true;
    if (l.parts_left > 1) {
        --l.parts_left;  // the slot stays Loading until its last read lands
        return;
    }
    const File& f = files_[l.file];
    // Its file dropped while the read was in flight: its content can no longer be checked.
    bool live = (f.fd >= 0 && f.generation == l.generation);
    ChunkArena::State state = l.failed || !live ? ChunkArena::State::Failed : ChunkArena::State::Ready;
    // An image's bytes count only if the image is still the content it was indexed from: a
    // writer updates mtime before it changes a byte, so an unchanged mtime after the read means
    // these bytes are that content's (to the file system's timestamp granularity).
    if (state == ChunkArena::State::Ready && f.origin != 0 && !same_content(f)) state = ChunkArena::State::Changed;
    std::uint64_t version = l.version;
    l = Load{};
    arena_->publish(static_cast<std::int32_t>(slot), version, state);
}

bool BlockCache::same_content(const File& f) noexcept {
    struct stat st {};
    if (fstat(f.fd, &st) != 0) return false;
    ImageIdentity now = ImageIdentity::of(st);
    return now.mtime_ns == f.mtime_ns && now.size == f.image_size;
}

int BlockCache::map(std::int32_t file, std::uint64_t offset, std::uint32_t len, iovec* iov) const noexcept {
    const File& f = files_[file];
    int n = 0;
    while (len > 0) {
        auto idx = static_cast<std::uint32_t>(offset / cfg_.chunk_size);
        auto within = static_cast<std::uint32_t>(offset % cfg_.chunk_size);
        std::uint32_t take = std::min(len, cfg_.chunk_size - within);
        iov[n].iov_base = arena_->data(f.chunks[idx].slot) + within;
        iov[n].iov_len = take;
        ++n;
        offset += take;
        len -= take;
    }
    return n;
}

}  // namespace rackboot::dataplane
