// Copies an embedded installation's SQLite database into PostgreSQL (`redred migrate-sqlite-to-postgres`).
// Both sides must already have the current schema (Database::open / open_postgres migrate them). Rows keep
// their ids, so sessions, links and recordings keep pointing at the same things; identity sequences are moved
// past the copied ids. Idempotent: rows already there (same key) are left alone, so a second run copies
// nothing. Everything happens in one PostgreSQL transaction: a failure leaves PostgreSQL as it was.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/sql.hpp"

namespace redred::store {

struct TableCopy {
    std::string table;
    std::int64_t source_rows = 0;  // rows in SQLite
    std::int64_t copied = 0;       // newly inserted into PostgreSQL
};

// Errors: BadInput when the dialects are wrong, or a SQLite table is unknown here (a newer schema);
// Conflict when PostgreSQL holds a different user under a copied user's id or name (the target was used on its
// own: copy into an empty database); Internal when a statement fails (the message says which table).
Result<std::vector<TableCopy>> copy_sqlite_to_postgres(sql::Connection& sqlite, sql::Connection& postgres);

}  // namespace redred::store
