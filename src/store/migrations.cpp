#include "store/migrations.hpp"

#include "store/sqlite/sql_connection.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace redred::store {

#if defined(REDRED_STORE_EMBEDDED_MIGRATIONS)
namespace detail {
// Generated from migrations/{sqlite,postgres}/*.sql by embed.cmake.
std::span<const Migration> embedded_migration_table(sql::Dialect dialect);
}
std::span<const Migration> embedded_migrations(sql::Dialect dialect) { return detail::embedded_migration_table(dialect); }
#else
std::span<const Migration> embedded_migrations(sql::Dialect) { return {}; }
#endif

namespace {

std::string label(const Migration& m) {
    std::string number = std::to_string(m.version);
    if (number.size() < 4) number.insert(0, 4 - number.size(), '0');
    return number + "_" + std::string(m.name);
}

// Any number: the key of the session advisory lock that serializes migrations across processes.
constexpr std::int64_t kMigrationLock = 7272011;

bool has_migrations_table(sql::Connection& conn) {
    auto q = conn.query(conn.dialect() == sql::Dialect::Sqlite
                            ? "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
                            : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()"
                              " AND table_name = 'schema_migrations'");
    return q.step();
}

bool is_applied(sql::Connection& conn, int version) {
    auto q = conn.query("SELECT 1 FROM schema_migrations WHERE version = ?1");
    q.bind_all(version);
    return q.step();
}

}  // namespace

int schema_version(sql::Connection& conn) {
    if (!has_migrations_table(conn)) return 0;
    auto q = conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    q.step();
    return q.integer(0);
}

int schema_version(sqlite::Connection& conn) {
    sqlite::SqlConnection borrowed(conn);
    return schema_version(borrowed);
}

Result<int> apply_migrations(sqlite::Connection& conn, std::span<const Migration> migrations, live::TimePoint now) {
    sqlite::SqlConnection borrowed(conn);
    return apply_migrations(borrowed, migrations, now);
}

namespace {

Result<int> apply_in_order(sql::Connection& conn, std::span<const Migration> migrations, live::TimePoint now);

}  // namespace

Result<int> apply_migrations(sql::Connection& conn, std::span<const Migration> migrations, live::TimePoint now) {
    if (conn.dialect() == sql::Dialect::Sqlite) return apply_in_order(conn, migrations, now);
    // PostgreSQL: one process at a time runs the migrations; the others wait here and then find them applied.
    conn.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
    Result<int> result = make_error(Errc::Internal, "migrations did not run");
    try {
        result = apply_in_order(conn, migrations, now);
    } catch (...) {
        conn.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
        throw;
    }
    conn.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    return result;
}

namespace {

Result<int> apply_in_order(sql::Connection& conn, std::span<const Migration> migrations, live::TimePoint now) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1) {
            throw std::logic_error("store migrations must be numbered 1..N without gaps; found " +
                                   label(migrations[i]));
        }
    }
    const int known = static_cast<int>(migrations.size());
    const auto applied_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();

    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY,"
        " applied_at BIGINT NOT NULL)");
    if (const int found = schema_version(conn); found > known) {
        return make_error(Errc::Unavailable, "database schema version " + std::to_string(found) +
                                                 " is newer than this redred supports (" + std::to_string(known) +
                                                 "); run a newer redred or use another database file");
    }

    int applied = 0;
    const char* begin = conn.dialect() == sql::Dialect::Sqlite ? "BEGIN IMMEDIATE" : "BEGIN";
    for (const Migration& m : migrations) {
        conn.exec(begin);
        try {
            // Checked inside the write transaction: another process may have applied it since we looked.
            if (is_applied(conn, m.version)) {
                conn.exec("COMMIT");
                continue;
            }
            conn.exec(m.sql);
            auto q = conn.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
            q.bind_all(m.version, static_cast<std::int64_t>(applied_at)).run();
            conn.exec("COMMIT");
            ++applied;
        } catch (const StoreError& e) {
            if (conn.in_transaction()) conn.exec("ROLLBACK");
            return make_error(Errc::Internal, "schema migration " + label(m) + " failed: " + e.what());
        }
    }
    return applied;
}

}  // namespace

}  // namespace redred::store
