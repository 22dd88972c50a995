#include "store/database.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "core/log.hpp"
#include "store/migrations.hpp"
#include "store/postgres/connection.hpp"

namespace redred::store {
namespace {

void configure(sqlite::Connection& conn, const DatabaseOptions& options) {
    conn.exec("PRAGMA busy_timeout = " + std::to_string(std::max(options.busy_timeout_ms, 0)));
    conn.exec("PRAGMA foreign_keys = ON");
}

std::string describe_exception(std::exception_ptr error) {
    try {
        std::rethrow_exception(std::move(error));
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

void name_thread(std::thread& thread, const std::string& name) {
    pthread_setname_np(thread.native_handle(), name.substr(0, 15).c_str());  // Linux allows 15 characters
}

// BEGIN, after reconnecting a connection the server dropped. A dead connection often shows only when used, so
// a failed BEGIN is retried once after a reset. Throws StoreError when the server is still unreachable.
void begin_transaction(sql::Connection& conn, const char* begin) {
    try {
        if (!conn.ensure_open()) throw StoreError("the database server is unreachable", 0);
        conn.exec(begin);
    } catch (const StoreError&) {
        if (conn.dialect() == sql::Dialect::Sqlite || !conn.ensure_open()) throw;
        conn.exec(begin);
    }
}

}  // namespace

Result<int> Database::check_options(const DatabaseOptions& options) {
    if (options.readers < 1) return make_error(Errc::BadInput, "database readers must be at least 1", "readers");
    if (options.max_batch < 1) return make_error(Errc::BadInput, "database max_batch must be at least 1", "max_batch");
    if (options.max_queued_writes < 1) {
        return make_error(Errc::BadInput, "database max_queued_writes must be at least 1", "max_queued_writes");
    }
    return 0;
}

Result<std::unique_ptr<Database>> Database::open_any(const std::string& location, DatabaseOptions options) {
    if (location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0)
        return open_postgres(location, options);
    return open(location, options);
}

Result<std::unique_ptr<Database>> Database::open_postgres(const std::string& url, DatabaseOptions options) {
    if (auto ok = check_options(options); !ok) return ok.error();
    std::unique_ptr<Store> writer;
    std::vector<std::unique_ptr<Store>> readers;
    int version = 0;
    try {
        auto conn = postgres::Connection::open(url);
        const std::string server = conn->server_version();
        const auto migrations = embedded_migrations(sql::Dialect::Postgres);
        if (migrations.empty()) {
            return make_error(Errc::Unavailable,
                              "this redred build has no schema migrations embedded; add "
                              "include(src/store/migrations/embed.cmake) to CMakeLists.txt and rebuild");
        }
        auto applied = apply_migrations(*conn, migrations, live::Clock::now());
        if (!applied) return applied.error();
        if (*applied > 0)
            log::get("store")->info("schema migrated database={} applied={}", postgres::redact_url(url), *applied);
        version = store::schema_version(*conn);
        log::get("store")->info("postgres connected database={} server={} schema={}", postgres::redact_url(url), server,
                                version);
        writer = std::make_unique<Store>(std::move(conn));
        for (int i = 0; i < options.readers; ++i)
            readers.push_back(std::make_unique<Store>(postgres::Connection::open(url)));
    } catch (const StoreError& e) {
        return make_error(Errc::Unavailable, std::string("cannot open the database: ") + e.what());
    }
    return std::unique_ptr<Database>(new Database(options, std::move(writer), std::move(readers), version));
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, DatabaseOptions options) {
    if (auto ok = check_options(options); !ok) return ok.error();
    // The readers open the same file on their own connections, so an in-memory or temporary database
    // (each connection would get a private one) cannot work.
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) {
        return make_error(Errc::BadInput, "database path must name a file, e.g. /var/lib/redred/redred.db", "path");
    }

    std::unique_ptr<Store> writer;
    std::vector<std::unique_ptr<Store>> readers;
    int version = 0;
    try {
        auto conn = sqlite::Connection::open(path, sqlite::OpenMode::ReadWriteCreate);
        configure(conn, options);
        // The first statement to read the file: a non-database file fails here.
        const std::string mode = conn.scalar_text("PRAGMA journal_mode = WAL");
        if (mode != "wal") {
            return make_error(Errc::Unavailable, "database " + path + " cannot use WAL mode (journal_mode is '" +
                                                     mode + "'); put it on a local filesystem");
        }
        conn.exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        // After a checkpoint, truncate a WAL that grew large (a burst of writes) back to 64 MiB.
        conn.exec("PRAGMA journal_size_limit = 67108864");

        const auto migrations = embedded_migrations(sql::Dialect::Sqlite);
        if (migrations.empty()) {
            return make_error(Errc::Unavailable,
                              "this redred build has no schema migrations embedded; add "
                              "include(src/store/migrations/embed.cmake) to CMakeLists.txt and rebuild");
        }
        auto applied = apply_migrations(conn, migrations, live::Clock::now());
        if (!applied) return applied.error();
        if (*applied > 0) log::get("store")->info("schema migrated path={} applied={}", path, *applied);
        version = store::schema_version(conn);

        writer = std::make_unique<Store>(std::move(conn));
        for (int i = 0; i < options.readers; ++i) {
            auto reader = sqlite::Connection::open(path, sqlite::OpenMode::ReadOnly);
            configure(reader, options);
            readers.push_back(std::make_unique<Store>(std::move(reader)));
        }
    } catch (const StoreError& e) {
        return make_error(Errc::Unavailable, "cannot open database " + path + ": " + e.what());
    }
    return std::unique_ptr<Database>(new Database(options, std::move(writer), std::move(readers), version));
}

Database::Database(DatabaseOptions options, std::unique_ptr<Store> writer,
                   std::vector<std::unique_ptr<Store>> readers, int schema_version)
    : options_(options),
      schema_version_(schema_version),
      writer_store_(std::move(writer)),
      reader_stores_(std::move(readers)) {
    writer_ = std::thread([this] { writer_loop(); });
    name_thread(writer_, "redred-db-write");
    thread_ids_.push_back(writer_.get_id());
    for (std::size_t i = 0; i < reader_stores_.size(); ++i) {
        readers_.emplace_back([this, store = reader_stores_[i].get()] { reader_loop(*store); });
        name_thread(readers_.back(), "redred-db-read" + std::to_string(i));
        thread_ids_.push_back(readers_.back().get_id());
    }
}

Database::~Database() { close(); }

void Database::write(Job job, Done done) {
    if (!job) throw std::invalid_argument("Database::write: empty job");
    const char* refusal = nullptr;
    {
        std::lock_guard lock(write_mutex_);
        if (writes_closed_) {
            refusal = "database is closed";
        } else if (writes_.size() >= static_cast<std::size_t>(options_.max_queued_writes)) {
            refusal = "database is overloaded";
        } else {
            writes_.push_back(WriteItem{std::move(job), std::move(done)});
        }
    }
    if (refusal) {
        if (done) done(false, refusal);
        return;
    }
    write_cv_.notify_one();
}

bool Database::read(Job job) {
    if (!job) throw std::invalid_argument("Database::read: empty job");
    {
        std::lock_guard lock(read_mutex_);
        if (reads_closed_) return false;
        reads_.push_back(std::move(job));
    }
    read_cv_.notify_one();
    return true;
}

std::size_t Database::queued_writes() const {
    std::lock_guard lock(write_mutex_);
    return writes_.size();
}

std::size_t Database::queued_reads() const {
    std::lock_guard lock(read_mutex_);
    return reads_.size();
}

bool Database::on_database_thread() const {
    return std::find(thread_ids_.begin(), thread_ids_.end(), std::this_thread::get_id()) != thread_ids_.end();
}

void Database::close() {
    // Checked before taking close_mutex_: a callback blocked on it while close() joins its thread would hang.
    if (on_database_thread()) {
        throw std::logic_error("Database::close must not be called from a database job or callback");
    }
    std::lock_guard close_lock(close_mutex_);
    if (closed_) return;
    {
        std::lock_guard lock(write_mutex_);
        writes_closed_ = true;
    }
    write_cv_.notify_all();
    {
        std::lock_guard lock(read_mutex_);
        reads_closed_ = true;
    }
    read_cv_.notify_all();
    writer_.join();
    for (auto& reader : readers_) reader.join();
    // Readers first: the last connection to close checkpoints the WAL into the main file, and only the
    // read-write one can do that.
    reader_stores_.clear();
    writer_store_.reset();
    closed_ = true;
}

void Database::writer_loop() {
    for (;;) {
        std::vector<WriteItem> batch;
        {
            std::unique_lock lock(write_mutex_);
            write_cv_.wait(lock, [&] { return writes_closed_ || !writes_.empty(); });
            if (writes_.empty()) return;  // closed and drained
            const auto n = std::min(writes_.size(), static_cast<std::size_t>(options_.max_batch));
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(writes_.front()));
                writes_.pop_front();
            }
        }
        run_batch(batch);
    }
}

