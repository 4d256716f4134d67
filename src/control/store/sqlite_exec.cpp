#include "control/store/sqlite_exec.h"

#include <string>

namespace rackboot::control {

proto::Result<> sqlite_exec(sqlite3* db, const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string why = std::string(sql).substr(0, 40) + ": " + (msg != nullptr ? msg : "error");
    sqlite3_free(msg);
    return proto::failure(why);
}

}  // namespace rackboot::control
