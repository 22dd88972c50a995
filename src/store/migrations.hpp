// Schema migrations. The source of truth is the numbered SQL files in src/store/migrations/sqlite/ and
// src/store/migrations/postgres/ (NNNN_name.sql, the same numbers in both: never edited once merged; a change
// is a new file in each). embed.cmake copies them into the binary at build time, so a deployed binary needs
// no files next to it.
#pragma once
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "live/types.hpp"
#include "store/sql.hpp"
#include "store/sqlite/connection.hpp"

namespace redred::store {

struct Migration {
    int version = 0;          // 1, 2, ... from the file name's number
    std::string_view name;    // "initial" for 0001_initial.sql
    std::string_view sql;     // the file's content: one or more statements
};

// The migrations built into this binary for one dialect, ordered by version (1..N without gaps). Empty when the
// build did not include src/store/migrations/embed.cmake; Database::open then refuses to start.
std::span<const Migration> embedded_migrations(sql::Dialect dialect = sql::Dialect::Sqlite);

// The highest version recorded in schema_migrations; 0 for an empty database.
int schema_version(sql::Connection& conn);
int schema_version(sqlite::Connection& conn);

// Brings the schema up to date: creates schema_migrations(version, applied_at) if missing, then applies each
// migration not recorded there yet, in order, each in its own write transaction together with its
// schema_migrations row, so two processes starting together apply each one once (SQLite: BEGIN IMMEDIATE
// locks the file; PostgreSQL: a session advisory lock is held for the whole run). Returns how many were
// applied. Errors: Unavailable when the database records a version newer than the newest known here (a newer
// redred wrote it); Internal when a migration fails (that one is rolled back, earlier ones stay). Throws
// std::logic_error when `migrations` is not numbered 1..N, which is a build bug.
Result<int> apply_migrations(sql::Connection& conn, std::span<const Migration> migrations, live::TimePoint now);
Result<int> apply_migrations(sqlite::Connection& conn, std::span<const Migration> migrations, live::TimePoint now);

}  // namespace redred::store
