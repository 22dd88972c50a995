// A thin RAII layer over the sqlite3 C API: Connection (one sqlite3 handle plus a prepared-statement cache)
// and Query (one scoped use of a statement). Every failure throws StoreError with SQLite's message and
// extended code; the SQL text is never put in messages (STYLE §5).
//
// Thread use: a Connection is opened with SQLITE_OPEN_NOMUTEX, so it must be used by one thread at a time
// (Database gives each connection its own thread).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/store_error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace redred::store::sqlite {

enum class OpenMode { ReadWriteCreate, ReadOnly };

class Connection;

// One use of a prepared statement, from Connection::query(). When it goes out of scope the statement is
// reset and its bindings cleared, so no statement stays active: an unfinished SELECT would pin its WAL
// snapshot and an unfinished write would keep its statement journal. Parameters are numbered from 1.
class Query {
public:
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query();

    Query& bind(int index, std::int64_t value);
    Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Query& bind(int index, std::string_view value);  // copied by SQLite (SQLITE_TRANSIENT)
    Query& bind(int index, std::nullopt_t);
    template <class T>
    Query& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    // Binds ?1..?N in order.
    template <class... Args>
    Query& bind_all(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    bool step();  // true: a row is ready to read; false: the statement is done
    void run();   // steps to completion; for statements that return no rows

    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    int integer(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;
    std::string text(int column) const;

private:
    friend class Connection;
    // `in_use` is the cache's busy flag for a cached statement, or null for a one-off statement we own.
    Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use) : db_(db), stmt_(stmt), in_use_(in_use) {}
    [[noreturn]] void fail(const char* what) const;

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    bool* in_use_;
};

// Owns one sqlite3 connection and the statements prepared on it (prepared once, reused; finalized on close).
class Connection {
public:
    // Opens (and with ReadWriteCreate creates) the file; the directory must exist. Throws StoreError.
    static Connection open(const std::string& path, OpenMode mode);

    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // One statement, prepared once and cached by its text. A statement already in use (nested use of the
    // same SQL) gets a one-off copy instead, so nesting is safe.
    Query query(std::string_view sql);
    // Runs one or more statements that return no rows (pragmas, BEGIN/COMMIT, migration scripts). Not cached.
    void exec(std::string_view sql);
    // Runs a single-row, single-column statement such as "PRAGMA journal_mode=WAL" and returns its text.
    std::string scalar_text(std::string_view sql);

    std::int64_t changes() const;            // rows changed by the last INSERT/UPDATE/DELETE
    std::int64_t last_insert_rowid() const;
    bool in_transaction() const;             // false once SQLite rolled a transaction back on its own
    std::size_t cached_statements() const { return cache_.size(); }
    sqlite3* handle() { return db_; }

private:
    explicit Connection(sqlite3* db) : db_(db) {}
    void close() noexcept;

    struct Cached {
        sqlite3_stmt* stmt = nullptr;
        bool in_use = false;
    };
    sqlite3* db_ = nullptr;
    std::map<std::string, std::unique_ptr<Cached>, std::less<>> cache_;  // nodes are stable: Query points in
};

}  // namespace redred::store::sqlite
