#include "store/sqlite/sql_connection.hpp"

namespace redred::store::sqlite {
namespace {

class Statement final : public sql::Statement {
public:
    Statement(sqlite::Connection& conn, std::string_view sql) : query_(conn.query(sql)) {}
    void bind_int64(int index, std::int64_t value) override { query_.bind(index, value); }
    void bind_text(int index, std::string_view value) override { query_.bind(index, value); }
    void bind_null(int index) override { query_.bind(index, std::nullopt); }
    bool step() override { return query_.step(); }
    bool is_null(int column) const override { return query_.is_null(column); }
    std::int64_t int64(int column) const override { return query_.int64(column); }
    std::string text(int column) const override { return query_.text(column); }

private:
    sqlite::Query query_;
};

}  // namespace

sql::Query SqlConnection::query(std::string_view sql) {
    return sql::Query(std::make_unique<Statement>(*conn_, sql));
}

}  // namespace redred::store::sqlite
