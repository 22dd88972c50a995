// sqlite::Connection behind the backend-neutral sql::Connection the Store uses. Owns its connection, or borrows
// one (migrations run on a connection before the Store takes it).
#pragma once
#include <optional>

#include "store/sql.hpp"
#include "store/sqlite/connection.hpp"

namespace redred::store::sqlite {

class SqlConnection final : public sql::Connection {
public:
    explicit SqlConnection(sqlite::Connection&& owned) : owned_(std::move(owned)), conn_(&*owned_) {}
    explicit SqlConnection(sqlite::Connection& borrowed) : conn_(&borrowed) {}
    SqlConnection(const SqlConnection&) = delete;  // conn_ may point into owned_
    SqlConnection& operator=(const SqlConnection&) = delete;

    sql::Dialect dialect() const override { return sql::Dialect::Sqlite; }
    sql::Query query(std::string_view sql) override;
    void exec(std::string_view sql) override { conn_->exec(sql); }
    std::int64_t changes() const override { return conn_->changes(); }
    bool in_transaction() const override { return conn_->in_transaction(); }
    std::size_t cached_statements() const override { return conn_->cached_statements(); }

    sqlite::Connection& raw() { return *conn_; }

private:
    std::optional<sqlite::Connection> owned_;
    sqlite::Connection* conn_;
};

}  // namespace redred::store::sqlite
