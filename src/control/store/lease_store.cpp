#include "control/store/lease_store.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sqlite3.h>

#include "control/store/sqlite_exec.h"

namespace rackboot::control {

namespace {}  // namespace

proto::Result<> LeaseStore::check_access(const std::string& dir) {
    auto refuse = [&](const std::string& what, int why) {
        return proto::failure("--state: the daemon's user (uid " + std::to_string(geteuid()) + ") cannot " + what +
                              ": " + std::strerror(why));
    };
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) return refuse("reach '" + dir + "'", errno);
        std::size_t slash = dir.find_last_of('/');
        std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
        if (faccessat(AT_FDCWD, parent.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
            return refuse("create '" + dir + "' in '" + parent + "'", errno);
        }
        return {};
    }
    if (!S_ISDIR(st.st_mode)) return proto::failure("--state: '" + dir + "' is not a directory");
    if (faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) return refuse("write in '" + dir + "'", errno);
    for (const char* f : {"/leases.sqlite", "/leases.sqlite-wal", "/leases.sqlite-shm"}) {
        std::string path = dir + f;
        if (faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK, AT_EACCESS) != 0 && errno != ENOENT) {
            return refuse("read and write '" + path + "'", errno);
        }
    }
    return {};
}

proto::Result<std::unique_ptr<LeaseStore>> LeaseStore::open(const std::string& dir, bool durable) {
    if (proto::Result<> ok = check_access(dir); !ok) return tl::unexpected(ok.error());
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
        return proto::failure("--state: cannot create '" + dir + "': " + std::strerror(errno));
    }
    std::unique_ptr<LeaseStore> s(new LeaseStore());
    s->path_ = dir + "/leases.sqlite";
    if (sqlite3_open_v2(s->path_.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        return proto::failure("--state: cannot open '" + s->path_ +
                              "': " + (s->db_ != nullptr ? sqlite3_errmsg(s->db_) : "out of memory"));
    }
    // Keep the WAL small (SQLite's default lets it reach 4 MB before a checkpoint): a small
    // --state volume must not fill up with log a checkpoint would have reclaimed.
    static constexpr const char* kCreate =
        "CREATE TABLE IF NOT EXISTS leases ("
        " ip INTEGER PRIMARY KEY, mac INTEGER NOT NULL, state INTEGER NOT NULL,"
        " expires INTEGER NOT NULL, serial INTEGER NOT NULL, has_serial INTEGER NOT NULL)";
    for (const char* sql : {"PRAGMA journal_mode=WAL", durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF",
                            "PRAGMA wal_autocheckpoint=128", "PRAGMA journal_size_limit=1048576", kCreate}) {
        if (proto::Result<> ok = sqlite_exec(s->db_, sql); !ok) {
            return proto::failure("--state: '" + s->path_ + "': " + ok.error().reason);
        }
    }
    if (sqlite3_prepare_v2(s->db_, "INSERT OR REPLACE INTO leases VALUES (?,?,?,?,?,?)", -1, &s->upsert_, nullptr) !=
        SQLITE_OK) {
        return proto::failure("--state: '" + s->path_ + "': " + sqlite3_errmsg(s->db_));
    }
    return s;
}

LeaseStore::~LeaseStore() {
    stop();
    if (upsert_ != nullptr) sqlite3_finalize(upsert_);
    if (db_ != nullptr) sqlite3_close(db_);
}

namespace {

proto::Result<std::vector<proto::Lease>> read_leases(sqlite3* db) {
    std::vector<proto::Lease> out;
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT ip, mac, state, expires, serial, has_serial FROM leases", -1, &q, nullptr) !=
        SQLITE_OK) {
        return proto::failure(sqlite3_errmsg(db));
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        proto::Lease l;
        l.ip = proto::Ipv4(static_cast<std::uint32_t>(sqlite3_column_int64(q, 0)));
        l.mac = proto::Mac::from_key(static_cast<std::uint64_t>(sqlite3_column_int64(q, 1)));
        int state = sqlite3_column_int(q, 2);
        if (state < 0 || state > static_cast<int>(proto::LeaseState::Declined)) continue;  // not ours: skip
        l.state = static_cast<proto::LeaseState>(state);
        l.expires = sqlite3_column_int64(q, 3);
        if (sqlite3_column_int(q, 5) != 0)
            l.serial = proto::Serial(static_cast<std::uint32_t>(sqlite3_column_int64(q, 4)));
        out.push_back(l);
    }
    std::string error = rc != SQLITE_DONE ? sqlite3_errmsg(db) : "";
    sqlite3_finalize(q);
    if (!error.empty()) return proto::failure(error);
    return out;
}

}  // namespace

