#include "dataplane/block_cache.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rackboot::dataplane {

proto::Result<std::unique_ptr<BlockCache>> BlockCache::create(const BlockCacheConfig& cfg) {
    std::unique_ptr<BlockCache> c(new BlockCache());
    c->cfg_ = cfg;
    std::size_t nchunks = std::max<std::size_t>(cfg.budget_bytes / cfg.chunk_size, 64);
    c->arena_bytes_ = nchunks * cfg.chunk_size;
    void* mem =
        mmap(nullptr, c->arena_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        return proto::failure(std::string("block cache: cannot map ") + std::to_string(c->arena_bytes_) +
                              " bytes: " + std::strerror(errno));
    }
    c->arena_ = static_cast<std::uint8_t*>(mem);
    c->chunks_.resize(nchunks);
    c->pins_.assign(nchunks, 0);
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
    return c;
}

BlockCache::~BlockCache() {
    for (std::size_t i = 0; i < files_.size(); ++i) {
        if (files_[i].fd >= 0) close(files_[i].fd);
    }
    if (ring_ok_) io_uring_queue_exit(&ring_);
    if (event_fd_ >= 0) close(event_fd_);
    if (arena_ != nullptr) munmap(arena_, arena_bytes_);
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
    f.chunks.assign((f.size + cfg_.chunk_size - 1) / cfg_.chunk_size, -1);
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
    f.chunks.assign((size + cfg_.chunk_size - 1) / cfg_.chunk_size, -1);
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
    std::int32_t chunk = size == 0 ? -1 : take_slot();
    if (size != 0 && chunk < 0) return kNoFile;
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
    if (chunk >= 0) {
        Chunk& c = chunks_[static_cast<std::size_t>(chunk)];
        c = Chunk{};
        c.file = file;
        c.generation = f.generation;
        c.state = ChunkState::Ready;
        c.fill = ++fills_;
        pin(chunk);  // nothing to read it back from: never evicted while the file lives
        f.chunks.push_back(chunk);
        bytes = chunk_data(chunk);
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
    for (std::int32_t slot : f.chunks) {
        if (slot >= 0 && f.memory) unpin(slot);
        // Reads in flight finish into their slot and are then discarded by the generation check.
        if (slot >= 0 && chunks_[slot].state != ChunkState::Loading) chunks_[slot] = Chunk{};
    }
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

void BlockCache::detach(std::int32_t slot) noexcept {
    Chunk& c = chunks_[slot];
    if (c.file != kNoFile) {
        File& f = files_[c.file];
        if (f.generation == c.generation && c.index < f.chunks.size() && f.chunks[c.index] == slot) {
            f.chunks[c.index] = -1;
        }
    }
    c = Chunk{};
}

std::int32_t BlockCache::take_slot() noexcept {
    // CLOCK: skip reads in flight, give referenced chunks a second chance.
    auto n = static_cast<std::uint32_t>(chunks_.size());
    for (std::uint32_t step = 0; step < 2 * n; ++step) {
        std::uint32_t i = hand_;
        hand_ = (hand_ + 1) % n;
        Chunk& c = chunks_[i];
        if (c.state == ChunkState::Loading || pins_[i] > 0) continue;
        if (c.state == ChunkState::Ready && c.referenced) {
            c.referenced = false;
            continue;
        }
        detach(static_cast<std::int32_t>(i));
        return static_cast<std::int32_t>(i);
    }
    return -1;
}

BlockCache::Avail BlockCache::ensure(std::int32_t file, std::uint64_t offset, std::uint64_t len) noexcept {
    File& f = files_[file];
    if (len == 0 || offset >= f.size) return Avail::Ready;
    auto first = static_cast<std::uint32_t>(offset / cfg_.chunk_size);
    auto last = static_cast<std::uint32_t>((std::min(offset + len, f.size) - 1) / cfg_.chunk_size);
    Avail result = Avail::Ready;
    for (std::uint32_t idx = first; idx <= last; ++idx) {
        std::int32_t slot = f.chunks[idx];
        if (slot >= 0) {
            Chunk& c = chunks_[slot];
            if (c.state == ChunkState::Ready) {
                c.referenced = true;
                if (cfg_.counters != nullptr) cfg_.counters->cache_hits.add();
                continue;
            }
            if (c.state == ChunkState::Failed) {
                bool changed = c.changed;
                detach(slot);  // let the next request try again
                return changed ? Avail::Changed : Avail::Failed;
            }
            result = Avail::Pending;  // loading
            continue;
        }
        result = Avail::Pending;
        slot = take_slot();
        if (slot < 0) continue;                          // every chunk is being read: retried when one lands
        if (!queue_chunk_reads(f, idx, slot)) continue;  // the ring is full: retried when a read lands
        Chunk& c = chunks_[slot];
        c.file = file;
        c.generation = f.generation;
        c.index = idx;
        c.state = ChunkState::Loading;
        c.changed = false;
        c.referenced = true;
        c.fill = ++fills_;
        f.chunks[idx] = slot;
        ++reads_issued_;
        if (cfg_.counters != nullptr) cfg_.counters->cache_reads.add();
    }
    return result;
}

bool BlockCache::queue_chunk_reads(const File& f, std::uint32_t index, std::int32_t slot) noexcept {
    const std::uint64_t start = static_cast<std::uint64_t>(index) * cfg_.chunk_size;
    const std::uint32_t bytes = chunk_bytes(f, index);
    Chunk& c = chunks_[slot];
    auto submit = [&](std::uint64_t fd_offset, std::uint32_t within, std::uint32_t len) {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);
        io_uring_prep_read(s, f.fd, chunk_data(slot) + within, len, fd_offset);
        io_uring_sqe_set_data64(s, static_cast<std::uint64_t>(slot) | (static_cast<std::uint64_t>(len) << 32));
        ++pending_sqes_;
    };
    if (f.parts.empty()) {
        if (io_uring_sq_space_left(&ring_) == 0) flush();
        if (io_uring_sq_space_left(&ring_) == 0) return false;
        submit(start, 0, bytes);
        c.parts_left = 1;
        c.part_failed = false;
        return true;
    }
    // The extent holding `start`, then one read per extent up to the chunk's end.
    auto it = std::upper_bound(f.parts.begin(), f.parts.end(), start,
                               [](std::uint64_t off, const Part& p) { return off < p.file_offset; });
    if (it == f.parts.begin()) return false;
    --it;
    unsigned needed = 0;
    for (auto p = it; p != f.parts.end() && p->file_offset < start + bytes; ++p) ++needed;
    if (io_uring_sq_space_left(&ring_) < needed) flush();
    if (io_uring_sq_space_left(&ring_) < needed || needed > 0xffff) return false;
    for (std::uint32_t done = 0; done < bytes && it != f.parts.end(); ++it) {
        std::uint64_t off = start + done;
        std::uint64_t into = off - it->file_offset;
        auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes - done, it->length - into));
        submit(it->fd_offset + into, done, len);
        done += len;
    }
    c.parts_left = static_cast<std::uint16_t>(needed);
    c.part_failed = false;
    return true;
}

