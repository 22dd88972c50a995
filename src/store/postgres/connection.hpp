// PostgreSQL through libpq behind sql::Connection (--database postgres://user[:password]@host:port/dbname).
// Statements are prepared once per connection (PQprepare) and run with text parameters; results are read as
// text. A connection the server dropped (restart, failover) is reset by ensure_open(), which the Database
// calls before each transaction: the transaction in flight fails, the next one works again.
//
// Thread use: one thread at a time (Database gives each connection its own thread). libpq calls block, which
// is why only database threads make them.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "store/sql.hpp"

struct pg_conn;

namespace redred::store::postgres {

class Connection final : public sql::Connection {
public:
    // Connects; throws StoreError with libpq's message (the password is never in it).
    static std::unique_ptr<Connection> open(const std::string& url);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sql::Dialect dialect() const override { return sql::Dialect::Postgres; }
    sql::Query query(std::string_view sql) override;
    void exec(std::string_view sql) override;
    std::int64_t changes() const override { return changes_; }
    bool in_transaction() const override;
    std::size_t cached_statements() const override { return prepared_.size(); }

    // True when usable, after resetting a connection the server dropped.
    bool ensure_open() override;
    // The server's version, e.g. "15.18".
    std::string server_version() const;

private:
    friend class Statement;
    explicit Connection(pg_conn* conn) : conn_(conn) {}
    const std::string& prepared_name(std::string_view sql);  // prepares on first use

    pg_conn* conn_;
    std::map<std::string, std::string, std::less<>> prepared_;  // SQL text -> server-side statement name
    int next_statement_ = 0;
    std::int64_t changes_ = 0;
};

// `?1` -> `$1`, outside quoted strings and identifiers: the Store's SQL is written for both backends.
std::string numbered_parameters(std::string_view sql);

// postgres://user:secret@host/db -> postgres://user:***@host/db, for logs and messages.
std::string redact_url(std::string_view url);

}  // namespace redred::store::postgres
