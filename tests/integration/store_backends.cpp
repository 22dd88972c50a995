#include "store_backends.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "child_process.hpp"
#include "postgres_server_fixture.hpp"
#include "store/migrations.hpp"
#include "store/postgres/connection.hpp"
#include "store/sqlite/sql_connection.hpp"

namespace redred::store::test_support {

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

FreshDatabase::FreshDatabase(Backend backend) : backend_(backend) {
    if (backend == Backend::Sqlite) {
        dir_ = test::make_temp_dir("redred-store");
        location_ = dir_ + "/redred.db";
    } else {
        location_ = test::PostgresServer::shared().create_database();
    }
}

FreshDatabase::~FreshDatabase() {
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<sql::Connection> FreshDatabase::connect() const {
    if (backend_ == Backend::Postgres) return postgres::Connection::open(location_);
    auto conn = sqlite::Connection::open(location_, sqlite::OpenMode::ReadWriteCreate);
    conn.exec("PRAGMA foreign_keys = ON");
    return std::make_unique<sqlite::SqlConnection>(std::move(conn));
}

std::unique_ptr<Store> FreshDatabase::migrated_store() const {
    auto conn = connect();
    const auto dialect = conn->dialect();
    auto applied = apply_migrations(*conn, embedded_migrations(dialect), TimePoint(std::chrono::milliseconds(1)));
    if (!applied) throw std::runtime_error("migrations failed: " + applied.error().message);
    return std::make_unique<Store>(std::move(conn));
}

std::int64_t count_rows(sql::Connection& conn, const std::string& table) {
    auto q = conn.query("SELECT COUNT(*) FROM " + table);
    q.step();
    return q.int64(0);
}

}  // namespace redred::store::test_support
