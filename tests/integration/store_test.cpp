// Store, migrations and Database against real databases (STYLE §9): SQLite files in a temp dir and a private
// PostgreSQL server; the Store and Database tests run on both backends.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "postgres_server_fixture.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/postgres/connection.hpp"
#include "store/sqlite/sql_connection.hpp"
#include "store/store.hpp"
#include "store_backends.hpp"

namespace redred::store {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test_support::Backend;
using test_support::FreshDatabase;

constexpr auto kWait = 10s;  // bound on every wait in this file

TimePoint at(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "redred-store-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

// A write job that holds the writer thread until opened (bounded by kWait), so tests can queue work behind it.
class Gate {
public:
    ~Gate() { open(); }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, kWait, [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

// Collects `done` outcomes from the writer thread.
class Outcomes {
public:
    Database::Done callback(int index) {
        return [this, index](bool ok, std::string error) {
            std::lock_guard lock(mutex_);
            results_[index] = {ok, std::move(error)};
            cv_.notify_all();
        };
    }
    bool wait_for_count(std::size_t n) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, kWait, [&] { return results_.size() >= n; });
    }
    std::pair<bool, std::string> get(int index) {
        std::lock_guard lock(mutex_);
        return results_.at(index);
    }
    std::size_t size() {
        std::lock_guard lock(mutex_);
        return results_.size();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<int, std::pair<bool, std::string>> results_;
};

std::int64_t count_rows(sqlite::Connection& conn, const std::string& table) {
    auto q = conn.query("SELECT COUNT(*) FROM " + table);
    q.step();
    return q.int64(0);
}

// Runs `work` on a reader thread and waits for its answer.
template <class T>
T read_sync(Database& db, std::function<T(Store&)> work) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    EXPECT_TRUE(db.read([promise, work](Store& s) {
        try {
            promise->set_value(work(s));
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    }));
    if (future.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("read timed out");
    return future.get();
}

// Queues `job` and waits for its `done`.
std::pair<bool, std::string> write_sync(Database& db, Database::Job job) {
    auto promise = std::make_shared<std::promise<std::pair<bool, std::string>>>();
    auto future = promise->get_future();
    db.write(std::move(job), [promise](bool ok, std::string error) { promise->set_value({ok, std::move(error)}); });
    if (future.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("write timed out");
    return future.get();
}

// Queues a job that holds the writer thread (inside its transaction) until `gate` opens, and returns once the
// writer is running it, so everything queued afterwards lands in later batches.
void hold_writer(Database& db, Gate& gate, Outcomes& outcomes, int index) {
    auto inside = std::make_shared<std::promise<void>>();
    auto running = inside->get_future();
    db.write(
        [&gate, inside](Store&) {
            inside->set_value();
            gate.wait();
        },
        outcomes.callback(index));
    if (running.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("writer did not start");
}

std::unique_ptr<Database> open_db(const std::string& location, DatabaseOptions options = {}) {
    auto db = Database::open_any(location, options);
    if (!db) throw std::runtime_error("open failed: " + db.error().message);
    return std::move(db).value();
}

bool contains_ignoring_case(std::string text, std::string part) {
    auto lower = [](std::string& t) { std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); }); };
    lower(text);
    lower(part);
    return text.find(part) != std::string::npos;
}

// ------------------------------------------------------------------------------------------------------------
// Migrations

TEST(StoreMigrations, EmbeddedMigrationsAreNumberedFromOne) {
    const auto migrations = embedded_migrations();
    ASSERT_FALSE(migrations.empty());
    EXPECT_EQ(migrations[0].name, "initial");
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
        EXPECT_FALSE(migrations[i].sql.empty());
    }
    EXPECT_NE(migrations[0].sql.find("CREATE TABLE live_streams"), std::string_view::npos);
}

TEST(StoreMigrations, OpenCreatesTheSchemaAndRecordsTheVersion) {
    TempDir dir;
    auto db = open_db(dir.file("redred.db"));
    const int latest = static_cast<int>(embedded_migrations().size());
    EXPECT_EQ(db->schema_version(), latest);
    db->close();

    auto conn = sqlite::Connection::open(dir.file("redred.db"), sqlite::OpenMode::ReadOnly);
    for (const char* table : {"users", "sessions", "live_streams", "live_stream_comments", "stream_moderators",
                              "stream_vips", "stream_sanctions", "viewer_samples", "schema_migrations"}) {
        auto q = conn.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
        q.bind_all(std::string_view(table));
        EXPECT_TRUE(q.step()) << table;
    }
    EXPECT_EQ(count_rows(conn, "schema_migrations"), latest);
    EXPECT_EQ(schema_version(conn), latest);
    EXPECT_EQ(conn.scalar_text("PRAGMA journal_mode"), "wal");
}

TEST(StoreMigrations, ReopeningAppliesNothingAgain) {
    TempDir dir;
    open_db(dir.file("redred.db"))->close();
    std::int64_t first_applied_at = 0;
    {
        auto conn = sqlite::Connection::open(dir.file("redred.db"), sqlite::OpenMode::ReadWriteCreate);
        auto q = conn.query("SELECT applied_at FROM schema_migrations WHERE version = 1");
        ASSERT_TRUE(q.step());
        first_applied_at = q.int64(0);
    }
    auto db = open_db(dir.file("redred.db"));
    db->close();

    auto conn = sqlite::Connection::open(dir.file("redred.db"), sqlite::OpenMode::ReadWriteCreate);
    auto applied = apply_migrations(conn, embedded_migrations(), at(999));
    ASSERT_TRUE(applied.ok());
    EXPECT_EQ(*applied, 0);
    EXPECT_EQ(count_rows(conn, "schema_migrations"), static_cast<std::int64_t>(embedded_migrations().size()));
    auto q = conn.query("SELECT applied_at FROM schema_migrations WHERE version = 1");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), first_applied_at);
}

TEST(StoreMigrations, AppliesOnlyPendingMigrationsInOrder) {
    TempDir dir;
    const Migration v1[] = {{1, "one", "CREATE TABLE a (x INTEGER)"}};
    const Migration v2[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                            {2, "two", "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z INTEGER);"}};
    auto conn = sqlite::Connection::open(dir.file("m.db"), sqlite::OpenMode::ReadWriteCreate);
    EXPECT_EQ(*apply_migrations(conn, v1, at(10)), 1);
    EXPECT_EQ(schema_version(conn), 1);
    EXPECT_EQ(*apply_migrations(conn, v2, at(20)), 1);
    EXPECT_EQ(schema_version(conn), 2);
    conn.exec("INSERT INTO a (x, y) VALUES (1, 'y'); INSERT INTO b (z) VALUES (2)");
    auto q = conn.query("SELECT applied_at FROM schema_migrations ORDER BY version");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), 10);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), 20);
}

