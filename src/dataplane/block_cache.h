// A worker's view of boot files: files opened asynchronously (io_uring openat2, confined beneath
// a boot tree's directory) and read in fixed-size chunks with io_uring into the chunk arena that
// every worker shares (chunk_arena.h): a chunk is read once for all workers and held once, however
// many transfers on however many workers want it; CLOCK evicts under one memory budget. The
// worker never blocks on disk: a transfer whose bytes are not resident is parked until the read
// lands, on this worker's ring or another's. The view itself (files, descriptors, ring, the
// chunks it holds) is one worker's: nothing in it is shared between threads but the arena.
#pragma once

#include <liburing.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/chunk_arena.h"
#include "dataplane/counters.h"
#include "dataplane/tree_handle.h"
#include "proto/result.h"

namespace rackboot::dataplane {

struct BlockCacheConfig {
    // The arena shared by every worker, and this worker's number in it. Null: a private arena of
    // budget_bytes in chunk_size chunks (one worker, as tests and tools use it).
    std::shared_ptr<ChunkArena> arena;
    std::uint32_t worker = 0;
    std::size_t budget_bytes = 128u << 20;
    std::uint32_t chunk_size = 64u << 10;
    std::uint32_t max_files = 4096;
    std::uint32_t ring_entries = 256;
    // Register the arena with the ring (io_uring_register_buffers) and read with READ_FIXED: no
    // page pinning per read. Registration pins the whole arena in memory, so it suits an arena
    // that is resident anyway (hugepages under DPDK); where the kernel refuses (RLIMIT_MEMLOCK),
    // plain reads are used and buffers_registered() says so.
    bool register_buffers = false;
    WorkerCounters* counters = nullptr;  // cache_reads / cache_hits, when given
};

class BlockCache {
public:
    // Changed: a disk image's file whose image was rewritten under it (bytes read now could be
    // another version's): never served mixed, the transfer is failed and the client asks again.
    enum class Avail : std::uint8_t { Ready, Pending, Failed, Changed };
    static constexpr std::int32_t kNoFile = -1;

    // Sets up the ring (and a private arena when none is given), or says why it could not.
    [[nodiscard]] static proto::Result<std::unique_ptr<BlockCache>> create(const BlockCacheConfig& cfg);
    ~BlockCache();
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // An eventfd that becomes readable when completions are waiting or another worker's read
    // landed for this one (for epoll).
    [[nodiscard]] int event_fd() const noexcept { return event_fd_; }

    // Queues an open of `path` beneath `dirfd` (RESOLVE_BENEATH: no '..', no absolute symlinks,
    // nothing that leaves the tree). The completion reports `tag` with the fd or -errno. The path
    // is consumed before this returns.
    [[nodiscard]] bool submit_open(int dirfd, const char* path, std::uint64_t tag) noexcept;

    // Takes an opened regular file; returns its file id (shared with earlier opens of the same
    // inode and version) holding one reference, or kNoFile when the file table is full. The fd is
    // owned by the cache afterwards (closed when the entry is dropped or merged).
    [[nodiscard]] std::int32_t adopt(int fd, const struct stat& st) noexcept;
    // A file inside a disk image: `size` bytes laid out in `extents` of the image open as
    // `image_fd` (which the cache duplicates, so a transfer keeps the content it started with
    // when the image is renamed over). Shared as adopt() shares: the same image content
    // (`identity`) and the same first extent. kNoFile when the file table is full or the
    // descriptor cannot be duplicated.
    [[nodiscard]] std::int32_t adopt_extents(int image_fd, const ImageIdentity& identity, std::uint64_t size,
                                             std::span<const image::Extent> extents) noexcept;
    // A file of `size` bytes (at most one chunk) that the caller writes at `bytes` before it is
    // read: a rendered per-board file. It lives in one chunk of its own, held, until its last release.
    [[nodiscard]] std::int32_t adopt_memory(std::size_t size, std::uint8_t*& bytes) noexcept;
    void release(std::int32_t file) noexcept;
    [[nodiscard]] std::uint64_t size_of(std::int32_t file) const noexcept { return files_[file].size; }

