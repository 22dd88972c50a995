// Schema migrations. The source of truth is the numbered SQL files in src/store/migrations/
// (NNNN_name.sql: never edited once merged; a change is a new file). embed.cmake in that folder copies them
// into the binary at build time, so a deployed binary needs no files next to it.
#pragma once
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "live/types.hpp"
#include "store/sqlite/connection.hpp"

namespace redred::store {

struct Migration {
    int version = 0;          // 1, 2, ... from the file name's number
    std::string_view name;    // "initial" for 0001_initial.sql
    std::string_view sql;     // the file's content: one or more statements
};

// The migrations built into this binary, ordered by version (1..N without gaps). Empty when the build did not
// include src/store/migrations/embed.cmake; Database::open then refuses to start.
std::span<const Migration> embedded_migrations();

// The highest version recorded in schema_migrations; 0 for an empty database.
int schema_version(sqlite::Connection& conn);

// Brings the schema up to date: creates schema_migrations(version, applied_at) if missing, then applies each
// migration not recorded there yet, in order, each in its own BEGIN IMMEDIATE transaction together with its
// schema_migrations row (so two processes opening the same file cannot apply one twice). Returns how many
// were applied. Errors: Unavailable when the file records a version newer than the newest known here (a
// newer redred wrote it); Internal when a migration fails (that one is rolled back, earlier ones stay).
// Throws std::logic_error when `migrations` is not numbered 1..N, which is a build bug.
Result<int> apply_migrations(sqlite::Connection& conn, std::span<const Migration> migrations, live::TimePoint now);

}  // namespace redred::store