TEST(StoreMigrations, AFailingMigrationIsRolledBackAndReported) {
    TempDir dir;
    const Migration migrations[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                                    {2, "broken", "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);"}};
    auto conn = sqlite::Connection::open(dir.file("m.db"), sqlite::OpenMode::ReadWriteCreate);
    auto applied = apply_migrations(conn, migrations, at(10));
    ASSERT_FALSE(applied.ok());
    EXPECT_EQ(applied.error().code, Errc::Internal);
    EXPECT_NE(applied.error().message.find("0002_broken"), std::string::npos) << applied.error().message;
    EXPECT_EQ(schema_version(conn), 1);
    EXPECT_FALSE(conn.in_transaction());
    auto q = conn.query("SELECT 1 FROM sqlite_schema WHERE name = 'b'");
    EXPECT_FALSE(q.step());
}

TEST(StoreMigrations, MigrationsWithGapsAreABuildBug) {
    TempDir dir;
    const Migration migrations[] = {{1, "one", "SELECT 1"}, {3, "three", "SELECT 1"}};
    auto conn = sqlite::Connection::open(dir.file("m.db"), sqlite::OpenMode::ReadWriteCreate);
    EXPECT_THROW((void)apply_migrations(conn, migrations, at(1)), std::logic_error);
}

TEST(StoreMigrations, RefusesADatabaseNewerThanTheBinary) {
    TempDir dir;
    open_db(dir.file("redred.db"))->close();
    {
        auto conn = sqlite::Connection::open(dir.file("redred.db"), sqlite::OpenMode::ReadWriteCreate);
        conn.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)");
    }
    auto db = Database::open(dir.file("redred.db"));
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, Errc::Unavailable);
    EXPECT_NE(db.error().message.find("9999 is newer than this redred supports"), std::string::npos)
        << db.error().message;
}

TEST(StoreMigrations, OpenReportsFilesThatCannotBeUsed) {
    TempDir dir;
    auto missing_dir = Database::open(dir.file("no/such/dir/redred.db"));
    ASSERT_FALSE(missing_dir.ok());
    EXPECT_EQ(missing_dir.error().code, Errc::Unavailable);

    std::ofstream(dir.file("garbage.db")) << std::string(8192, 'x');
    auto garbage = Database::open(dir.file("garbage.db"));
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().code, Errc::Unavailable);
    EXPECT_NE(garbage.error().message.find("not a database"), std::string::npos) << garbage.error().message;

    auto memory = Database::open(":memory:");
    ASSERT_FALSE(memory.ok());
    EXPECT_EQ(memory.error().code, Errc::BadInput);

    DatabaseOptions no_readers;
    no_readers.readers = 0;
    auto bad = Database::open(dir.file("ok.db"), no_readers);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::BadInput);
}

// ------------------------------------------------------------------------------------------------------------
// Migrations on PostgreSQL (the runner is the same; the lock and the catalog queries differ)

TEST(StoreMigrationsPostgres, BothDialectsHaveTheSameNumberedMigrations) {
    const auto sqlite_migrations = embedded_migrations(sql::Dialect::Sqlite);
    const auto postgres_migrations = embedded_migrations(sql::Dialect::Postgres);
    ASSERT_EQ(sqlite_migrations.size(), postgres_migrations.size());
    for (std::size_t i = 0; i < sqlite_migrations.size(); ++i) {
        EXPECT_EQ(sqlite_migrations[i].version, postgres_migrations[i].version);
        EXPECT_EQ(sqlite_migrations[i].name, postgres_migrations[i].name);
        EXPECT_NE(sqlite_migrations[i].sql, postgres_migrations[i].sql);
    }
}

TEST(StoreMigrationsPostgres, ProcessesStartingTogetherMigrateOnce) {
    FreshDatabase fresh(Backend::Postgres);
    constexpr int kProcesses = 4;  // each Database::open_postgres is what one redred process does at start
    std::vector<std::future<Result<std::unique_ptr<Database>>>> opening;
    for (int i = 0; i < kProcesses; ++i)
        opening.push_back(std::async(std::launch::async, [&] { return Database::open_postgres(fresh.location()); }));
    const int latest = static_cast<int>(embedded_migrations(sql::Dialect::Postgres).size());
    for (auto& f : opening) {
        ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
        auto db = f.get();
        ASSERT_TRUE(db.ok()) << db.error().message;
        EXPECT_EQ((*db)->schema_version(), latest);
        EXPECT_EQ((*db)->dialect(), sql::Dialect::Postgres);
    }
    auto conn = fresh.connect();
    EXPECT_EQ(test_support::count_rows(*conn, "schema_migrations"), latest);
    for (const char* table : {"users", "sessions", "live_streams", "live_stream_comments", "stream_moderators",
                              "stream_vips", "stream_sanctions", "viewer_samples", "recordings", "stream_keys",
                              "moderation_actions"}) {
        auto q = conn->query("SELECT 1 FROM information_schema.tables WHERE table_name = ?1");
        q.bind_all(std::string_view(table));
        EXPECT_TRUE(q.step()) << table;
    }
}

TEST(StoreMigrationsPostgres, AFailingMigrationIsRolledBackAndReported) {
    FreshDatabase fresh(Backend::Postgres);
    const Migration migrations[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                                    {2, "broken", "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);"}};
    auto conn = fresh.connect();
    auto applied = apply_migrations(*conn, migrations, at(10));
    ASSERT_FALSE(applied.ok());
    EXPECT_EQ(applied.error().code, Errc::Internal);
    EXPECT_NE(applied.error().message.find("0002_broken"), std::string::npos) << applied.error().message;
    EXPECT_EQ(schema_version(*conn), 1);
    EXPECT_FALSE(conn->in_transaction());
    EXPECT_FALSE(conn->query("SELECT 1 FROM information_schema.tables WHERE table_name = 'b'").step());
    // The advisory lock was given back: another session can migrate at once.
    auto other = fresh.connect();
    EXPECT_EQ(*apply_migrations(*other, std::span(migrations, 1), at(20)), 0);
}

TEST(StoreMigrationsPostgres, RefusesADatabaseNewerThanTheBinary) {
    FreshDatabase fresh(Backend::Postgres);
    ASSERT_TRUE(Database::open_postgres(fresh.location()).ok());
    fresh.connect()->exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)");
    auto db = Database::open_postgres(fresh.location());
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, Errc::Unavailable);
    EXPECT_NE(db.error().message.find("9999 is newer than this redred supports"), std::string::npos)
        << db.error().message;
}