void BlockCache::finish_read(std::uint32_t slot, int res, std::uint32_t expected) noexcept {
    Chunk& c = chunks_[slot];
    if (c.state != ChunkState::Loading) return;
    if (res < 0 || static_cast<std::uint32_t>(res) != expected) c.part_failed = true;
    if (c.parts_left > 1) {
        --c.parts_left;  // the slot stays Loading (never taken) until its last read lands
        return;
    }
    c.parts_left = 0;
    File& f = files_[c.file];
    bool live = f.fd >= 0 && f.generation == c.generation && c.index < f.chunks.size() &&
                f.chunks[c.index] == static_cast<std::int32_t>(slot);
    if (!live) {
        c = Chunk{};  // its file was dropped while the read was in flight
        return;
    }
    c.state = c.part_failed ? ChunkState::Failed : ChunkState::Ready;
    // An image's bytes count only if the image is still the content it was indexed from: a
    // writer updates mtime before it changes a byte, so an unchanged mtime after the read means
    // these bytes are that content's (to the file system's timestamp granularity).
    if (c.state == ChunkState::Ready && f.origin != 0 && !same_content(f)) {
        c.state = ChunkState::Failed;
        c.changed = true;
    }
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
        iov[n].iov_base = chunk_data(f.chunks[idx]) + within;
        iov[n].iov_len = take;
        ++n;
        offset += take;
        len -= take;
    }
    return n;
}

}  // namespace rackboot::dataplane
