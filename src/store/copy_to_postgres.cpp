#include "store/copy_to_postgres.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace redred::store {
namespace {

// Every table of the live platform, parents before children (foreign keys are checked row by row).
constexpr const char* kTables[] = {"users",             "sessions",       "live_streams",
                                   "live_stream_comments", "stream_moderators", "stream_vips",
                                   "stream_sanctions",  "viewer_samples", "recordings",
                                   "stream_keys",       "moderation_actions", "webhook_events",
                                   "webhook_deliveries"};

std::vector<std::string> postgres_columns(sql::Connection& pg, const std::string& table) {
    auto q = pg.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ?1 ORDER BY ordinal_position");
    q.bind_all(std::string_view(table));
    std::vector<std::string> columns;
    while (q.step()) columns.push_back(q.text(0));
    return columns;
}

std::set<std::string> sqlite_columns(sql::Connection& lite, const std::string& table) {
    auto q = lite.query("SELECT name FROM pragma_table_info(?1)");
    q.bind_all(std::string_view(table));
    std::set<std::string> columns;
    while (q.step()) columns.insert(q.text(0));
    return columns;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

// Copies one table inside the caller's transactions.
TableCopy copy_table(sql::Connection& lite, sql::Connection& pg, const std::string& table) {
    const auto columns = postgres_columns(pg, table);
    const auto available = sqlite_columns(lite, table);
    std::vector<std::string> select;  // the SQLite expression for each PostgreSQL column
    std::vector<std::string> params;
    for (const auto& column : columns) {
        if (available.count(column)) {
            select.push_back(column);
        } else if (column == "id") {
            select.push_back("rowid");  // viewer_samples: SQLite's rowid is PostgreSQL's id
        } else {
            throw StoreError("column " + table + "." + column + " is missing in the SQLite database", 0);
        }
        params.push_back("?" + std::to_string(params.size() + 1));
    }
    // Values travel as text: PostgreSQL types each parameter from its column. Ids are copied as they are.
    const std::string insert = "INSERT INTO " + table + " (" + join(columns) + ") OVERRIDING SYSTEM VALUE VALUES (" +
                               join(params) + ") ON CONFLICT DO NOTHING";
    TableCopy copy{table, 0, 0};
    auto rows = lite.query("SELECT " + join(select) + " FROM " + table + " ORDER BY 1");
    while (rows.step()) {
        auto row = pg.query(insert);  // prepared once, reused for every row
        for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
            if (rows.is_null(i)) {
                row.bind(i + 1, std::nullopt);
            } else {
                row.bind(i + 1, std::string_view(rows.text(i)));
            }
        }
        row.run();
        ++copy.source_rows;
        copy.copied += pg.changes();
    }
    // Identity columns continue after the highest copied id.
    if (std::find(columns.begin(), columns.end(), "id") != columns.end()) {
        pg.exec("SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), GREATEST((SELECT MAX(id) FROM " + table +
                "), 1), (SELECT MAX(id) IS NOT NULL FROM " + table + "))");
    }
    return copy;
}

// A user copied earlier keeps its id and name; a different user under either means the target was used on
// its own, and merging would attach one person's sessions and comments to another.
std::optional<std::string> find_user_conflict(sql::Connection& lite, sql::Connection& pg) {
    auto users = lite.query("SELECT id, username FROM users ORDER BY id");
    while (users.step()) {
        auto q = pg.query("SELECT id, username::text FROM users WHERE id = ?1 OR username = ?2");
        q.bind(1, users.int64(0)).bind(2, std::string_view(users.text(1)));
        while (q.step()) {
            if (q.int64(0) != users.int64(0) || q.text(1) != users.text(1)) {
                return "PostgreSQL already has user " + std::to_string(q.int64(0)) + " '" + q.text(1) +
                       "' where the SQLite database has user " + std::to_string(users.int64(0)) + " '" +
                       users.text(1) + "'";
            }
        }
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<TableCopy>> copy_sqlite_to_postgres(sql::Connection& lite, sql::Connection& pg) {
    if (lite.dialect() != sql::Dialect::Sqlite || pg.dialect() != sql::Dialect::Postgres)
        return make_error(Errc::BadInput, "copy needs a SQLite source and a PostgreSQL target");
    {
        auto q = lite.query(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name <> 'schema_migrations' ORDER BY name");
        while (q.step()) {
            const std::string name = q.text(0);
            if (std::find_if(std::begin(kTables), std::end(kTables), [&](const char* t) { return name == t; }) ==
                std::end(kTables))
                return make_error(Errc::BadInput, "the SQLite database has a table this redred does not know: " + name);
        }
    }
    std::vector<TableCopy> summary;
    lite.exec("BEGIN");  // one snapshot of the source
    pg.exec("BEGIN");
    try {
        if (auto conflict = find_user_conflict(lite, pg)) {
            pg.exec("ROLLBACK");
            lite.exec("ROLLBACK");
            return make_error(Errc::Conflict, *conflict + "; copy into an empty PostgreSQL database");
        }
        for (const char* table : kTables) summary.push_back(copy_table(lite, pg, table));
        pg.exec("COMMIT");
    } catch (const StoreError& e) {
        if (pg.in_transaction()) pg.exec("ROLLBACK");
        if (lite.in_transaction()) lite.exec("ROLLBACK");
        return make_error(Errc::Internal, std::string("copy failed: ") + e.what());
    }
    lite.exec("COMMIT");
    return summary;
}

}  // namespace redred::store