TEST(StoreMigrationsPostgres, UnreachableOrRefusedServersAreReportedWithoutThePassword) {
    auto& server = test::PostgresServer::shared();
    const int closed_port = test::find_free_port();
    auto nowhere = Database::open_any("postgres://redred:hunter2@127.0.0.1:" + std::to_string(closed_port) + "/x");
    ASSERT_FALSE(nowhere.ok());
    EXPECT_EQ(nowhere.error().code, Errc::Unavailable);
    EXPECT_EQ(nowhere.error().message.find("hunter2"), std::string::npos) << nowhere.error().message;
    EXPECT_NE(nowhere.error().message.find("redred:***@127.0.0.1"), std::string::npos) << nowhere.error().message;

    auto wrong_password = Database::open_any("postgres://redred:wrong@127.0.0.1:" + std::to_string(server.port()) + "/postgres");
    ASSERT_FALSE(wrong_password.ok());
    EXPECT_NE(wrong_password.error().message.find("password authentication failed"), std::string::npos)
        << wrong_password.error().message;
    EXPECT_EQ(wrong_password.error().message.find("wrong@"), std::string::npos) << wrong_password.error().message;
}

// ------------------------------------------------------------------------------------------------------------
// Store methods, synchronously on one connection

class StoreTest : public ::testing::TestWithParam<Backend> {
protected:
    FreshDatabase db_{GetParam()};
    std::unique_ptr<Store> owned_store_ = db_.migrated_store();
    Store& store_ = *owned_store_;

    UserId user(const std::string& name) {
        auto created = store_.create_user(name, "hash-" + name, at(1000));
        EXPECT_TRUE(created.ok()) << name;
        return created->id;
    }
};

TEST_P(StoreTest, CreatesAndFindsUsers) {
    auto created = store_.create_user("Alice", "argon2-hash", at(1234));
    ASSERT_TRUE(created.ok());
    EXPECT_GT(created->id, 0);
    EXPECT_EQ(created->username, "Alice");
    EXPECT_EQ(created->created_at, at(1234));

    auto by_id = store_.find_user(created->id);
    ASSERT_TRUE(by_id);
    EXPECT_EQ(by_id->username, "Alice");
    EXPECT_EQ(by_id->created_at, at(1234));

    auto by_name = store_.find_user_by_name("aLiCe");
    ASSERT_TRUE(by_name);
    EXPECT_EQ(by_name->id, created->id);
    EXPECT_EQ(by_name->username, "Alice");  // as registered

    auto credentials = store_.find_credentials("ALICE");
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->user.id, created->id);
    EXPECT_EQ(credentials->password_hash, "argon2-hash");

    EXPECT_FALSE(store_.find_user(created->id + 100));
    EXPECT_FALSE(store_.find_user_by_name("bob"));
    EXPECT_FALSE(store_.find_credentials("bob"));
}

TEST_P(StoreTest, UsernamesConflictRegardlessOfCase) {
    ASSERT_TRUE(store_.create_user("Alice", "h1", at(1)).ok());
    auto again = store_.create_user("aLICE", "h2", at(2));
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::Conflict);
    EXPECT_EQ(again.error().message, "username is taken");
    EXPECT_EQ(again.error().field, "username");
    EXPECT_EQ(store_.find_credentials("alice")->password_hash, "h1");
    EXPECT_TRUE(store_.create_user("Alice2", "h3", at(3)).ok());
}

TEST_P(StoreTest, SessionsFindTheirUserUntilTheyExpire) {
    const UserId alice = user("alice");
    store_.create_session("hash-a", alice, at(1000), at(2000));
    store_.create_session("hash-b", alice, at(1000), at(5000));

    auto found = store_.find_session_user("hash-a", at(1999));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, alice);
    EXPECT_EQ(found->username, "alice");
    EXPECT_FALSE(store_.find_session_user("hash-a", at(2000)));  // expires_at is exclusive
    EXPECT_FALSE(store_.find_session_user("unknown", at(1500)));

    EXPECT_EQ(store_.delete_expired_sessions(at(2000)), 1);
    EXPECT_EQ(store_.delete_expired_sessions(at(2000)), 0);
    EXPECT_TRUE(store_.find_session_user("hash-b", at(2000)));
    store_.delete_session("hash-b");
    EXPECT_FALSE(store_.find_session_user("hash-b", at(2000)));
    store_.delete_session("hash-b");  // deleting twice is fine
}

TEST_P(StoreTest, NewStreamsWait) {
    const UserId alice = user("alice");
    const StreamRow row = store_.create_stream(alice, "Speedrun", "any% glitchless", at(5000));
    EXPECT_GT(row.id, 0);
    EXPECT_EQ(row.streamer_id, alice);
    EXPECT_EQ(row.streamer_username, "alice");
    EXPECT_EQ(row.title, "Speedrun");
    EXPECT_EQ(row.description, "any% glitchless");
    EXPECT_EQ(row.status, StreamStatus::Waiting);
    EXPECT_EQ(row.created_at, at(5000));
    EXPECT_FALSE(row.started_at);
    EXPECT_FALSE(row.ended_at);
    EXPECT_EQ(row.viewers_count, 0);
    EXPECT_EQ(row.peak_viewers, 0);
    EXPECT_FALSE(row.last_viewer_at);
    EXPECT_FALSE(store_.find_stream(row.id + 1));
}

TEST_P(StoreTest, StreamLifecycleSettersFollowTheStatusOrder) {
    const UserId alice = user("alice");
    const StreamId id = store_.create_stream(alice, "t", "", at(1000)).id;

    EXPECT_TRUE(store_.set_stream_live(id, at(2000)));
    EXPECT_TRUE(store_.set_stream_live(id, at(2500)));  // already live: no-op
    auto live = store_.find_stream(id);
    EXPECT_EQ(live->status, StreamStatus::Live);
    EXPECT_EQ(live->started_at, at(2000));

    EXPECT_TRUE(store_.set_stream_ended(id, at(3000)));
    EXPECT_FALSE(store_.set_stream_ended(id, at(3500)));
    EXPECT_FALSE(store_.set_stream_live(id, at(4000)));  // ended never goes back to live
    auto ended = store_.find_stream(id);
    EXPECT_EQ(ended->status, StreamStatus::Ended);
    EXPECT_EQ(ended->started_at, at(2000));
    EXPECT_EQ(ended->ended_at, at(3000));

    const StreamId never_live = store_.create_stream(alice, "t2", "", at(1000)).id;
    EXPECT_TRUE(store_.set_stream_ended(never_live, at(1500)));
    EXPECT_FALSE(store_.find_stream(never_live)->started_at);

    EXPECT_FALSE(store_.set_stream_live(9999, at(1)));
    EXPECT_FALSE(store_.set_stream_ended(9999, at(1)));
}

