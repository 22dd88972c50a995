#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <utility>

namespace redred::store::sqlite {
namespace {

[[noreturn]] void throw_error(sqlite3* db, const char* what, int fallback_code) {
    const int code = db ? sqlite3_extended_errcode(db) : fallback_code;
    const char* message = db ? sqlite3_errmsg(db) : sqlite3_errstr(fallback_code);
    throw StoreError(std::string("sqlite ") + what + " failed: " + message + " (code " + std::to_string(code) + ")",
                     code);
}

bool only_whitespace(const char* text) {
    for (; text && *text; ++text) {
        if (*text != ' ' && *text != '\n' && *text != '\t' && *text != '\r') return false;
    }
    return true;
}

sqlite3_stmt* prepare(sqlite3* db, std::string_view sql, unsigned flags) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt, &tail);
    if (rc != SQLITE_OK) throw_error(db, "prepare", rc);
    if (stmt == nullptr) throw std::logic_error("sqlite::Connection::query: empty statement");
    // Everything after the first statement would be silently ignored by sqlite3_prepare: that is a bug here.
    if (tail && tail < sql.data() + sql.size() &&
        !only_whitespace(std::string(tail, sql.data() + sql.size()).c_str())) {
        sqlite3_finalize(stmt);
        throw std::logic_error("sqlite::Connection::query takes exactly one statement; use exec() for scripts");
    }
    return stmt;
}

}  // namespace

// ---- Query ----

Query::~Query() {
    // reset() repeats the last step's error, which step() already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (in_use_) {
        *in_use_ = false;
    } else {
        sqlite3_finalize(stmt_);
    }
}

void Query::fail(const char* what) const { throw_error(db_, what, SQLITE_ERROR); }

Query& Query::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail("bind");
    return *this;
}

Query& Query::bind(int index, std::string_view value) {
    // A zero-length view may have a null data(); sqlite3_bind_text would then bind NULL instead of ''.
    const char* data = value.data() ? value.data() : "";
    if (sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) {
        fail("bind");
    }
    return *this;
}

Query& Query::bind(int index, std::nullopt_t) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail("bind");
    return *this;
}

bool Query::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
}

void Query::run() {
    while (step()) {
    }
}

bool Query::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

int Query::integer(int column) const { return sqlite3_column_int(stmt_, column); }

std::optional<std::int64_t> Query::optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
}

std::string Query::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);  // after column_text: the UTF-8 length
    if (data == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

// ---- Connection ----

Connection Connection::open(const std::string& path, OpenMode mode) {
    int flags = SQLITE_OPEN_NOMUTEX;
    flags |= mode == OpenMode::ReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);  // sqlite3_open_v2 allocates a handle even when it fails
        throw StoreError("sqlite open failed: " + message + " (code " + std::to_string(rc) + ")", rc);
    }
    sqlite3_extended_result_codes(db, 1);
    return Connection(db);
}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached->stmt);
    cache_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

Query Connection::query(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        auto cached = std::make_unique<Cached>();
        cached->stmt = prepare(db_, sql, SQLITE_PREPARE_PERSISTENT);
        it = cache_.emplace(std::string(sql), std::move(cached)).first;
    }
    Cached& cached = *it->second;
    if (cached.in_use) return Query(db_, prepare(db_, sql, 0), nullptr);
    cached.in_use = true;
    return Query(db_, cached.stmt, &cached.in_use);
}

void Connection::exec(std::string_view sql) {
    const std::string script(sql);  // sqlite3_exec needs a NUL-terminated string
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        const int code = sqlite3_extended_errcode(db_);
        throw StoreError("sqlite exec failed: " + text + " (code " + std::to_string(code) + ")", code);
    }
}

std::string Connection::scalar_text(std::string_view sql) {
    Query q(db_, prepare(db_, sql, 0), nullptr);
    return q.step() ? q.text(0) : std::string();
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace redred::store::sqlite
