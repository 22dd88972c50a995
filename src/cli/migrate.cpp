#include "cli/migrate.hpp"

#include <cstdio>
#include <filesystem>

#include "core/log.hpp"
#include "store/copy_to_postgres.hpp"
#include "store/database.hpp"
#include "store/postgres/connection.hpp"
#include "store/sqlite/sql_connection.hpp"

namespace redred::cli {

void add_migrate_command_options(CLI::App& cmd, app::Config& config) {
    app::add_database_options(cmd, config);
    cmd.get_option("--database")->required();
}

namespace {

// Opening through Database applies pending migrations, so both sides have this binary's schema.
bool bring_schema_up_to_date(const std::string& location, const char* what) {
    auto db = store::Database::open_any(location);
    if (!db) {
        std::fprintf(stderr, "cannot open the %s database: %s\n", what, db.error().message.c_str());
        return false;
    }
    (*db)->close();
    return true;
}

}  // namespace

int run_migrate_sqlite_to_postgres(const app::Config& config) {
    log::init_logging("warn");
    if (config.database.empty() || !app::validate_database(config.database).empty()) {
        std::fprintf(stderr, "--database must be a postgres://user[:password]@host:port/dbname URL\n");
        return 2;
    }
    const std::string sqlite_path = (std::filesystem::path(config.data_dir) / "redred.db").string();
    if (!std::filesystem::exists(sqlite_path)) {
        std::fprintf(stderr, "no SQLite database at %s (is --data-dir right?)\n", sqlite_path.c_str());
        return 1;
    }
    if (!bring_schema_up_to_date(sqlite_path, "SQLite") || !bring_schema_up_to_date(config.database, "PostgreSQL"))
        return 1;

    const std::string target = store::postgres::redact_url(config.database);
    try {
        store::sqlite::SqlConnection source(store::sqlite::Connection::open(sqlite_path, store::sqlite::OpenMode::ReadOnly));
        auto destination = store::postgres::Connection::open(config.database);
        auto copied = store::copy_sqlite_to_postgres(source, *destination);
        if (!copied) {
            std::fprintf(stderr, "nothing copied: %s\n", copied.error().message.c_str());
            return 1;
        }
        std::printf("copied %s into %s\n", sqlite_path.c_str(), target.c_str());
        std::printf("  %-22s %10s %10s %10s\n", "table", "in sqlite", "copied", "were there");
        std::int64_t total = 0;
        for (const auto& t : *copied) {
            std::printf("  %-22s %10lld %10lld %10lld\n", t.table.c_str(), static_cast<long long>(t.source_rows),
                        static_cast<long long>(t.copied), static_cast<long long>(t.source_rows - t.copied));
            total += t.copied;
        }
        std::printf("%lld row(s) copied%s\n", static_cast<long long>(total),
                    total == 0 ? " (already up to date)" : "");
    } catch (const store::StoreError& e) {
        std::fprintf(stderr, "copy failed: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace redred::cli