void Database::run_batch(std::vector<WriteItem>& batch) {
    Store& store = *writer_store_;
    sql::Connection& conn = store.connection();
    const char* begin = conn.dialect() == sql::Dialect::Sqlite ? "BEGIN IMMEDIATE" : "BEGIN";
    std::vector<Outcome> outcomes(batch.size());

    // Normally one transaction for the whole batch. A job's failure costs only its savepoint, unless SQLite
    // itself rolled the transaction back (disk full, I/O error): then the jobs before it in that transaction
    // are lost too, reported as failed, and the rest of the batch continues in a new transaction.
    std::size_t next = 0;
    while (next < batch.size()) {
        const std::size_t first = next;
        const auto started = std::chrono::steady_clock::now();
        try {
            begin_transaction(conn, begin);
        } catch (const StoreError& e) {
            for (std::size_t i = first; i < batch.size(); ++i) {
                outcomes[i] = {false, std::string("cannot start a write transaction: ") + e.what()};
            }
            break;
        }

        bool transaction_lost = false;
        while (next < batch.size() && !transaction_lost) {
            const std::size_t i = next++;
            try {
                conn.exec("SAVEPOINT job");
                batch[i].job(store);
                conn.exec("RELEASE job");
                outcomes[i].ok = true;
            } catch (...) {
                outcomes[i] = {false, describe_exception(std::current_exception())};
                try {
                    if (!conn.in_transaction()) throw StoreError("transaction was rolled back by the database", 0);
                    conn.exec("ROLLBACK TO job");
                    conn.exec("RELEASE job");
                } catch (const StoreError&) {
                    transaction_lost = true;
                    try {
                        if (conn.in_transaction()) conn.exec("ROLLBACK");
                    } catch (const StoreError& e) {
                        log::get("store")->error("write rollback failed error={}", e.what());
                    }
                    for (std::size_t j = first; j < i; ++j) {
                        if (outcomes[j].ok) {
                            outcomes[j] = {false, "rolled back with its batch after another job failed: " +
                                                      outcomes[i].error};
                        }
                    }
                }
            }
        }
        if (transaction_lost) continue;

        try {
            conn.exec("COMMIT");
            committed_batches_.fetch_add(1);
            if (options_.on_commit) {
                std::size_t jobs = 0;
                for (std::size_t j = first; j < next; ++j) jobs += outcomes[j].ok ? 1 : 0;
                options_.on_commit(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started),
                                   jobs);
            }
        } catch (const StoreError& e) {
            try {
                if (conn.in_transaction()) conn.exec("ROLLBACK");
            } catch (const StoreError& rollback_error) {
                log::get("store")->error("write rollback failed error={}", rollback_error.what());
            }
            log::get("store")->error("write batch commit failed jobs={} error={}", next - first, e.what());
            for (std::size_t j = first; j < next; ++j) outcomes[j] = {false, std::string("commit failed: ") + e.what()};
        }
    }

    // Only now, after COMMIT returned, is each outcome final.
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].done) continue;
        try {
            batch[i].done(outcomes[i].ok, std::move(outcomes[i].error));
        } catch (...) {
            log::get("store")->error("write done callback threw error={}",
                                     describe_exception(std::current_exception()));
        }
    }
}