TEST_P(StoreTest, ListsStreamsNewestFirstWithFiltersAndPages) {
    const UserId alice = user("alice");
    const UserId bob = user("bob");
    const StreamId s1 = store_.create_stream(alice, "s1", "", at(1000)).id;
    const StreamId s2 = store_.create_stream(bob, "s2", "", at(3000)).id;
    const StreamId s3 = store_.create_stream(alice, "s3", "", at(2000)).id;
    const StreamId s4 = store_.create_stream(bob, "s4", "", at(3000)).id;  // same time as s2: higher id first
    const StreamId s5 = store_.create_stream(alice, "s5", "", at(500)).id;
    store_.set_stream_live(s2, at(4000));
    store_.set_stream_live(s3, at(4000));
    store_.set_stream_ended(s5, at(4000));

    auto ids = [](const std::vector<StreamRow>& rows) {
        std::vector<StreamId> out;
        for (const auto& r : rows) out.push_back(r.id);
        return out;
    };
    EXPECT_EQ(ids(store_.list_streams(std::nullopt, 10, 0)), (std::vector<StreamId>{s4, s2, s3, s1, s5}));
    EXPECT_EQ(ids(store_.list_streams(std::nullopt, 2, 1)), (std::vector<StreamId>{s2, s3}));
    EXPECT_EQ(ids(store_.list_streams(std::nullopt, 10, 4)), (std::vector<StreamId>{s5}));
    EXPECT_TRUE(store_.list_streams(std::nullopt, 10, 5).empty());
    EXPECT_TRUE(store_.list_streams(std::nullopt, 0, 0).empty());
    EXPECT_TRUE(store_.list_streams(std::nullopt, -1, 0).empty());  // negative: nothing, not "no limit"
    EXPECT_EQ(ids(store_.list_streams(StreamStatus::Live, 10, 0)), (std::vector<StreamId>{s2, s3}));
    EXPECT_EQ(ids(store_.list_streams(StreamStatus::Live, 1, 1)), (std::vector<StreamId>{s3}));
    EXPECT_EQ(ids(store_.list_streams(StreamStatus::Waiting, 10, 0)), (std::vector<StreamId>{s4, s1}));
    EXPECT_EQ(store_.list_streams(StreamStatus::Live, 10, 0)[0].streamer_username, "bob");

    EXPECT_EQ(store_.count_streams(std::nullopt), 5);
    EXPECT_EQ(store_.count_streams(StreamStatus::Live), 2);
    EXPECT_EQ(store_.count_streams(StreamStatus::Waiting), 2);
    EXPECT_EQ(store_.count_streams(StreamStatus::Ended), 1);

    EXPECT_EQ(ids(store_.streams_with_status(StreamStatus::Live)), (std::vector<StreamId>{s2, s3}));
    EXPECT_EQ(ids(store_.streams_with_status(StreamStatus::Waiting)), (std::vector<StreamId>{s1, s4}));
}

TEST_P(StoreTest, RecentlyEndedListsNewestEndFirst) {
    const UserId alice = user("alice");
    std::vector<StreamId> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(store_.create_stream(alice, "s", "", at(1000 + i)).id);
    store_.set_stream_ended(ids[0], at(9000));
    store_.set_stream_ended(ids[1], at(7000));
    store_.set_stream_ended(ids[2], at(8000));  // ids[3] stays waiting

    auto rows = store_.list_recently_ended(10);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].id, ids[0]);
    EXPECT_EQ(rows[1].id, ids[2]);
    EXPECT_EQ(rows[2].id, ids[1]);
    EXPECT_EQ(store_.list_recently_ended(1).size(), 1u);
}

TEST_P(StoreTest, ViewerCountsKeepTheirPeak) {
    const StreamId id = store_.create_stream(user("alice"), "t", "", at(1000)).id;
    store_.set_viewers(id, 2, 2, at(2000));
    auto row = store_.find_stream(id);
    EXPECT_EQ(row->viewers_count, 2);
    EXPECT_EQ(row->peak_viewers, 2);
    EXPECT_EQ(row->last_viewer_at, at(2000));

    store_.set_viewers(id, 1, 1, std::nullopt);  // e.g. counted again from zero after a restart
    row = store_.find_stream(id);
    EXPECT_EQ(row->viewers_count, 1);
    EXPECT_EQ(row->peak_viewers, 2);
    EXPECT_FALSE(row->last_viewer_at);

    store_.set_viewers(id, 7, 5, at(3000));  // peak is never below the current count
    EXPECT_EQ(store_.find_stream(id)->peak_viewers, 7);
}

TEST_P(StoreTest, CommentsAreSoftDeleted) {
    const UserId alice = user("alice");
    const UserId mod = user("mod");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    const StreamId other = store_.create_stream(alice, "t", "", at(1000)).id;

    const CommentRow c = store_.add_comment(stream, alice, "¡Hola! 👋", at(2000));
    EXPECT_GT(c.id, 0);
    EXPECT_EQ(c.stream_id, stream);
    EXPECT_EQ(c.user_id, alice);
    EXPECT_EQ(c.username, "alice");
    EXPECT_EQ(c.content, "¡Hola! 👋");
    EXPECT_EQ(c.created_at, at(2000));
    EXPECT_EQ(store_.find_comment(c.id)->content, "¡Hola! 👋");
    EXPECT_EQ(store_.count_comments(stream), 1);

    EXPECT_FALSE(store_.delete_comment(other, c.id, mod, at(3000)));  // not in that stream
    EXPECT_TRUE(store_.delete_comment(stream, c.id, mod, at(3000)));
    EXPECT_FALSE(store_.delete_comment(stream, c.id, mod, at(3001)));  // already deleted
    EXPECT_FALSE(store_.find_comment(c.id));
    EXPECT_EQ(store_.count_comments(stream), 0);
    EXPECT_TRUE(store_.recent_comments(stream, 10).empty());

    // The row stays, with who deleted it and when.
    auto q = store_.connection().query("SELECT deleted_at, deleted_by FROM live_stream_comments WHERE id = ?1");
    q.bind_all(c.id);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), 3000);
    EXPECT_EQ(q.int64(1), mod);
}

