// One SQL text run on a database (pragmas, schema, BEGIN/COMMIT): the store's two SQLite files
// share it. The reason names the statement by its start and gives SQLite's message.
#pragma once

#include <sqlite3.h>

#include "proto/result.h"

namespace rackboot::control {

[[nodiscard]] proto::Result<> sqlite_exec(sqlite3* db, const char* sql);

}  // namespace rackboot::control
