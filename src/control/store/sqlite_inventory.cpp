// The SQLite inventory. Labels and MACs are kept as text in the board's row (their values cannot
// hold the separators, inventory.cpp), and MACs again in board_macs, whose primary key makes a MAC
// belong to one board. The schema version is PRAGMA user_version; each migration runs in the
// transaction that sets it.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include <sqlite3.h>

#include "control/store/inventory_store.h"
#include "control/store/sqlite_exec.h"

namespace rackboot::control {

namespace {

// Migration N (1-based) brings user_version N-1 to N.
constexpr const char* kMigrations[] = {
    ("CREATE TABLE images (name TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL,"
     " generation INTEGER NOT NULL);"
     "CREATE TABLE boards (serial INTEGER PRIMARY KEY, serial_full TEXT NOT NULL, name TEXT NOT NULL,"
     " labels TEXT NOT NULL, macs TEXT NOT NULL, model TEXT NOT NULL, image TEXT NOT NULL, ip INTEGER,"
     " netboot INTEGER NOT NULL, state TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
     " last_boot TEXT NOT NULL, generation INTEGER NOT NULL);"
     "CREATE INDEX boards_image ON boards(image);"
     "CREATE UNIQUE INDEX boards_ip ON boards(ip) WHERE ip IS NOT NULL;"
     "CREATE TABLE board_macs (mac TEXT PRIMARY KEY, serial INTEGER NOT NULL);"),
    // 2: learnt MACs apart from configured ones, and the lock. MACs learnt before this version
    // were written into `macs` and stay there as configured.
    ("ALTER TABLE boards ADD COLUMN learn INTEGER NOT NULL DEFAULT 1;"
     "ALTER TABLE boards ADD COLUMN learnt TEXT NOT NULL DEFAULT '';"),
    // 3: an img image's partition (NULL: the first FAT one); images' and boards' own files
    // (templates: join_files).
    ("ALTER TABLE images ADD COLUMN partition INTEGER;"
     "ALTER TABLE images ADD COLUMN files TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE boards ADD COLUMN files TEXT NOT NULL DEFAULT '';"),
    // 4: boards' own roots, in a table of their own so that writing a board never touches one.
    ("CREATE TABLE roots (serial INTEGER PRIMARY KEY, root_kind TEXT NOT NULL, root_path TEXT NOT NULL,"
     " root_image TEXT NOT NULL, root_size INTEGER NOT NULL, root_created INTEGER NOT NULL,"
     " root_method TEXT NOT NULL, root_export_id INTEGER NOT NULL DEFAULT 0);"
     "CREATE UNIQUE INDEX roots_export_id ON roots(root_export_id) WHERE root_export_id > 0;"),
};
static_assert(std::size(kMigrations) == kInventorySchemaVersion);

std::string join_labels(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += k;
        out += '=';
        out += v;
        out += '\n';
    }
    return out;
}

std::map<std::string, std::string> split_labels(const std::string& text) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(start, nl - start);
        std::size_t eq = line.find('=');
        if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
        start = nl + 1;
    }
    return out;
}

std::string join_macs(const std::vector<Mac>& macs) {
    std::string out;
    for (const Mac& m : macs) out += (out.empty() ? "" : ",") + m.to_string();
    return out;
}