void Database::reader_loop(Store& store) {
    sql::Connection& conn = store.connection();
    // One snapshot for the whole job (SQLite's read transactions are snapshots already).
    const char* begin =
        conn.dialect() == sql::Dialect::Sqlite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    for (;;) {
        Job job;
        {
            std::unique_lock lock(read_mutex_);
            read_cv_.wait(lock, [&] { return reads_closed_ || !reads_.empty(); });
            if (reads_.empty()) return;  // closed and drained
            job = std::move(reads_.front());
            reads_.pop_front();
        }
        // One read transaction per job: every query in it sees the same snapshot. When no transaction can be
        // begun (the server is down) the job still runs: its own queries fail and it answers its caller with
        // the error, instead of the caller waiting for an answer that never comes.
        bool began = false;
        try {
            begin_transaction(conn, begin);
            began = true;
        } catch (const StoreError& e) {
            log::get("store")->warn("read transaction could not begin error={}", e.what());
        }
        try {
            job(store);
            if (began) conn.exec("COMMIT");
        } catch (...) {
            log::get("store")->error("read job threw error={}", describe_exception(std::current_exception()));
            try {
                if (conn.in_transaction()) conn.exec("ROLLBACK");
            } catch (const StoreError& e) {
                log::get("store")->error("read rollback failed error={}", e.what());
            }
        }
    }
}

}  // namespace redred::store
