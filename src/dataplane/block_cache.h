// A worker's view of boot files: files opened asynchronously (io_uring openat2, confined beneath
// a boot tree's directory) and read in fixed-size chunks with io_uring into one arena, with CLOCK
// eviction under a memory budget. A chunk is read once however many transfers want it. The worker
// never blocks on disk: a transfer whose bytes are not resident is parked until the read lands.
// One per worker: nothing in it is shared between threads.
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

#include "dataplane/counters.h"
#include "dataplane/tree_handle.h"
#include "proto/result.h"

namespace rackboot::dataplane {

struct BlockCacheConfig {
    std::size_t budget_bytes = 128u << 20;
    std::uint32_t chunk_size = 64u << 10;
    std::uint32_t max_files = 4096;
    std::uint32_t ring_entries = 256;
    WorkerCounters* counters = nullptr;  // cache_reads / cache_hits, when given
};

class BlockCache {
public:
    // Changed: a disk image's file whose image was rewritten under it (bytes read now could be
    // another version's): never served mixed, the transfer is failed and the client asks again.
    enum class Avail : std::uint8_t { Ready, Pending, Failed, Changed };
    static constexpr std::int32_t kNoFile = -1;

    // Sets up the ring and the arena, or says why it could not.
    [[nodiscard]] static proto::Result<std::unique_ptr<BlockCache>> create(const BlockCacheConfig& cfg);
    ~BlockCache();
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // An eventfd that becomes readable when completions are waiting (for epoll).
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
    // read: a rendered per-board file. It lives in one chunk, pinned, until its last release.
    [[nodiscard]] std::int32_t adopt_memory(std::size_t size, std::uint8_t*& bytes) noexcept;
    void release(std::int32_t file) noexcept;
    [[nodiscard]] std::uint64_t size_of(std::int32_t file) const noexcept { return files_[file].size; }

    // Makes [offset, offset+len) resident, starting reads for what is missing.
    [[nodiscard]] Avail ensure(std::int32_t file, std::uint64_t offset, std::uint64_t len) noexcept;
    // Points iov (at most 2 entries) at resident bytes; returns the number of entries used.
    [[nodiscard]] int map(std::int32_t file, std::uint64_t offset, std::uint32_t len, iovec* iov) const noexcept;

    // Reaps completions: reads update chunk state; each finished open calls
    // on_open(tag, fd_or_negative_errno). Returns how many reads finished.
    template <typename OnOpen>
    std::uint32_t poll(OnOpen&& on_open);

    // Submits queued requests to the kernel (one syscall for the batch).
    void flush() noexcept;

    [[nodiscard]] std::uint64_t reads_issued() const noexcept { return reads_issued_; }