TEST_P(StoreTest, CommentListsAreChronological) {
    const UserId alice = user("alice");
    const UserId bob = user("bob");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    const StreamId other = store_.create_stream(alice, "t", "", at(1000)).id;
    std::vector<CommentId> ids;
    for (int i = 0; i < 6; ++i) {
        ids.push_back(store_.add_comment(stream, i % 2 ? bob : alice, "c" + std::to_string(i), at(2000 + i)).id);
    }
    store_.add_comment(other, bob, "elsewhere", at(2002));
    ASSERT_TRUE(store_.delete_comment(stream, ids[4], alice, at(3000)));

    auto contents = [](const std::vector<CommentRow>& rows) {
        std::vector<std::string> out;
        for (const auto& r : rows) out.push_back(r.content);
        return out;
    };
    EXPECT_EQ(contents(store_.recent_comments(stream, 3)), (std::vector<std::string>{"c2", "c3", "c5"}));
    EXPECT_EQ(contents(store_.recent_comments(stream, 100)), (std::vector<std::string>{"c0", "c1", "c2", "c3", "c5"}));
    EXPECT_EQ(contents(store_.list_comments(stream, 2, 0)), (std::vector<std::string>{"c0", "c1"}));
    EXPECT_EQ(contents(store_.list_comments(stream, 2, 3)), (std::vector<std::string>{"c3", "c5"}));
    EXPECT_EQ(contents(store_.list_comments(stream, 10, 5)), std::vector<std::string>{});
    EXPECT_EQ(store_.list_comments(stream, 10, 0)[1].username, "bob");
    EXPECT_EQ(store_.count_comments(stream), 5);
    EXPECT_EQ(store_.count_comments(other), 1);
}

TEST_P(StoreTest, RolesAreGrantedOncePerStream) {
    const UserId alice = user("alice");
    const UserId bob = user("bob");
    const UserId carol = user("carol");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    const StreamId other = store_.create_stream(alice, "t", "", at(1000)).id;

    EXPECT_TRUE(store_.add_moderator(stream, carol, at(2000)));
    EXPECT_TRUE(store_.add_moderator(stream, bob, at(2001)));
    EXPECT_FALSE(store_.add_moderator(stream, bob, at(2002)));
    EXPECT_TRUE(store_.add_vip(stream, bob, at(2003)));
    EXPECT_FALSE(store_.add_vip(stream, bob, at(2004)));
    EXPECT_TRUE(store_.add_vip(other, carol, at(2005)));

    RoleLists lists = store_.roles(stream);
    ASSERT_EQ(lists.moderators.size(), 2u);
    EXPECT_EQ(lists.moderators[0].username, "carol");  // appointment order
    EXPECT_EQ(lists.moderators[1].username, "bob");
    ASSERT_EQ(lists.vips.size(), 1u);
    EXPECT_EQ(lists.vips[0].id, bob);

    EXPECT_TRUE(store_.remove_moderator(stream, carol));
    EXPECT_FALSE(store_.remove_moderator(stream, carol));
    EXPECT_TRUE(store_.remove_vip(stream, bob));
    EXPECT_FALSE(store_.remove_vip(stream, bob));
    lists = store_.roles(stream);
    ASSERT_EQ(lists.moderators.size(), 1u);
    EXPECT_EQ(lists.moderators[0].id, bob);
    EXPECT_TRUE(lists.vips.empty());
    EXPECT_EQ(store_.roles(other).vips.size(), 1u);
}