    // Makes [offset, offset+len) resident, starting reads for what is missing. Ready: the
    // worker holds every chunk of the range until settle(), so map()'s pointers stay valid
    // while the bytes are sent; otherwise it holds none of them.
    [[nodiscard]] Avail ensure(std::int32_t file, std::uint64_t offset, std::uint64_t len) noexcept;
    // Points iov (at most 2 entries) at resident bytes held by ensure(); returns the entries used.
    [[nodiscard]] int map(std::int32_t file, std::uint64_t offset, std::uint32_t len, iovec* iov) const noexcept;
    // Lets go of the chunks ensure() held (after the bytes went out, or were pinned).
    void settle() noexcept;

    // Reaps completions: reads update chunk state; each finished open calls
    // on_open(tag, fd_or_negative_errno). Returns how many reads finished, here or (counted as
    // one) on other workers for transfers parked here.
    template <typename OnOpen>
    std::uint32_t poll(OnOpen&& on_open);
    // Something parked here may go ahead without a completion to say so (a slot freed while every
    // one was held, a contended lookup): poll soon.
    [[nodiscard]] bool retry_soon() const noexcept { return retry_soon_; }

    // Submits queued requests to the kernel (one syscall for the batch).
    void flush() noexcept;

    [[nodiscard]] std::uint64_t reads_issued() const noexcept { return reads_issued_; }
    [[nodiscard]] bool buffers_registered() const noexcept { return registered_; }
    [[nodiscard]] ChunkArena& arena() const noexcept { return *arena_; }

    // Zero-copy senders (DPDK external buffers) pin the chunk a payload points into while a
    // packet references it; a pinned chunk is never evicted or reused. Pins are this worker's.
    [[nodiscard]] std::int32_t chunk_of(const void* p) const noexcept { return arena_->slot_of(p); }
    void pin(std::int32_t chunk) noexcept {
        ++pins_[static_cast<std::size_t>(chunk)];
        arena_->ref(cfg_.worker, chunk);
    }
    void unpin(std::int32_t chunk) noexcept {
        --pins_[static_cast<std::size_t>(chunk)];
        arena_->unref(cfg_.worker, chunk);
    }
    [[nodiscard]] std::uint32_t pins(std::int32_t chunk) const noexcept {
        return pins_[static_cast<std::size_t>(chunk)];
    }
    [[nodiscard]] std::size_t chunk_count() const noexcept { return arena_->slot_count(); }
    // The arena every chunk lives in (page-aligned, whole pages): what a NIC must be able to read.
    [[nodiscard]] std::uint8_t* arena_base() const noexcept { return arena_->base(); }
    [[nodiscard]] std::size_t arena_bytes() const noexcept { return arena_->bytes(); }
    // Which bytes a held pointer shows: the chunk's version (unique per read into any slot, so it
    // keys memos of the bytes) and the offset within the chunk.
    struct Where {
        std::uint64_t fill;
        std::uint32_t offset;
    };
    [[nodiscard]] Where where(const void* p, std::int32_t chunk) const noexcept {
        auto off = static_cast<std::size_t>(static_cast<const std::uint8_t*>(p) - arena_->data(chunk));
        return Where{arena_->version_of(chunk), static_cast<std::uint32_t>(off)};
    }

private:
    // Where this worker last found a chunk of a file (the slot may have been reused since: the
    // arena checks the version).
    struct Hint {
        std::int32_t slot = -1;
        std::uint64_t version = 0;
    };
    // Where a run of a file's bytes lies in its descriptor (a plain file: one part, at 0).
    struct Part {
        std::uint64_t file_offset = 0;
        std::uint64_t fd_offset = 0;
        std::uint64_t length = 0;
    };
    struct File {
        int fd = -1;
        dev_t dev = 0;
        ino_t ino = 0;
        std::uint64_t size = 0;
        std::int64_t mtime_ns = 0;
        std::uint32_t refs = 0;
        std::uint32_t generation = 0;
        std::uint64_t last_release = 0;
        std::uint64_t origin = 0;      // an image's file: its first extent's offset + 1; 0: a plain file
        bool memory = false;           // adopt_memory's: its bytes in one held chunk, no descriptor
        std::uint64_t image_size = 0;  // the descriptor's file's size (an image's, as indexed; else `size`)
        std::vector<Hint> chunks;      // chunk index in file -> where it was last found
        std::vector<Part> parts;       // an image's file: its extents; empty: a plain file
    };
    // A read this worker has in flight into a slot (by slot).
    struct Load {
        std::int32_t file = kNoFile;
        std::uint32_t generation = 0;
        std::uint64_t version = 0;
        std::uint16_t parts_left = 0;  // reads in flight into it (one per extent it crosses)
        bool failed = false;           // a read of it came back short or failed
    };
    enum class Hold : std::uint8_t { Ready, Pending, Failed, Changed };

