// What the Store needs from a SQL database, whichever it is: SQLite (the embedded default, store/sqlite/) or
// PostgreSQL (--database postgres://..., store/postgres/). SQL text uses numbered parameters `?1`, `?2` ...;
// the PostgreSQL backend turns them into `$1`, `$2`. Values are 64-bit integers, text or NULL (times are
// integer unix milliseconds in both). Every failure throws StoreError; SQL text never goes into messages.
//
// Thread use: a Connection is used by one thread at a time (Database gives each its own thread).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/store_error.hpp"

namespace redred::store::sql {

enum class Dialect { Sqlite, Postgres };

// One use of a statement, from Connection::query(). Parameters are numbered from 1.
class Statement {
public:
    virtual ~Statement() = default;
    virtual void bind_int64(int index, std::int64_t value) = 0;
    virtual void bind_text(int index, std::string_view value) = 0;
    virtual void bind_null(int index) = 0;
    virtual bool step() = 0;  // true: a row is ready to read; false: the statement is done
    virtual bool is_null(int column) const = 0;
    virtual std::int64_t int64(int column) const = 0;
    virtual std::string text(int column) const = 0;
};

class Query {
public:
    explicit Query(std::unique_ptr<Statement> statement) : statement_(std::move(statement)) {}

    Query& bind(int index, std::int64_t value) {
        statement_->bind_int64(index, value);
        return *this;
    }
    Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Query& bind(int index, std::string_view value) {
        statement_->bind_text(index, value);
        return *this;
    }
    Query& bind(int index, std::nullopt_t) {
        statement_->bind_null(index);
        return *this;
    }
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

    bool step() { return statement_->step(); }
    void run() {
        while (step()) {
        }
    }

    bool is_null(int column) const { return statement_->is_null(column); }
    std::int64_t int64(int column) const { return statement_->int64(column); }
    int integer(int column) const { return static_cast<int>(int64(column)); }
    std::optional<std::int64_t> optional_int64(int column) const {
        if (is_null(column)) return std::nullopt;
        return int64(column);
    }
    std::string text(int column) const { return statement_->text(column); }

private:
    std::unique_ptr<Statement> statement_;
};

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;
    // A statement, prepared once per connection and reused.
    virtual Query query(std::string_view sql) = 0;
    // One or more statements that return no rows (BEGIN/COMMIT, migration scripts).
    virtual void exec(std::string_view sql) = 0;
    virtual std::int64_t changes() const = 0;  // rows changed by the last INSERT/UPDATE/DELETE
    virtual bool in_transaction() const = 0;   // false once the database rolled a transaction back on its own
    virtual std::size_t cached_statements() const = 0;  // prepared statements kept for reuse
    // Before a transaction: reconnects if the server dropped the connection. False if it is still down.
    virtual bool ensure_open() { return true; }
};

}  // namespace redred::store::sql
