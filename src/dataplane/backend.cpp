#include "dataplane/backend.h"

#include <algorithm>

namespace rackboot::dataplane {

TftpServiceConfig tftp_service_config(const BackendCommon& common, std::uint32_t worker,
                                      std::atomic<std::int64_t>& active, std::uint32_t table_room) {
    TftpServiceConfig c;
    c.id = static_cast<std::uint16_t>(worker);
    c.limits = common.limits;
    c.max_transfers = std::min(common.max_transfers, table_room);
    c.global_active = &active;
    c.global_cap = common.max_transfers;
    c.max_per_client = common.max_transfers_per_client;
    c.maps = common.maps;
    c.cache.budget_bytes = common.cache_bytes;
    c.cache.worker = worker;
    c.cache.max_files = common.cache_files;
    c.admission = common.admission;
    c.path = common.path;
    return c;
}

proto::Result<std::shared_ptr<ChunkArena>> shared_chunk_arena(const BackendCommon& common, bool huge_pages) {
    return ChunkArena::create(
        ChunkArenaConfig{common.cache_bytes, 64u << 10, std::max<std::uint32_t>(1, common.workers), huge_pages});
}

}  // namespace rackboot::dataplane