std::vector<Mac> split_macs(const std::string& text) {
    std::vector<Mac> out;
    for (std::size_t i = 0; i + 17 <= text.size(); i += 18) {
        Mac m{};
        unsigned v[6];
        if (std::sscanf(text.c_str() + i, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
            for (int k = 0; k < 6; ++k) m[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(v[k]);
            out.push_back(m);
        }
    }
    return out;
}

// Learnt MACs, one a line: "aa:bb:cc:dd:ee:ff first last from" (`from` is ours, without newlines).
std::string join_learnt(const std::vector<LearntMac>& learnt) {
    std::string out;
    for (const LearntMac& l : learnt) {
        out += l.mac.to_string() + ' ' + std::to_string(l.first_seen) + ' ' + std::to_string(l.last_seen) + ' ';
        for (char c : l.from) out += c == '\n' ? ' ' : c;
        out += '\n';
    }
    return out;
}

std::vector<LearntMac> split_learnt(const std::string& text) {
    std::vector<LearntMac> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(start, nl - start);
        start = nl + 1;
        std::vector<Mac> mac = split_macs(line.substr(0, 17));
        long long first = 0;
        long long last = 0;
        int used = 0;
        if (mac.size() != 1 || line.size() < 18 ||
            std::sscanf(line.c_str() + 18, "%lld %lld %n", &first, &last, &used) != 2) {
            continue;
        }
        out.push_back(LearntMac{mac[0], first, last, line.substr(18 + static_cast<std::size_t>(used))});
    }
    return out;
}

// Files (path -> template), each as "LEN:PATH LEN:TEXT\n" (lengths in bytes: a template may hold
// anything, newlines included).
std::string join_files(const std::map<std::string, std::string>& files) {
    std::string out;
    for (const auto& [path, text] : files) {
        out.append(std::to_string(path.size())).append(":").append(path).append(" ");
        out.append(std::to_string(text.size())).append(":").append(text).append("\n");
    }
    return out;
}

std::map<std::string, std::string> split_files(const std::string& text) {
    std::map<std::string, std::string> out;
    std::size_t at = 0;
    auto field = [&](std::string& value) {
        std::size_t colon = text.find(':', at);
        if (colon == std::string::npos) return false;
        std::size_t len = 0;
        for (std::size_t i = at; i < colon; ++i) {
            if (text[i] < '0' || text[i] > '9' || len > text.size()) return false;
            len = len * 10 + static_cast<std::size_t>(text[i] - '0');
        }
        if (colon + 1 + len + 1 > text.size()) return false;
        value = text.substr(colon + 1, len);
        at = colon + 1 + len + 1;  // and its separator
        return true;
    };
    while (at < text.size()) {
        std::string path;
        std::string body;
        if (!field(path) || !field(body)) break;  // a damaged row keeps what read whole
        out[path] = body;
    }
    return out;
}

// Prepared statements kept for the connection's life (a bulk import runs the same few statements
// 100,000 times): taken by a Stmt, reset and handed back when it goes out of scope. A statement
// already in use (a nested call) is prepared afresh for that use.
class StmtCache {
public:
    explicit StmtCache(sqlite3*& db) : db_(db) {}
    ~StmtCache() { clear(); }
    StmtCache(const StmtCache&) = delete;
    StmtCache& operator=(const StmtCache&) = delete;
    void clear() {
        for (auto& [sql, e] : cache_) sqlite3_finalize(e.stmt);
        cache_.clear();
    }
    sqlite3_stmt* take(const char* sql, bool& cached) {
        auto it = cache_.find(sql);
        if (it != cache_.end() && !it->second.busy) {
            it->second.busy = true;
            cached = true;
            return it->second.stmt;
        }
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) return nullptr;
        cached = it == cache_.end();
        if (cached) cache_.emplace(sql, Entry{st, true});
        return st;
    }
    void give(sqlite3_stmt* st, bool cached) {
        if (!cached) {
            sqlite3_finalize(st);
            return;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        for (auto& [sql, e] : cache_) {
            if (e.stmt == st) e.busy = false;
        }
    }
    [[nodiscard]] sqlite3* db() const { return db_; }

private:
    struct Entry {
        sqlite3_stmt* stmt;
        bool busy;
    };
    sqlite3*& db_;
    std::map<std::string, Entry> cache_;
};

// A statement for one call, from the cache; handed back on scope exit.
class Stmt {
public:
    Stmt(StmtCache& cache, const char* sql) : cache_(cache), db_(cache.db()) { s_ = cache.take(sql, cached_); }
    ~Stmt() {
        if (s_ != nullptr) cache_.give(s_, cached_);
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    [[nodiscard]] bool ok() const { return s_ != nullptr; }
    Stmt& text(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& i64(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Stmt& null(int i) {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    int step() { return sqlite3_step(s_); }
    [[nodiscard]] std::string col_text(int i) const {
        const unsigned char* t = sqlite3_column_text(s_, i);
        return t != nullptr ? reinterpret_cast<const char*>(t) : "";
    }
    [[nodiscard]] std::int64_t col_i64(int i) const { return sqlite3_column_int64(s_, i); }
    [[nodiscard]] bool col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    [[nodiscard]] const char* error() const { return sqlite3_errmsg(db_); }

private:
    StmtCache& cache_;
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
    bool cached_ = false;
};

constexpr const char* kBoardColumns =
    "serial, serial_full, name, labels, macs, model, image, ip, netboot, state, first_seen, last_seen, last_boot, "
    "generation, learn, learnt, files, root_kind, root_path, root_image, root_size, root_created, root_method, "
    "root_export_id";
// Boards with their roots: `serial` stays the boards' column (USING merges the two).
constexpr const char* kBoardsJoined = " FROM boards LEFT JOIN roots USING (serial)";

// An image's row (name, kind, path, generation, partition, files); a kind this build does not
// know reads as "dir".
Image image_row(const Stmt& q) {
    Image i{q.col_text(0), parse_image_kind(q.col_text(1)).value_or(ImageKind::dir), q.col_text(2),
            static_cast<std::uint64_t>(q.col_i64(3))};
    if (!q.col_null(4)) i.partition = static_cast<unsigned>(q.col_i64(4));
    i.files = split_files(q.col_text(5));
    return i;
}

Board read_board(const Stmt& q) {
    Board b;
    b.serial = proto::Serial(static_cast<std::uint32_t>(q.col_i64(0)));
    b.serial_full = q.col_text(1);
    b.name = q.col_text(2);
    b.labels = split_labels(q.col_text(3));
    b.macs = split_macs(q.col_text(4));
    b.model = q.col_text(5);
    b.image = q.col_text(6);
    if (!q.col_null(7)) b.ip = proto::Ipv4(static_cast<std::uint32_t>(q.col_i64(7)));
    b.netboot = q.col_i64(8) != 0;
    b.state = parse_board_state(q.col_text(9)).value_or(BoardState::configured);
    b.first_seen = q.col_i64(10);
    b.last_seen = q.col_i64(11);
    b.last_boot = q.col_text(12);
    b.generation = static_cast<std::uint64_t>(q.col_i64(13));
    b.learn = q.col_i64(14) != 0;
    b.learnt_macs = split_learnt(q.col_text(15));
    b.files = split_files(q.col_text(16));
    if (!q.col_null(17)) {
        b.root = BoardRoot{parse_root_kind(q.col_text(17)).value_or(RootKind::nbd),
                           q.col_text(18),
                           q.col_text(19),
                           static_cast<std::uint64_t>(q.col_i64(20)),
                           q.col_i64(21),
                           q.col_text(22),
                           static_cast<std::uint16_t>(q.col_i64(23))};
    }
    return b;
}

class SqliteInventory final : public InventoryStore {
public:
    ~SqliteInventory() override {
        stmts_.clear();
        if (db_ != nullptr) sqlite3_close(db_);
    }

    proto::Result<> open(const std::string& path, bool read_only) {
        int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        if (sqlite3_open_v2(path.c_str(), &db_, mode | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            return proto::failure("cannot open '" + path +
                                  "': " + (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
        }
        sqlite3_busy_timeout(db_, 2000);
        // Before anything is written: a file that is not SQLite, a database of a newer rackbootd,
        // or one that is not an inventory at all is refused as it is.
        if (proto::Result<> ok = recognise(path); !ok || read_only) return ok;
        for (const char* sql :
             {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA wal_autocheckpoint=128"}) {
            if (proto::Result<> ok = sqlite_exec(db_, sql); !ok) return ok;
        }
        return migrate(path);
    }

    Outcome create_image(Image& image) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Image existing;
        if (get_image(image.name, existing).ok()) {
            return Outcome::fail(ApiError::conflict, "image '" + image.name + "' exists already", "name");
        }
        image.generation = 1;
        Stmt q(stmts_, "INSERT INTO images (name, kind, path, generation, partition, files) VALUES (?,?,?,?,?,?)");
        q.text(1, image.name).text(2, std::string(to_string(image.kind))).text(3, image.path).i64(4, 1);
        if (image.partition) {
            q.i64(5, *image.partition);
        } else {
            q.null(5);
        }
        q.text(6, join_files(image.files));
        if (q.step() != SQLITE_DONE) return store_error();
        return tx.commit();
    }

    Outcome get_image(const std::string& name, Image& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Stmt q(stmts_, "SELECT name, kind, path, generation, partition, files FROM images WHERE name = ?");
        q.text(1, name);
        if (q.step() != SQLITE_ROW) return Outcome::fail(ApiError::not_found, "no image '" + name + "'");
        out = image_row(q);
        return {};
    }

    Outcome list_images(std::vector<Image>& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Stmt q(stmts_, "SELECT name, kind, path, generation, partition, files FROM images ORDER BY name");
        int rc = 0;
        while ((rc = q.step()) == SQLITE_ROW) {
            out.push_back(image_row(q));
        }
        return rc == SQLITE_DONE ? Outcome{} : store_error();
    }

    Outcome boards_using(const std::string& image, std::size_t& count) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Stmt q(stmts_, "SELECT COUNT(*) FROM boards WHERE image = ?");
        q.text(1, image);
        if (q.step() != SQLITE_ROW) return store_error();
        count = static_cast<std::size_t>(q.col_i64(0));
        return {};
    }

    Outcome set_image_files(const std::string& name, const std::map<std::string, std::string>& files,
                            std::optional<std::uint64_t> if_match, Image& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        if (Outcome o = get_image(name, out); !o.ok()) return o;
        if (if_match && *if_match != out.generation) return stale(out.generation);
        out.files = files;
        out.generation += 1;
        Stmt q(stmts_, "UPDATE images SET files = ?, generation = ? WHERE name = ?");
        q.text(1, join_files(files)).i64(2, static_cast<std::int64_t>(out.generation)).text(3, name);
        if (q.step() != SQLITE_DONE) return store_error();
        return tx.commit();
    }

    Outcome delete_image(const std::string& name, std::optional<std::uint64_t> if_match) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Image old;
        if (Outcome o = get_image(name, old); !o.ok()) return o;
        if (if_match && *if_match != old.generation) return stale(old.generation);
        std::size_t users = 0;
        if (Outcome o = boards_using(name, users); !o.ok()) return o;
        if (users > 0) {
            return Outcome::fail(ApiError::conflict,
                                 "image '" + name + "' is used by " + std::to_string(users) + " board(s)");
        }
        Stmt q(stmts_, "DELETE FROM images WHERE name = ?");
        q.text(1, name);
        if (q.step() != SQLITE_DONE) return store_error();
        return tx.commit();
    }

    Outcome create_board(Board& board) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board existing;
        if (get_board(board.serial, existing).ok()) {
            return Outcome::fail(ApiError::conflict, "board " + board.serial.to_string() + " exists already", "serial");
        }
        board.generation = 1;
        board.root.reset();
        if (Outcome o = write_board(board, false); !o.ok()) return o;
        return tx.commit();
    }

    Outcome replace_board(Board& board, std::optional<std::uint64_t> if_match) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board old;
        if (Outcome o = get_board(board.serial, old); !o.ok()) return o;
        if (if_match && *if_match != old.generation) return stale(old.generation);
        board.generation = old.generation + 1;
        keep_observations(old, board);
        if (Outcome o = write_board(board, true); !o.ok()) return o;
        return tx.commit();
    }

    Outcome get_board(proto::Serial serial, Board& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        std::string sql = std::string("SELECT ") + kBoardColumns + kBoardsJoined + " WHERE serial = ?";
        Stmt q(stmts_, sql.c_str());
        q.i64(1, serial.value());
        if (q.step() != SQLITE_ROW)
            return Outcome::fail(ApiError::not_found, "no board " + proto::Serial(serial).to_string());
        out = read_board(q);
        return {};
    }

    Outcome put_boards(std::vector<Board>& boards, std::size_t& failed) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        for (std::size_t i = 0; i < boards.size(); ++i) {
            Board& b = boards[i];
            Board old;
            bool exists = get_board(b.serial, old).ok();
            b.generation = exists ? old.generation + 1 : 1;
            if (exists) keep_observations(old, b);
            if (!exists) b.root.reset();
            if (Outcome o = write_board(b, exists); !o.ok()) {
                failed = i;
                return o;  // the transaction rolls back: nothing of the batch stays
            }
        }
        return tx.commit();
    }

    Outcome observe_board(proto::Serial serial, const Observation& o, bool* learnt) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        if (learnt != nullptr) *learnt = false;
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board b;
        if (Outcome out = get_board(serial, b); !out.ok()) return out;
        if (o.learnt_mac && b.learn && b.macs.empty()) {
            record_learnt(b, *o.learnt_mac);
            if (learnt != nullptr) *learnt = true;
        }
        if (!o.model.empty() && b.model.empty()) b.model = o.model;
        if (o.seen != 0) {
            if (b.first_seen == 0) b.first_seen = o.seen;
            b.last_seen = o.seen;
        }
        if (o.last_boot) b.last_boot = *o.last_boot;
        if (Outcome out = write_board(b, true); !out.ok()) return out;
        return tx.commit();
    }

    Outcome delete_board(proto::Serial serial, std::optional<std::uint64_t> if_match) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board old;
        if (Outcome o = get_board(serial, old); !o.ok()) return o;
        if (if_match && *if_match != old.generation) return stale(old.generation);
        if (old.root) {
            return Outcome::fail(ApiError::conflict, "board " + serial.to_string() + " has a root (" + old.root->path +
                                                         "): remove it first (DELETE /api/v1/boards/" +
                                                         serial.to_string() + "/root)");
        }
        Stmt a(stmts_, "DELETE FROM boards WHERE serial = ?");
        Stmt b(stmts_, "DELETE FROM board_macs WHERE serial = ?");
        a.i64(1, serial.value());
        b.i64(1, serial.value());
        if (a.step() != SQLITE_DONE || b.step() != SQLITE_DONE) return store_error();
        return tx.commit();
    }

    Outcome set_root(proto::Serial serial, const BoardRoot& root) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board b;
        if (Outcome o = get_board(serial, b); !o.ok()) return o;
        if (b.root)
            return Outcome::fail(ApiError::conflict, "board " + serial.to_string() + " has a root: " + b.root->path);
        Stmt q(stmts_, "INSERT INTO roots VALUES (?,?,?,?,?,?,?,?)");
        q.i64(1, serial.value())
            .text(2, std::string(to_string(root.kind)))
            .text(3, root.path)
            .text(4, root.image)
            .i64(5, static_cast<std::int64_t>(root.size))
            .i64(6, root.created)
            .text(7, root.method)
            .i64(8, root.export_id);
        if (int rc = q.step(); rc != SQLITE_DONE) {
            if (rc == SQLITE_CONSTRAINT) {
                return Outcome::fail(ApiError::conflict, "NFS export id " + std::to_string(root.export_id) +
                                                             " was taken at the same time: try again");
            }
            return store_error();
        }
        return tx.commit();
    }

    Outcome clear_root(proto::Serial serial, BoardRoot& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        Tx tx(*this);
        if (!tx.ok()) return store_error();
        Board b;
        if (Outcome o = get_board(serial, b); !o.ok()) return o;
        if (!b.root) return Outcome::fail(ApiError::not_found, "board " + serial.to_string() + " has no root");
        out = *b.root;
        Stmt q(stmts_, "DELETE FROM roots WHERE serial = ?");
        q.i64(1, serial.value());
        if (q.step() != SQLITE_DONE) return store_error();
        return tx.commit();
    }

    Outcome list_boards(const BoardFilter& f, std::optional<proto::Serial> after, std::size_t limit,
                        std::vector<Board>& out) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        std::string sql =
            std::string("SELECT ") + kBoardColumns + kBoardsJoined + where(f) + " ORDER BY serial LIMIT ?5";
        Stmt q(stmts_, sql.c_str());
        if (!q.ok()) return store_error();
        bind(q, f, after);
        q.i64(5, static_cast<std::int64_t>(limit));
        int rc = 0;
        while ((rc = q.step()) == SQLITE_ROW) out.push_back(read_board(q));
        return rc == SQLITE_DONE ? Outcome{} : store_error();
    }

    Outcome count_boards(const BoardFilter& f, std::size_t& count) override {
        std::lock_guard lock(mutex_);  // one connection, for the API and control threads (re-entered)
        std::string sql = "SELECT COUNT(*) FROM boards" + where(f);
        Stmt q(stmts_, sql.c_str());
        if (!q.ok()) return store_error();
        bind(q, f, std::nullopt);
        if (q.step() != SQLITE_ROW) return store_error();
        count = static_cast<std::size_t>(q.col_i64(0));
        return {};
    }