    // Zero-copy senders (DPDK external buffers) pin the chunk a payload points into while a
    // packet references it; a pinned chunk is never evicted or reused.
    [[nodiscard]] std::int32_t chunk_of(const void* p) const noexcept {
        auto* b = static_cast<const std::uint8_t*>(p);
        if (b < arena_ || b >= arena_ + arena_bytes_) return -1;
        return static_cast<std::int32_t>(static_cast<std::size_t>(b - arena_) / cfg_.chunk_size);
    }
    void pin(std::int32_t chunk) noexcept { ++pins_[static_cast<std::size_t>(chunk)]; }
    void unpin(std::int32_t chunk) noexcept { --pins_[static_cast<std::size_t>(chunk)]; }
    [[nodiscard]] std::uint32_t pins(std::int32_t chunk) const noexcept {
        return pins_[static_cast<std::size_t>(chunk)];
    }
    [[nodiscard]] std::size_t chunk_count() const noexcept { return chunks_.size(); }
    // The arena every chunk lives in (page-aligned, whole pages): what a NIC must be able to read.
    [[nodiscard]] std::uint8_t* arena() const noexcept { return arena_; }
    [[nodiscard]] std::size_t arena_bytes() const noexcept { return arena_bytes_; }
    // Which bytes a resident pointer shows: the chunk's fill (never reused by later reads into the
    // slot, so it keys memos of the bytes) and the offset within the chunk.
    struct Where {
        std::uint64_t fill;
        std::uint32_t offset;
    };
    [[nodiscard]] Where where(const void* p, std::int32_t chunk) const noexcept {
        auto off = static_cast<std::size_t>(static_cast<const std::uint8_t*>(p) - arena_) -
                   static_cast<std::size_t>(chunk) * cfg_.chunk_size;
        return Where{chunks_[static_cast<std::size_t>(chunk)].fill, static_cast<std::uint32_t>(off)};
    }

private:
    enum class ChunkState : std::uint8_t { Empty, Loading, Ready, Failed };
    struct Chunk {
        std::int32_t file = kNoFile;
        std::uint32_t generation = 0;
        std::uint32_t index = 0;
        ChunkState state = ChunkState::Empty;
        bool referenced = false;
        bool part_failed = false;      // a read of it came back short or failed
        bool changed = false;          // Failed because its image changed under the read
        std::uint16_t parts_left = 0;  // reads in flight into it (one per extent it crosses)
        std::uint64_t fill = 0;        // unique per read into the slot: names these bytes for memos
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
        std::uint64_t origin = 0;          // an image's file: its first extent's offset + 1; 0: a plain file
        bool memory = false;               // adopt_memory's: its bytes in one pinned chunk, no descriptor
        std::uint64_t image_size = 0;      // the descriptor's file's size (an image's, as indexed; else `size`)
        std::vector<std::int32_t> chunks;  // chunk index in file -> slot, or -1
        std::vector<Part> parts;           // an image's file: its extents; empty: a plain file
    };

    BlockCache() = default;
    [[nodiscard]] io_uring_sqe* sqe() noexcept;
    [[nodiscard]] std::int32_t take_slot() noexcept;
    // The file entry for a new (dev, ino, mtime, size, origin), or the open one; kNoFile: full.
    [[nodiscard]] std::int32_t find_or_claim(const ImageIdentity& id, std::uint64_t origin, bool& found) noexcept;
    // Queues the reads that fill `slot` with chunk `index` of `f`; false: no room in the ring.
    [[nodiscard]] bool queue_chunk_reads(const File& f, std::uint32_t index, std::int32_t slot) noexcept;
    void detach(std::int32_t slot) noexcept;
    void drop_file(std::int32_t file) noexcept;
    void finish_read(std::uint32_t slot, int res, std::uint32_t expected) noexcept;
    // An image's file: its image is still the content (mtime, size) it was adopted with.
    [[nodiscard]] static bool same_content(const File& f) noexcept;
    [[nodiscard]] std::uint32_t chunk_bytes(const File& f, std::uint32_t index) const noexcept;
    [[nodiscard]] std::uint8_t* chunk_data(std::int32_t slot) const noexcept {
        return arena_ + static_cast<std::size_t>(slot) * cfg_.chunk_size;
    }

    BlockCacheConfig cfg_{};
    io_uring ring_{};
    bool ring_ok_ = false;
    int event_fd_ = -1;
    std::uint8_t* arena_ = nullptr;
    std::size_t arena_bytes_ = 0;
    std::vector<Chunk> chunks_;
    std::vector<std::uint32_t> pins_;  // by chunk slot; apart from Chunk so resets keep them
    std::uint32_t hand_ = 0;
    std::vector<File> files_;
    std::uint64_t release_clock_ = 0;
    std::uint32_t pending_sqes_ = 0;
    std::uint64_t reads_issued_ = 0;
    std::uint64_t fills_ = 0;
};

// user_data layout: top bit set for opens (tag in the rest), clear for reads (the slot in the low
// 32 bits, the bytes the read must return above them).
inline constexpr std::uint64_t kOpenBit = 1ULL << 63;

template <typename OnOpen>
std::uint32_t BlockCache::poll(OnOpen&& on_open) {
    std::uint32_t reads = 0;
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