    explicit BlockCache(std::shared_ptr<ChunkArena> arena) : arena_(std::move(arena)) {}
    [[nodiscard]] io_uring_sqe* sqe() noexcept;
    // The file entry for a new (dev, ino, mtime, size, origin), or the open one; kNoFile: full.
    [[nodiscard]] std::int32_t find_or_claim(const ImageIdentity& id, std::uint64_t origin, bool& found) noexcept;
    // Holds chunk `index` of file `file`, or starts (or waits for) its read.
    [[nodiscard]] Hold hold(std::int32_t file, std::uint32_t index) noexcept;
    // How many reads chunk `index` of `f` takes (one per extent it crosses); 0: none can.
    [[nodiscard]] unsigned reads_needed(const File& f, std::uint32_t index) const noexcept;
    // Queues the reads that fill `slot` with chunk `index` of `f` (the ring has room for them).
    void queue_chunk_reads(const File& f, std::uint32_t index, std::int32_t slot) noexcept;
    void drop_file(std::int32_t file) noexcept;
    void finish_read(std::uint32_t slot, int res, std::uint32_t expected) noexcept;
    [[nodiscard]] ChunkKey key_of(const File& f, std::uint32_t index) const noexcept {
        return ChunkKey{static_cast<std::uint64_t>(f.dev),
                        static_cast<std::uint64_t>(f.ino),
                        f.mtime_ns,
                        f.image_size,
                        f.origin,
                        index};
    }
    // An image's file: its image is still the content (mtime, size) it was adopted with.
    [[nodiscard]] static bool same_content(const File& f) noexcept;
    [[nodiscard]] std::uint32_t chunk_bytes(const File& f, std::uint32_t index) const noexcept;
    void register_arena() noexcept;
    // Reports (once) that another worker's read landed for something parked here.
    [[nodiscard]] bool woken() noexcept;

    BlockCacheConfig cfg_{};
    std::shared_ptr<ChunkArena> arena_;
    io_uring ring_{};
    bool ring_ok_ = false;
    bool registered_ = false;
    std::size_t registered_span_ = 0;  // bytes per registered buffer
    int event_fd_ = -1;
    std::vector<std::uint32_t> pins_;  // by slot: this worker's packets pointing into it
    std::vector<Load> loads_;          // by slot
    std::vector<std::int32_t> held_;   // slots ensure() holds until settle()
    std::vector<File> files_;
    std::uint64_t release_clock_ = 0;
    std::uint32_t pending_sqes_ = 0;
    std::uint64_t reads_issued_ = 0;
    std::uint64_t wakeups_seen_ = 0;
    bool retry_soon_ = false;
};

// user_data layout: top bit set for opens (tag in the rest), clear for reads (the slot in the low
// 32 bits, the bytes the read must return above them).
inline constexpr std::uint64_t kOpenBit = 1ULL << 63;

template <typename OnOpen>
std::uint32_t BlockCache::poll(OnOpen&& on_open) {
    std::uint32_t reads = woken() || retry_soon_ ? 1 : 0;
    retry_soon_ = false;
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
        std::uint64_t data = cqe->user_data;
        int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        if ((data & kOpenBit) != 0) {
            on_open(data & ~kOpenBit, res);
        } else {
            finish_read(static_cast<std::uint32_t>(data), res, static_cast<std::uint32_t>(data >> 32));
            ++reads;
        }
    }
    return reads;
}

}  // namespace rackboot::dataplane