private:
    // One write transaction; rolled back unless committed.
    class Tx {
    public:
        explicit Tx(SqliteInventory& s) : s_(s), ok_(sqlite_exec(s.db_, "BEGIN IMMEDIATE").has_value()) {}
        ~Tx() {
            if (ok_ && !done_ && sqlite3_get_autocommit(s_.db_) == 0) (void)sqlite_exec(s_.db_, "ROLLBACK");
        }
        Tx(const Tx&) = delete;
        Tx& operator=(const Tx&) = delete;
        [[nodiscard]] bool ok() const { return ok_; }
        Outcome commit() {
            done_ = true;
            proto::Result<> committed = sqlite_exec(s_.db_, "COMMIT");
            if (committed) return {};
            if (sqlite3_get_autocommit(s_.db_) == 0) (void)sqlite_exec(s_.db_, "ROLLBACK");
            return Outcome::fail(ApiError::store_unavailable,
                                 "the store could not commit: " + committed.error().reason);
        }

    private:
        SqliteInventory& s_;
        bool ok_ = false;
        bool done_ = false;
    };

    // A filter's conditions, with parameters ?1 (after), ?2 (image), ?3 (state), ?4 (label).
    static std::string where(const BoardFilter& f) {
        std::string sql = " WHERE serial > ?1";
        if (!f.image.empty()) sql += " AND image = ?2";
        if (f.state) sql += " AND state = ?3";
        // A label is a whole line of the labels text.
        if (!f.label_key.empty()) sql += " AND instr(char(10) || labels, char(10) || ?4 || char(10)) > 0";
        return sql;
    }

    static void bind(Stmt& q, const BoardFilter& f, std::optional<proto::Serial> after) {
        q.i64(1, after ? static_cast<std::int64_t>(after->value()) : -1);
        if (!f.image.empty()) q.text(2, f.image);
        if (f.state) q.text(3, std::string(to_string(*f.state)));
        if (!f.label_key.empty()) q.text(4, f.label_key + "=" + f.label_value);
    }

    static int collect_name(void* names, int, char** values, char**) {
        static_cast<std::vector<std::string>*>(names)->emplace_back(values[0] != nullptr ? values[0] : "");
        return 0;
    }

    // A new (empty) database, or one at this schema or an older one with the tables it had.
    proto::Result<> recognise(const std::string& path) {
        std::vector<std::string> tables;
        char* msg = nullptr;
        if (sqlite3_exec(db_, "SELECT name FROM sqlite_master WHERE type = 'table'", &collect_name, &tables, &msg) !=
            SQLITE_OK) {
            std::string why = "'" + path + "' cannot be read as an inventory: " + (msg != nullptr ? msg : "error");
            sqlite3_free(msg);
            return proto::failure(why);
        }
        int version = schema_version();
        if (version > kInventorySchemaVersion) {
            return proto::failure("'" + path + "' has schema version " + std::to_string(version) +
                                  ", newer than this rackbootd's " + std::to_string(kInventorySchemaVersion));
        }
        if (version == 0 && tables.empty()) return {};  // new: the migrations make it
        for (const char* want : {"images", "boards", "board_macs"}) {
            if (std::find(tables.begin(), tables.end(), want) == tables.end()) {
                return proto::failure("'" + path + "' is not a rackboot inventory (schema version " +
                                      std::to_string(version) + ", no table " + want + ")");
            }
        }
        return {};
    }

    int schema_version() {
        Stmt v(stmts_, "PRAGMA user_version");
        return v.step() == SQLITE_ROW ? static_cast<int>(v.col_i64(0)) : 0;
    }

    proto::Result<> migrate(const std::string& path) {
        int version = schema_version();
        for (int n = version; n < kInventorySchemaVersion; ++n) {
            std::string sql =
                std::string("BEGIN;") + kMigrations[n] + "PRAGMA user_version=" + std::to_string(n + 1) + ";COMMIT;";
            if (proto::Result<> ok = sqlite_exec(db_, sql.c_str()); !ok) {
                (void)sqlite_exec(db_, "ROLLBACK");
                return proto::failure("'" + path + "': migration to schema " + std::to_string(n + 1) +
                                      " failed: " + ok.error().reason);
            }
        }
        return {};
    }

    Outcome store_error() {
        int code = sqlite3_errcode(db_);
        ApiError e = code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_BUSY || code == SQLITE_READONLY
                         ? ApiError::store_unavailable
                         : ApiError::internal;
        return Outcome::fail(e, std::string("store: ") + sqlite3_errmsg(db_));
    }

    static Outcome stale(std::uint64_t now) {
        return Outcome::fail(ApiError::precondition_failed,
                             "the resource is at generation " + std::to_string(now) + " (reload it and retry)");
    }

    // What the appliance observed is not configuration: a replacement keeps the stored row's
    // (an observation made between the caller's read and this write is never undone).
    static void keep_observations(const Board& stored, Board& b) {
        b.learnt_macs = stored.learnt_macs;
        b.first_seen = stored.first_seen;
        b.last_seen = stored.last_seen;
        b.last_boot = stored.last_boot;
        b.root = stored.root;  // a root changes only through set_root and clear_root
    }

    // A sighting of `seen.mac`: its entry moves to the front (first_seen kept), the oldest beyond
    // kMaxLearntMacs goes.
    static void record_learnt(Board& b, const LearntMac& seen) {
        LearntMac entry = seen;
        for (auto it = b.learnt_macs.begin(); it != b.learnt_macs.end(); ++it) {
            if (it->mac == seen.mac) {
                entry.first_seen = it->first_seen;
                b.learnt_macs.erase(it);
                break;
            }
        }
        b.learnt_macs.insert(b.learnt_macs.begin(), entry);
        if (b.learnt_macs.size() > kMaxLearntMacs) b.learnt_macs.resize(kMaxLearntMacs);
    }

    // Inserts or replaces the row and its MACs, checking what crosses rows.
    Outcome write_board(const Board& b, bool replace) {
        if (!b.image.empty()) {
            Image img;
            if (!get_image(b.image, img).ok()) {
                return Outcome::fail(ApiError::invalid_field, "no image '" + b.image + "'", "image");
            }
        }
        if (b.ip) {
            Stmt q(stmts_, "SELECT serial FROM boards WHERE ip = ? AND serial != ?");
            q.i64(1, b.ip->value()).i64(2, b.serial.value());
            if (q.step() == SQLITE_ROW) {
                return Outcome::fail(ApiError::conflict,
                                     b.ip->to_string() + " is board " +
                                         proto::Serial(static_cast<std::uint32_t>(q.col_i64(0))).to_string() +
                                         "'s address",
                                     "ip");
            }
        }
        for (const Mac& m : b.macs) {
            Stmt q(stmts_, "SELECT serial FROM board_macs WHERE mac = ? AND serial != ?");
            q.text(1, m.to_string()).i64(2, b.serial.value());
            if (q.step() == SQLITE_ROW) {
                return Outcome::fail(ApiError::conflict,
                                     m.to_string() + " belongs to board " +
                                         proto::Serial(static_cast<std::uint32_t>(q.col_i64(0))).to_string(),
                                     "macs");
            }
        }
        if (replace) {
            Stmt d(stmts_, "DELETE FROM board_macs WHERE serial = ?");
            d.i64(1, b.serial.value());
            if (d.step() != SQLITE_DONE) return store_error();
        }
        for (const Mac& m : b.macs) {
            Stmt q(stmts_, "INSERT OR IGNORE INTO board_macs VALUES (?,?)");
            q.text(1, m.to_string()).i64(2, b.serial.value());
            if (q.step() != SQLITE_DONE) return store_error();
        }
        // A MAC the operator now configures is no longer shown as learnt.
        std::vector<LearntMac> learnt;
        for (const LearntMac& l : b.learnt_macs) {
            bool configured = false;
            for (const Mac& m : b.macs) configured = configured || m == l.mac;
            if (!configured) learnt.push_back(l);
        }
        Stmt q(stmts_, "INSERT OR REPLACE INTO boards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        q.i64(1, b.serial.value())
            .text(2, b.serial_full.empty() ? b.serial.to_string() : b.serial_full)
            .text(3, b.name)
            .text(4, join_labels(b.labels))
            .text(5, join_macs(b.macs))
            .text(6, b.model)
            .text(7, b.image);
        if (b.ip) {
            q.i64(8, b.ip->value());
        } else {
            q.null(8);
        }
        q.i64(9, b.netboot ? 1 : 0)
            .text(10, std::string(to_string(b.state)))
            .i64(11, b.first_seen)
            .i64(12, b.last_seen)
            .text(13, b.last_boot)
            .i64(14, static_cast<std::int64_t>(b.generation))
            .i64(15, b.learn ? 1 : 0)
            .text(16, join_learnt(learnt))
            .text(17, join_files(b.files));
        if (q.step() != SQLITE_DONE) return store_error();
        return {};
    }

    sqlite3* db_ = nullptr;
    StmtCache stmts_{db_};
    std::recursive_mutex mutex_;
};

}  // namespace

proto::Result<std::unique_ptr<InventoryStore>> open_sqlite_inventory(const std::string& path, bool read_only) {
    auto s = std::make_unique<SqliteInventory>();
    if (proto::Result<> opened = s->open(path, read_only); !opened) return tl::unexpected(opened.error());
    return std::unique_ptr<InventoryStore>(std::move(s));
}

}  // namespace rackboot::control
