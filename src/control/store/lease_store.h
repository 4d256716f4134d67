// Leases on disk: an SQLite database (WAL, synchronous=FULL by default) under --state DIR. A
// thread takes lease changes from the DHCP worker's journal, writes each batch in one
// transaction and publishes how far it is durable; the worker then sends the replies that
// waited on it. Survives kill -9: whatever a client was told is in the database.
//
// A batch that cannot be committed (disk full, I/O error) is kept, not dropped: the store marks
// itself down in the journal (the worker then takes no new lease change and refuses DISCOVERs
// as `store_unavailable`), retries the same batch with back-off from 50 ms to 1 s, and comes
// back up by itself once a retry commits. It never stops the daemon: TFTP and proxy service
// go on, and DHCP resumes within a second of the disk having room again.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/lease_journal.h"
#include "proto/dhcp_leases.h"
#include "proto/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rackboot::control {

class LeaseStore {
public:
    // Whether the daemon's user could open the store in DIR: DIR (or, when missing, its parent,
    // where it would be made) writable and enterable, the database files there read-write.
    [[nodiscard]] static proto::Result<> check_access(const std::string& dir);
    // Opens (creating if needed) DIR/leases.sqlite. `durable`: fsync every commit.
    [[nodiscard]] static proto::Result<std::unique_ptr<LeaseStore>> open(const std::string& dir, bool durable);
    ~LeaseStore();
    LeaseStore(const LeaseStore&) = delete;
    LeaseStore& operator=(const LeaseStore&) = delete;

    // Every stored record (call before start()).
    [[nodiscard]] proto::Result<std::vector<proto::Lease>> load();

    // Every durable record, read over a connection of its own (any thread, while running).
    [[nodiscard]] proto::Result<std::vector<proto::Lease>> read_durable() const;

    void start(dataplane::LeaseJournal& journal);
    void stop();

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    LeaseStore() = default;
    void run(dataplane::LeaseJournal& journal);
    // Commits batch_ in one transaction; on failure the batch is kept and the transaction rolled back.
    [[nodiscard]] proto::Result<> commit_batch();

    static constexpr int kMinBackoffMs = 50;
    static constexpr int kMaxBackoffMs = 1000;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* upsert_ = nullptr;
    std::string path_;
    std::vector<dataplane::LeaseChange> batch_;  // taken off the journal, not yet durable
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

}  // namespace rackboot::control
