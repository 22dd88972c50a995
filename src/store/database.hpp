// Database: owns the SQLite file's connections and the threads that use them, so no SQLite call ever runs
// on an I/O thread (STYLE §3). No Asio here; the Asio bridge posts results back from the callbacks.
//
// - One writer thread with the only read-write connection. write() queues a job; the writer takes everything
//   queued (up to max_batch) and runs it in ONE transaction (BEGIN IMMEDIATE ... COMMIT), each job inside its
//   own SAVEPOINT, so a job that throws is rolled back alone and reported. `done` runs on the writer thread
//   after COMMIT returned: an acknowledged write is in the WAL, which survives kill -9 of the process with
//   synchronous=NORMAL (the default) and also power loss with synchronous=FULL (an fsync per transaction).
// - `readers` reader threads, each with its own read-only connection. In WAL mode readers never block the
//   writer and the writer never blocks readers. Each read job runs in one read transaction, so it sees one
//   consistent snapshot of committed data.
//
// Callbacks must be quick and must not block: they run on the database threads (post the result to where it
// is needed). They must not call close() and must not begin or end transactions on the Store.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace redred::store {

struct DatabaseOptions {
    int readers = 2;                 // reader threads, each with its own read-only connection
    int max_batch = 256;             // most write jobs committed in one transaction
    int max_queued_writes = 10000;   // write() refuses beyond this many waiting jobs, so memory stays bounded
    bool synchronous_full = false;   // false: synchronous=NORMAL (survives a process crash; a power cut may lose
                                     // the last transactions). true: FULL (also survives power loss; slower)
    int busy_timeout_ms = 5000;      // how long to wait for a lock held by another process on the same file
    // Called on the writer thread after each COMMIT: how long the transaction took and how many jobs it held.
    std::function<void(std::chrono::microseconds elapsed, std::size_t jobs)> on_commit;
};

class Database {
public:
    using Job = std::function<void(Store&)>;
    using Done = std::function<void(bool ok, std::string error)>;

    // Opens or creates the file at `path` (its directory must exist), switches it to WAL, turns foreign keys
    // on, applies pending migrations and starts the threads. Errors: BadInput for bad options or a path that
    // is not a file; Unavailable when the file cannot be opened, is not a database, cannot use WAL or was
    // written by a newer redred; Internal when a migration fails.
    static Result<std::unique_ptr<Database>> open(const std::string& path, DatabaseOptions options = {});
    // The same on PostgreSQL (postgres://user[:password]@host:port/dbname): one writer connection, `readers`
    // reader connections, migrations applied under an advisory lock so processes starting together migrate
    // once. A dropped connection is reset before the next transaction. Errors as above.
    static Result<std::unique_ptr<Database>> open_postgres(const std::string& url, DatabaseOptions options = {});
    // open() or open_postgres() by the form of `location`: a postgres:// URL, or else a file path.
    static Result<std::unique_ptr<Database>> open_any(const std::string& location, DatabaseOptions options = {});

    ~Database();  // calls close()
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Queues a write job (must not be empty). `done(ok, error)` is called exactly once: on the writer thread
    // after the job's transaction committed (ok=true) or failed (ok=false: the job threw, which rolled back
    // only that job, or BEGIN/COMMIT failed, which fails the whole batch). When the database is closed or more
    // than max_queued_writes jobs wait, `done(false, ...)` is called at once, on the calling thread, before
    // write() returns. `done` may be empty.
    void write(Job job, Done done);

    // Runs `job` on a reader thread with a read-only Store. Jobs should catch their own exceptions; anything
    // that escapes is caught, logged on the "store" logger (stderr) and dropped, and the thread keeps
    // serving. Returns false (and drops the job without running it) once close() has started. The read queue
    // is not bounded: callers bound it (they wait for each answer).
    bool read(Job job);

    // Stops accepting work, runs every job already queued (writes are committed and acknowledged), joins the
    // threads and closes the connections (the writer's close checkpoints the WAL). Idempotent and safe from
    // several threads. Must not be called from a job or a `done` callback (throws std::logic_error), so the
    // Database must not be destroyed there either.
    void close();

    std::size_t queued_writes() const;   // waiting for the writer, not counting the batch in progress
    std::size_t queued_reads() const;
    std::uint64_t committed_batches() const { return committed_batches_.load(); }  // write transactions committed
    int schema_version() const { return schema_version_; }                           // after migrations
    sql::Dialect dialect() const { return writer_store_->dialect(); }

private:
    struct WriteItem {
        Job job;
        Done done;
    };
    struct Outcome {
        bool ok = false;
        std::string error;
    };

    Database(DatabaseOptions options, std::unique_ptr<Store> writer, std::vector<std::unique_ptr<Store>> readers,
             int schema_version);
    void writer_loop();
    void reader_loop(Store& store);
    void run_batch(std::vector<WriteItem>& batch);
    static Result<int> check_options(const DatabaseOptions& options);
    bool on_database_thread() const;

    const DatabaseOptions options_;
    const int schema_version_;

    // Owned connections: the writer's is used only by writer_, reader_stores_[i] only by readers_[i].
    std::unique_ptr<Store> writer_store_;
    std::vector<std::unique_ptr<Store>> reader_stores_;

    mutable std::mutex write_mutex_;
    std::condition_variable write_cv_;
    std::deque<WriteItem> writes_;   // guarded by write_mutex_
    bool writes_closed_ = false;     // guarded by write_mutex_

    mutable std::mutex read_mutex_;
    std::condition_variable read_cv_;
    std::deque<Job> reads_;          // guarded by read_mutex_
    bool reads_closed_ = false;      // guarded by read_mutex_

    std::mutex close_mutex_;
    bool closed_ = false;            // guarded by close_mutex_

    std::thread writer_;
    std::vector<std::thread> readers_;
    std::vector<std::thread::id> thread_ids_;  // set in the constructor, then read-only (close() checks it)

    std::atomic<std::uint64_t> committed_batches_{0};
};

}  // namespace redred::store