TEST_P(StoreTest, SanctionsExpireAndCanBeLifted) {
    const UserId alice = user("alice");
    const UserId bob = user("bob");
    const UserId carol = user("carol");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    store_.add_sanction(stream, bob, SanctionKind::Timeout, at(10'000), alice, at(2000));
    store_.add_sanction(stream, carol, SanctionKind::Kick, at(50'000), alice, at(2001));
    store_.add_sanction(stream, bob, SanctionKind::Kick, at(30'000), alice, at(2002));

    auto active = store_.active_sanctions(stream, at(5000));
    ASSERT_EQ(active.size(), 3u);
    EXPECT_EQ(active[0].user_id, bob);
    EXPECT_EQ(active[0].username, "bob");
    EXPECT_EQ(active[0].kind, SanctionKind::Timeout);
    EXPECT_EQ(active[0].until, at(10'000));
    EXPECT_EQ(active[0].created_by, alice);
    EXPECT_EQ(active[0].created_at, at(2000));
    EXPECT_EQ(active[0].stream_id, stream);

    active = store_.active_sanctions(stream, at(10'000));  // until is exclusive
    ASSERT_EQ(active.size(), 2u);
    EXPECT_EQ(active[0].username, "carol");
    EXPECT_EQ(active[1].kind, SanctionKind::Kick);

    EXPECT_EQ(store_.lift_sanctions(stream, bob, SanctionKind::Kick), 1);
    EXPECT_EQ(store_.lift_sanctions(stream, bob, SanctionKind::Kick), 0);
    active = store_.active_sanctions(stream, at(5000));
    ASSERT_EQ(active.size(), 2u);
    EXPECT_EQ(active[0].kind, SanctionKind::Timeout);
    EXPECT_TRUE(store_.active_sanctions(stream, at(60'000)).empty());
}

TEST_P(StoreTest, ModerationLogIsReadNewestFirstWithNames) {
    const UserId alice = user("alice");
    const UserId mod = user("mod");
    const UserId bob = user("bob");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    const StreamId other = store_.create_stream(alice, "t", "", at(1000)).id;
    const CommentId comment = store_.add_comment(stream, bob, "rude", at(1500)).id;

    auto entry = [&](UserId actor, ModerationKind action, UserId target, std::int64_t ms) {
        ModerationActionRow row;
        row.stream_id = stream;
        row.actor_id = actor;
        row.action = action;
        row.target_id = target;
        row.created_at = at(ms);
        return row;
    };
    ModerationActionRow warn = entry(mod, ModerationKind::Warn, bob, 2000);
    warn.reason = "¡basta! 🙅";
    const ModerationActionRow stored = store_.add_moderation_action(warn);
    EXPECT_GT(stored.id, 0);
    EXPECT_EQ(stored.stream_id, stream);
    EXPECT_EQ(stored.actor_username, "mod");
    EXPECT_EQ(stored.target_username, "bob");
    EXPECT_EQ(stored.action, ModerationKind::Warn);
    EXPECT_EQ(stored.reason, std::optional<std::string>("¡basta! 🙅"));
    EXPECT_EQ(stored.seconds, std::nullopt);
    EXPECT_EQ(stored.comment_id, std::nullopt);
    EXPECT_EQ(stored.created_at, at(2000));

    ModerationActionRow deleted = entry(mod, ModerationKind::DeleteComment, bob, 3000);
    deleted.comment_id = comment;
    store_.add_moderation_action(deleted);
    ModerationActionRow timeout = entry(alice, ModerationKind::Timeout, bob, 3000);  // same millisecond
    timeout.seconds = 60;
    timeout.reason = "spam";
    store_.add_moderation_action(timeout);
    store_.add_moderation_action(entry(alice, ModerationKind::AddModerator, mod, 4000));
    ModerationActionRow elsewhere = entry(alice, ModerationKind::Kick, bob, 5000);
    elsewhere.stream_id = other;
    elsewhere.seconds = 600;
    store_.add_moderation_action(elsewhere);

    auto log = store_.list_moderation_actions(stream, 10, 0);
    ASSERT_EQ(log.size(), 4u);
    EXPECT_EQ(log[0].action, ModerationKind::AddModerator);
    EXPECT_EQ(log[0].actor_username, "alice");
    EXPECT_EQ(log[0].target_username, "mod");
    EXPECT_EQ(log[1].action, ModerationKind::Timeout);  // the later insert first within one millisecond
    EXPECT_EQ(log[1].seconds, std::optional<std::int64_t>(60));
    EXPECT_EQ(log[1].reason, std::optional<std::string>("spam"));
    EXPECT_EQ(log[2].action, ModerationKind::DeleteComment);
    EXPECT_EQ(log[2].comment_id, std::optional<CommentId>(comment));
    EXPECT_EQ(log[2].reason, std::nullopt);
    EXPECT_EQ(log[3].action, ModerationKind::Warn);
    EXPECT_EQ(store_.count_moderation_actions(stream), 4);
    EXPECT_EQ(store_.count_moderation_actions(other), 1);

    auto page = store_.list_moderation_actions(stream, 2, 2);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].action, ModerationKind::DeleteComment);
    EXPECT_EQ(page[1].action, ModerationKind::Warn);
    EXPECT_TRUE(store_.list_moderation_actions(stream, 10, 4).empty());
    EXPECT_EQ(store_.list_moderation_actions(other, 10, 0)[0].action, ModerationKind::Kick);
}

TEST_P(StoreTest, ModerationKindsHaveStableNames) {
    for (auto kind : {ModerationKind::Warn, ModerationKind::DeleteComment, ModerationKind::Timeout,
                      ModerationKind::Kick, ModerationKind::AddModerator, ModerationKind::RemoveModerator,
                      ModerationKind::AddVip, ModerationKind::RemoveVip})
        EXPECT_EQ(parse_moderation_kind(moderation_kind_name(kind)), kind);
    EXPECT_STREQ(moderation_kind_name(ModerationKind::DeleteComment), "delete_comment");
    EXPECT_STREQ(moderation_kind_name(ModerationKind::RemoveVip), "remove_vip");
    EXPECT_EQ(parse_moderation_kind("ban"), std::nullopt);
    // The table refuses names the code does not know.
    const UserId alice = user("alice");
    const StreamId stream = store_.create_stream(alice, "t", "", at(1000)).id;
    auto insert = [&](std::string_view action) {
        store_.connection()
            .query("INSERT INTO moderation_actions (live_stream_id, actor_id, action, target_id, created_at)"
                   " VALUES (?1, ?2, ?3, ?2, 1)")
            .bind_all(stream, alice, action)
            .run();
    };
    EXPECT_NO_THROW(insert("kick"));
    EXPECT_THROW(insert("ban"), StoreError);
}

TEST_P(StoreTest, ViewerSamplesComeBackInTimeOrder) {
    const StreamId stream = store_.create_stream(user("alice"), "t", "", at(1000)).id;
    store_.add_viewer_sample(stream, at(3000), 5);
    store_.add_viewer_sample(stream, at(1000), 1);
    store_.add_viewer_sample(stream, at(2000), 3);
    auto samples = store_.viewer_samples(stream);
    ASSERT_EQ(samples.size(), 3u);
    EXPECT_EQ(samples[0].at, at(1000));
    EXPECT_EQ(samples[0].viewers, 1);
    EXPECT_EQ(samples[2].viewers, 5);
    EXPECT_TRUE(store_.viewer_samples(stream + 1).empty());
}

TEST_P(StoreTest, ForeignKeysAreEnforced) {
    try {
        store_.add_comment(12345, 67890, "orphan", at(1));
        FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
        if (GetParam() == Backend::Sqlite) {
            EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_FOREIGNKEY);
        }
        EXPECT_TRUE(contains_ignoring_case(e.what(), "foreign key")) << e.what();
    }
    EXPECT_THROW(store_.create_stream(42, "no such streamer", "", at(1)), StoreError);
}

TEST_P(StoreTest, SchemaVersionAndStatementCache) {
    EXPECT_EQ(store_.schema_version(), static_cast<int>(embedded_migrations(store_.dialect()).size()));
    const StreamId stream = store_.create_stream(user("alice"), "t", "", at(1000)).id;
    const auto before = store_.connection().cached_statements();
    for (int i = 0; i < 50; ++i) {
        store_.find_stream(stream);
        store_.list_streams(std::nullopt, 10, 0);
    }
    EXPECT_EQ(store_.connection().cached_statements(), before + 1);  // list_streams was the only new statement
}

TEST_P(StoreTest, HotQueriesUseIndexesInsteadOfSorting) {
    const bool sqlite = GetParam() == Backend::Sqlite;
    // PostgreSQL plans tiny tables with sequential scans and sorts whatever the indexes: forbid both, so a plan
    // still sorting means no index serves the order.
    if (!sqlite) store_.connection().exec("SET enable_seqscan = off; SET enable_sort = off");
    auto plan = [&](const std::string& sql) {
        std::string text;
        if (sqlite) {
            auto q = store_.connection().query("EXPLAIN QUERY PLAN " + sql);
            while (q.step()) text += q.text(3) + "\n";
        } else {
            auto q = store_.connection().query("EXPLAIN " + sql);
            while (q.step()) text += q.text(0) + "\n";
        }
        return text;
    };
    const std::string sample_order = sqlite ? "rowid" : "id";
    for (const std::string& sql : {
             std::string("SELECT s.title, u.username FROM live_streams s JOIN users u ON u.id = s.streamer_id"
                         " ORDER BY s.created_at DESC, s.id DESC LIMIT 10"),
             std::string("SELECT s.title, u.username FROM live_streams s JOIN users u ON u.id = s.streamer_id"
                         " WHERE s.status = 'live' ORDER BY s.created_at DESC, s.id DESC LIMIT 10"),
             std::string("SELECT s.title, u.username FROM live_streams s JOIN users u ON u.id = s.streamer_id"
                         " WHERE s.status = 'ended' ORDER BY s.ended_at DESC, s.id DESC LIMIT 10"),
             std::string("SELECT c.content, u.username FROM live_stream_comments c JOIN users u ON u.id = c.user_id"
                         " WHERE c.live_stream_id = 1 AND c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC"
                         " LIMIT 50"),
             std::string("SELECT c.content, u.username FROM live_stream_comments c JOIN users u ON u.id = c.user_id"
                         " WHERE c.live_stream_id = 1 AND c.deleted_at IS NULL ORDER BY c.created_at, c.id LIMIT 50"
                         " OFFSET 10"),
             "SELECT at FROM viewer_samples WHERE live_stream_id = 1 ORDER BY at, " + sample_order,
             std::string("SELECT m.action, a.username FROM moderation_actions m JOIN users a ON a.id = m.actor_id"
                         " WHERE m.live_stream_id = 1 ORDER BY m.created_at DESC, m.id DESC LIMIT 20"),
         }) {
        const std::string text = plan(sql);
        if (sqlite) {
            EXPECT_EQ(text.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << text;
            EXPECT_EQ(text.find("SCAN c\n"), std::string::npos) << sql << "\n" << text;
        } else {
            EXPECT_EQ(text.find("Sort"), std::string::npos) << sql << "\n" << text;
            EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << sql << "\n" << text;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, test_support::kBothBackends, test_support::backend_name);

// ------------------------------------------------------------------------------------------------------------
// Database: writer batching, savepoints, durability of acknowledgements, readers, close

class StoreDatabase : public ::testing::TestWithParam<Backend> {
protected:
    FreshDatabase fresh_{GetParam()};
};

TEST_P(StoreDatabase, ConcurrentWritesAreBatched) {
    DatabaseOptions options;
    options.max_batch = 64;
    Outcomes outcomes;  // outlives db: done callbacks write to it
    auto db = open_db(fresh_.location(), options);
    Gate gate;
    ASSERT_TRUE(write_sync(*db, [](Store& s) {
                    const UserId alice = s.create_user("alice", "h", at(1))->id;  // user 1
                    s.create_stream(alice, "t", "", at(1));                        // stream 1
                }).first);
    const auto batches_before = db->committed_batches();

    // The first job holds the writer until every producer has queued its writes.
    hold_writer(*db, gate, outcomes, -1);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 100;
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const int n = t * kPerThread + i;
                db->write([n](Store& s) { s.add_comment(1, 1, "m" + std::to_string(n), at(1000 + n)); },
                          outcomes.callback(n));
            }
        });
    }
    for (auto& p : producers) p.join();
    EXPECT_EQ(db->queued_writes(), static_cast<std::size_t>(kThreads * kPerThread));
    gate.open();
    ASSERT_TRUE(outcomes.wait_for_count(kThreads * kPerThread + 1));
    for (int n = -1; n < kThreads * kPerThread; ++n) EXPECT_TRUE(outcomes.get(n).first) << n;

    const auto batches = db->committed_batches() - batches_before;
    EXPECT_LE(batches, 1u + (kThreads * kPerThread + 63) / 64);  // the gate's batch, then full batches of 64
    EXPECT_LT(batches, static_cast<std::uint64_t>(kThreads * kPerThread));
    EXPECT_EQ(read_sync<int>(*db, [](Store& s) { return s.count_comments(1); }), kThreads * kPerThread);
}

TEST_P(StoreDatabase, AFailingJobIsRolledBackAloneAndReported) {
    Outcomes outcomes;  // outlives db: done callbacks write to it
    auto db = open_db(fresh_.location());
    ASSERT_TRUE(write_sync(*db, [](Store& s) {
                    const UserId alice = s.create_user("alice", "h", at(1))->id;
                    s.create_stream(alice, "t", "", at(1));
                }).first);
    const auto batches_before = db->committed_batches();

    Gate gate;
    hold_writer(*db, gate, outcomes, 0);
    db->write([](Store& s) { s.add_comment(1, 1, "first", at(10)); }, outcomes.callback(1));
    db->write(
        [](Store& s) {
            s.add_comment(1, 1, "written then undone", at(11));
            throw std::runtime_error("job changed its mind");
        },
        outcomes.callback(2));
    db->write([](Store& s) { s.add_comment(999, 1, "no such stream", at(12)); }, outcomes.callback(3));
    db->write([](Store& s) { s.add_comment(1, 1, "last", at(13)); }, outcomes.callback(4));
    gate.open();
    ASSERT_TRUE(outcomes.wait_for_count(5));

    EXPECT_TRUE(outcomes.get(1).first);
    EXPECT_FALSE(outcomes.get(2).first);
    EXPECT_EQ(outcomes.get(2).second, "job changed its mind");
    EXPECT_FALSE(outcomes.get(3).first);
    EXPECT_TRUE(contains_ignoring_case(outcomes.get(3).second, "foreign key")) << outcomes.get(3).second;
    EXPECT_TRUE(outcomes.get(4).first);
    EXPECT_EQ(db->committed_batches() - batches_before, 2u);  // the gate's, then the other four together

    auto contents = read_sync<std::vector<std::string>>(*db, [](Store& s) {
        std::vector<std::string> out;
        for (const auto& c : s.list_comments(1, 10, 0)) out.push_back(c.content);
        return out;
    });
    EXPECT_EQ(contents, (std::vector<std::string>{"first", "last"}));
}

TEST_P(StoreDatabase, DoneIsCalledOnlyAfterCommit) {
    std::atomic<int> seen_by_other_connection{0};
    std::atomic<int> calls{0};
    std::promise<void> all_done;
    auto db = open_db(fresh_.location());
    constexpr int kWrites = 20;
    for (int i = 0; i < kWrites; ++i) {
        const std::string name = "user" + std::to_string(i);
        db->write([name](Store& s) { ASSERT_TRUE(s.create_user(name, "h", at(1)).ok()); },
                  [&, name](bool ok, std::string) {
                      // A separate connection only sees committed data.
                      auto other = fresh_.connect();
                      auto q = other->query("SELECT 1 FROM users WHERE username = ?1");
                      q.bind_all(name);
                      if (ok && q.step()) ++seen_by_other_connection;
                      if (++calls == kWrites) all_done.set_value();
                  });
    }
    ASSERT_EQ(all_done.get_future().wait_for(kWait), std::future_status::ready);
    EXPECT_EQ(seen_by_other_connection.load(), kWrites);
}

TEST_P(StoreDatabase, ReadsRunOnReaderThreadsAndSeeCommittedData) {
    DatabaseOptions options;
    options.readers = 3;
    auto db = open_db(fresh_.location(), options);
    ASSERT_TRUE(write_sync(*db, [](Store& s) { (void)s.create_user("alice", "h", at(1)); }).first);

    const auto test_thread = std::this_thread::get_id();
    std::mutex mutex;
    std::set<std::thread::id> threads;
    std::vector<std::future<bool>> answers;
    for (int i = 0; i < 30; ++i) {
        auto promise = std::make_shared<std::promise<bool>>();
        answers.push_back(promise->get_future());
        db->read([&, promise](Store& s) {
            {
                std::lock_guard lock(mutex);
                threads.insert(std::this_thread::get_id());
            }
            std::this_thread::sleep_for(2ms);  // let the other readers take some jobs
            promise->set_value(s.find_user_by_name("alice").has_value());
        });
    }
    for (auto& a : answers) {
        ASSERT_EQ(a.wait_for(kWait), std::future_status::ready);
        EXPECT_TRUE(a.get());
    }
    EXPECT_EQ(threads.count(test_thread), 0u);
    EXPECT_GE(threads.size(), 2u);
    EXPECT_LE(threads.size(), 3u);

    // Reader connections are read-only.
    auto wrote = read_sync<bool>(*db, [](Store& s) {
        try {
            (void)s.create_user("mallory", "h", at(1));
            return true;
        } catch (const StoreError&) {
            return false;
        }
    });
    EXPECT_FALSE(wrote);
}

TEST_P(StoreDatabase, ReadersAreNotBlockedByAnOpenWriteTransaction) {
    Outcomes outcomes;  // outlives db: done callbacks write to it
    auto db = open_db(fresh_.location());
    ASSERT_TRUE(write_sync(*db, [](Store& s) { (void)s.create_user("alice", "h", at(1)); }).first);

    Gate gate;
    std::promise<void> inside;
    db->write(
        [&](Store& s) {
            (void)s.create_user("bob", "h", at(2));  // uncommitted while the gate is closed
            inside.set_value();
            gate.wait();
        },
        outcomes.callback(0));
    ASSERT_EQ(inside.get_future().wait_for(kWait), std::future_status::ready);
    // The writer holds its transaction open; readers still answer, from the last committed state.
    EXPECT_TRUE(read_sync<bool>(*db, [](Store& s) { return s.find_user_by_name("alice").has_value(); }));
    EXPECT_FALSE(read_sync<bool>(*db, [](Store& s) { return s.find_user_by_name("bob").has_value(); }));
    gate.open();
    ASSERT_TRUE(outcomes.wait_for_count(1));
    EXPECT_TRUE(read_sync<bool>(*db, [](Store& s) { return s.find_user_by_name("bob").has_value(); }));
}

TEST_P(StoreDatabase, AReadJobThatThrowsDoesNotStopItsThread) {
    DatabaseOptions options;
    options.readers = 1;
    auto db = open_db(fresh_.location(), options);
    EXPECT_TRUE(db->read([](Store&) { throw std::runtime_error("reader job bug (expected in this test)"); }));
    EXPECT_TRUE(db->read([](Store& s) { s.connection().query("SELECT * FROM no_such_table"); }));
    EXPECT_EQ(read_sync<int>(*db, [](Store& s) { return s.schema_version(); }),
              static_cast<int>(embedded_migrations(db->dialect()).size()));
}

TEST_P(StoreDatabase, TooManyQueuedWritesAreRefusedAtOnce) {
    DatabaseOptions options;
    options.max_queued_writes = 5;
    Outcomes outcomes;  // outlives db: done callbacks write to it
    auto db = open_db(fresh_.location(), options);
    Gate gate;
    hold_writer(*db, gate, outcomes, 0);  // taken off the queue
    for (int i = 1; i <= 5; ++i) db->write([](Store&) {}, outcomes.callback(i));
    EXPECT_EQ(outcomes.size(), 0u);
    db->write([](Store&) {}, outcomes.callback(6));
    ASSERT_EQ(outcomes.size(), 1u);  // answered before write() returned
    EXPECT_FALSE(outcomes.get(6).first);
    EXPECT_EQ(outcomes.get(6).second, "database is overloaded");
    gate.open();
    ASSERT_TRUE(outcomes.wait_for_count(7));
    for (int i = 0; i <= 5; ++i) EXPECT_TRUE(outcomes.get(i).first) << i;
}

TEST_P(StoreDatabase, CloseDrainsQueuedWritesAndRefusesNewWork) {
    Outcomes outcomes;  // outlives db: done callbacks write to it
    auto db = open_db(fresh_.location());
    ASSERT_TRUE(write_sync(*db, [](Store& s) {
                    const UserId alice = s.create_user("alice", "h", at(1))->id;
                    s.create_stream(alice, "t", "", at(1));
                }).first);

    Gate gate;
    hold_writer(*db, gate, outcomes, -1);
    constexpr int kWrites = 300;
    for (int i = 0; i < kWrites; ++i) {
        db->write([i](Store& s) { s.add_comment(1, 1, "m" + std::to_string(i), at(10 + i)); }, outcomes.callback(i));
    }
    std::thread opener([&] {
        std::this_thread::sleep_for(50ms);  // close() is already waiting by then
        gate.open();
    });
    db->close();
    opener.join();
    EXPECT_EQ(outcomes.size(), static_cast<std::size_t>(kWrites + 1));
    for (int i = 0; i < kWrites; ++i) EXPECT_TRUE(outcomes.get(i).first) << i;

    db->close();  // idempotent
    db->write([](Store&) {}, outcomes.callback(kWrites));
    EXPECT_FALSE(outcomes.get(kWrites).first);
    EXPECT_EQ(outcomes.get(kWrites).second, "database is closed");
    EXPECT_FALSE(db->read([](Store&) {}));
    db.reset();

    // Closing checkpointed SQLite's WAL; everything is in the file.
    if (GetParam() == Backend::Sqlite) {
        EXPECT_FALSE(fs::exists(fresh_.location() + "-wal"));
    }
    auto conn = fresh_.connect();
    EXPECT_EQ(test_support::count_rows(*conn, "live_stream_comments"), kWrites);
}

TEST_P(StoreDatabase, CloseFromADatabaseThreadIsRefused) {
    auto db = open_db(fresh_.location());
    auto result = write_sync(*db, [&](Store&) { db->close(); });
    EXPECT_FALSE(result.first);
    EXPECT_NE(result.second.find("must not be called from a database job"), std::string::npos) << result.second;

    // Also while another thread is inside close(), joining the writer that runs the callback: no deadlock.
    std::atomic<bool> refused{false};
    Outcomes outcomes;
    Gate gate;
    hold_writer(*db, gate, outcomes, 0);
    db->write([](Store&) {}, [&](bool, std::string) {
        try {
            db->close();
        } catch (const std::logic_error&) {
            refused = true;
        }
    });
    std::thread opener([&] {
        std::this_thread::sleep_for(50ms);
        gate.open();
    });
    db->close();
    opener.join();
    EXPECT_TRUE(refused.load());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreDatabase, test_support::kBothBackends, test_support::backend_name);

}  // namespace
}  // namespace redred::store