proto::Result<std::vector<proto::Lease>> LeaseStore::load() {
    return read_leases(db_);
}

proto::Result<std::vector<proto::Lease>> LeaseStore::read_durable() const {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        std::string why = db != nullptr ? sqlite3_errmsg(db) : "cannot open the lease store";
        sqlite3_close(db);
        return proto::failure(why);
    }
    sqlite3_busy_timeout(db, 1000);
    proto::Result<std::vector<proto::Lease>> out = read_leases(db);
    sqlite3_close(db);
    return out;
}

void LeaseStore::start(dataplane::LeaseJournal& journal) {
    stop_.store(false);
    thread_ = std::thread([this, &journal] { run(journal); });
}

void LeaseStore::stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

proto::Result<> LeaseStore::commit_batch() {
    if (proto::Result<> begun = sqlite_exec(db_, "BEGIN"); !begun) return begun;
    std::string error;
    for (const dataplane::LeaseChange& c : batch_) {
        sqlite3_reset(upsert_);
        sqlite3_bind_int64(upsert_, 1, c.lease.ip.value());
        sqlite3_bind_int64(upsert_, 2, static_cast<sqlite3_int64>(c.lease.mac.key()));
        sqlite3_bind_int(upsert_, 3, static_cast<int>(c.lease.state));
        sqlite3_bind_int64(upsert_, 4, c.lease.expires);
        sqlite3_bind_int64(upsert_, 5, c.lease.serial.value_or(proto::Serial()).value());
        sqlite3_bind_int(upsert_, 6, c.lease.serial ? 1 : 0);
        if (sqlite3_step(upsert_) != SQLITE_DONE) {
            error = std::string("write: ") + sqlite3_errmsg(db_);
            break;
        }
    }
    sqlite3_reset(upsert_);
    // One commit (one fsync with synchronous=FULL) for the whole batch: group commit.
    if (error.empty()) {
        proto::Result<> committed = sqlite_exec(db_, "COMMIT");
        if (committed) return {};
        error = committed.error().reason;
    }
    // SQLite may already have rolled back (SQLITE_FULL does); otherwise undo the half batch.
    if (sqlite3_get_autocommit(db_) == 0) (void)sqlite_exec(db_, "ROLLBACK");
    // The log may hold pages a checkpoint can fold into the database and give back.
    (void)sqlite_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)");
    return proto::failure(error);
}

void LeaseStore::run(dataplane::LeaseJournal& journal) {
    pollfd p{journal.store_fd(), POLLIN, 0};
    int backoff_ms = 0;  // 0: up
    for (;;) {
        bool stopping = stop_.load();
        journal.drain_store_fd();
        dataplane::LeaseChange c;
        while (journal.pop(c)) batch_.push_back(c);
        if (!batch_.empty()) {
            proto::Result<> committed = commit_batch();
            if (committed) {
                // Replies wait on this, so only a committed batch is ever published.
                journal.publish(batch_.back().seq);
                batch_.clear();
                if (backoff_ms != 0) {
                    journal.set_store_up(true);
                    std::fprintf(stderr, "event=lease_store state=up\n");
                    backoff_ms = 0;
                }
            } else {
                if (backoff_ms == 0) {
                    journal.set_store_up(false);
                    std::fprintf(stderr,
                                 "event=lease_store state=down pending=%zu what=\"%s\" "
                                 "(DHCP refuses new leases until a retry commits)\n",
                                 batch_.size(), committed.error().reason.c_str());
                }
                backoff_ms = backoff_ms == 0 ? kMinBackoffMs : std::min(backoff_ms * 2, kMaxBackoffMs);
            }
        }
        if (stopping) return;
        // Down: sleep the back-off (a push cannot hurry a retry). Up: wait for the worker.
        if (backoff_ms != 0) {
            poll(nullptr, 0, backoff_ms);
        } else {
            poll(&p, 1, 100);
        }
    }
}

}  // namespace rackboot::control
