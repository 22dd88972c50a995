// The store's tests run once per backend (STYLE §9: the real thing): SQLite files in a temp dir, and
// databases on a private PostgreSQL server (postgres_server_fixture.hpp) shared by the whole test binary.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "store/sql.hpp"
#include "store/store.hpp"

namespace redred::store::test_support {

enum class Backend { Sqlite, Postgres };

// For INSTANTIATE_TEST_SUITE_P(..., kBothBackends, backend_name).
inline const auto kBothBackends = ::testing::Values(Backend::Sqlite, Backend::Postgres);
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

// A new, empty database for one test: a file in a fresh temp dir, or a fresh database on the shared server.
class FreshDatabase {
public:
    explicit FreshDatabase(Backend backend);
    ~FreshDatabase();  // removes the temp dir (PostgreSQL databases stay until the server stops)
    FreshDatabase(const FreshDatabase&) = delete;
    FreshDatabase& operator=(const FreshDatabase&) = delete;

    Backend backend() const { return backend_; }
    // What Database::open_any() takes: the file's path or the postgres:// URL.
    const std::string& location() const { return location_; }
    // A new plain connection (read-write, foreign keys on), for checks from outside the code under test.
    std::unique_ptr<sql::Connection> connect() const;
    // A Store on a new connection with every migration applied.
    std::unique_ptr<Store> migrated_store() const;

private:
    Backend backend_;
    std::string dir_;
    std::string location_;
};

std::int64_t count_rows(sql::Connection& conn, const std::string& table);

}  // namespace redred::store::test_support
