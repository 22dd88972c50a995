// Acknowledged writes survive kill -9, on both backends. A forked child writes comments through Database and
// reports each id on a pipe from its `done` callback; the parent SIGKILLs it mid-stream, reopens the database
// and expects every reported id. With SQLite's synchronous=NORMAL this is the process-crash guarantee (power
// loss needs FULL); on PostgreSQL an acknowledged write is a committed transaction on the server.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "store/database.hpp"
#include "postgres_server_fixture.hpp"
#include "store_backends.hpp"

namespace redred::store {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

TimePoint at(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

bool write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// The child: writes comments to stream 1 as user 1 until killed, keeping at most ~2000 in flight, and writes
// each comment id to `ack_fd` once its `done(true)` ran. Never returns; exit codes say what went wrong.
[[noreturn]] void run_writer_child(const std::string& location, int ack_fd) {
    auto opened = Database::open_any(location);
    if (!opened) _exit(10);
    Database& db = *opened.value();
    std::atomic<int> in_flight{0};
    const auto deadline = SteadyClock::now() + 30s;  // the parent kills us long before
    for (int i = 0; SteadyClock::now() < deadline; ++i) {
        while (in_flight.load() > 2000) std::this_thread::sleep_for(100us);
        ++in_flight;
        auto id = std::make_shared<CommentId>(0);  // set by the job, read by done: both on the writer thread
        db.write([id, i](Store& s) { *id = s.add_comment(1, 1, "comment " + std::to_string(i), at(i)).id; },
                 [id, ack_fd, &in_flight](bool ok, std::string) {
                     if (ok && !write_all(ack_fd, id.get(), sizeof(CommentId))) _exit(11);
                     --in_flight;
                 });
    }
    _exit(12);
}

// Reads whole ids from the pipe into `ids` until `enough` were read, EOF, or the deadline. Returns false on EOF.
bool read_acks(int fd, std::vector<CommentId>& ids, std::string& partial, std::size_t enough,
               SteadyClock::time_point deadline) {
    char buffer[8192];
    while (ids.size() < enough && SteadyClock::now() < deadline) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0) continue;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        partial.append(buffer, static_cast<std::size_t>(n));
        std::size_t used = 0;
        for (; partial.size() - used >= sizeof(CommentId); used += sizeof(CommentId)) {
            CommentId id = 0;
            std::memcpy(&id, partial.data() + used, sizeof id);
            ids.push_back(id);
        }
        partial.erase(0, used);
    }
    return true;
}

class StoreDurability : public ::testing::TestWithParam<test_support::Backend> {};

TEST_P(StoreDurability, AcknowledgedWritesSurviveKill9) {
    const test_support::FreshDatabase fresh(GetParam());
    const std::string& path = fresh.location();
    {
        auto db = Database::open_any(path);
        ASSERT_TRUE(db.ok()) << db.error().message;
        std::promise<bool> created;
        (*db)->write(
            [](Store& s) {
                const UserId alice = s.create_user("alice", "h", at(1))->id;
                s.create_stream(alice, "t", "", at(1));
            },
            [&](bool ok, std::string) { created.set_value(ok); });
        auto future = created.get_future();
        ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
        ASSERT_TRUE(future.get());
        (*db)->close();  // no connection or thread may cross fork()
    }

    std::size_t acknowledged_total = 0;
    for (const std::size_t kill_after : {std::size_t{1}, std::size_t{700}, std::size_t{6000}}) {
        SCOPED_TRACE("kill after " + std::to_string(kill_after) + " acknowledgements");
        int fds[2];
        ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(fds[0]);
            run_writer_child(path, fds[1]);
        }
        ::close(fds[1]);

        std::vector<CommentId> acked;
        std::string partial;
        const auto deadline = SteadyClock::now() + 20s;
        read_acks(fds[0], acked, partial, kill_after, deadline);
        ::kill(child, SIGKILL);
        // Acknowledgements already in the pipe count too: they were sent after COMMIT returned.
        read_acks(fds[0], acked, partial, SIZE_MAX, deadline);
        ::close(fds[0]);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with code " << WEXITSTATUS(status);
        EXPECT_EQ(WTERMSIG(status), SIGKILL);
        ASSERT_GE(acked.size(), kill_after);
        acknowledged_total += acked.size();

        auto reopened = Database::open_any(path);
        ASSERT_TRUE(reopened.ok()) << reopened.error().message;
        Database& db = **reopened;
        std::promise<std::tuple<std::string, std::size_t, int>> checked;
        db.read([&](Store& s) {
            std::string integrity = "ok";
            if (s.dialect() == sql::Dialect::Sqlite) {
                auto q = s.connection().query("PRAGMA integrity_check");
                integrity = q.step() ? q.text(0) : "no answer";
            }
            std::size_t missing = 0;
            for (CommentId id : acked) missing += s.find_comment(id) ? 0 : 1;
            checked.set_value({integrity, missing, s.count_comments(1)});
        });
        auto future = checked.get_future();
        ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
        const auto [integrity, missing, count] = future.get();
        EXPECT_EQ(integrity, "ok");
        EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged comments";
        EXPECT_GE(static_cast<std::size_t>(count), acknowledged_total);
        db.close();
    }
}

// PostgreSQL itself crashes (kill -9 of the server) while a process writes: every acknowledged comment is
// there after its restart, the writes in between fail promptly (they are not acknowledged), and the same
// Database reconnects by itself, writers and readers alike.
TEST(StoreDurabilityPostgres, AcknowledgedWritesSurviveAServerCrashAndTheDatabaseReconnects) {
    test::PostgresServer server;  // its own: this test kills it
    const std::string url = server.create_database();
    auto opened = Database::open_postgres(url);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Database& db = **opened;

    // Results come back on the writer thread.
    struct Acks {
        std::mutex mutex;
        std::vector<CommentId> ok;
        int failed = 0;
        int answered = 0;
    };
    auto acks = std::make_shared<Acks>();
    auto write_comment = [&](int i) {
        auto id = std::make_shared<CommentId>(0);
        db.write([id, i](Store& s) { *id = s.add_comment(1, 1, "c" + std::to_string(i), at(i)).id; },
                 [id, acks](bool ok, std::string) {
                     std::lock_guard lock(acks->mutex);
                     ++acks->answered;
                     if (ok) {
                         acks->ok.push_back(*id);
                     } else {
                         ++acks->failed;
                     }
                 });
    };
    auto answered = [&] {
        std::lock_guard lock(acks->mutex);
        return acks->answered;
    };
    auto wait_answered = [&](int n) {
        const auto deadline = SteadyClock::now() + 20s;
        while (answered() < n && SteadyClock::now() < deadline) std::this_thread::sleep_for(5ms);
        return answered() >= n;
    };
    {
        std::promise<bool> created;
        db.write([](Store& s) { s.create_stream(s.create_user("alice", "h", at(1))->id, "t", "", at(1)); },
                 [&](bool ok, std::string) { created.set_value(ok); });
        ASSERT_TRUE(created.get_future().get());
    }

    int sent = 0;
    for (; sent < 300; ++sent) write_comment(sent);
    ASSERT_TRUE(wait_answered(150));
    server.kill();  // mid-stream: some of the 300 are committed, the rest fail
    ASSERT_TRUE(wait_answered(300)) << "writes must not hang while the server is down";
    for (int i = 0; i < 20; ++i) write_comment(sent++);  // while it is down: refused promptly
    ASSERT_TRUE(wait_answered(320)) << "writes must not hang while the server is down";
    {
        std::lock_guard lock(acks->mutex);
        EXPECT_GE(acks->failed, 20);
    }

    server.start();
    // The next writes work again on the same Database (it reconnects before each transaction).
    const auto deadline = SteadyClock::now() + 20s;
    std::size_t ok_before = 0;
    {
        std::lock_guard lock(acks->mutex);
        ok_before = acks->ok.size();
    }
    bool resumed = false;
    while (!resumed && SteadyClock::now() < deadline) {
        const int target = sent + 1;
        write_comment(sent++);
        ASSERT_TRUE(wait_answered(target));
        std::lock_guard lock(acks->mutex);
        resumed = acks->ok.size() > ok_before;
        if (!resumed) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(resumed) << "no write succeeded within 20 s of the restart\n" << server.log_tail();

    std::vector<CommentId> acked;
    {
        std::lock_guard lock(acks->mutex);
        acked = acks->ok;
    }
    // Readers reconnect too: the first read after the crash may fail, a later one answers.
    std::size_t missing = SIZE_MAX;
    for (int attempt = 0; attempt < 50 && missing == SIZE_MAX; ++attempt) {
        std::promise<std::optional<std::size_t>> checked;
        db.read([&](Store& s) {
            try {
                std::size_t lost = 0;
                for (CommentId id : acked) lost += s.find_comment(id) ? 0 : 1;
                checked.set_value(lost);
            } catch (const StoreError&) {
                checked.set_value(std::nullopt);
            }
        });
        auto answer = checked.get_future();
        ASSERT_EQ(answer.wait_for(20s), std::future_status::ready);
        if (auto lost = answer.get()) {
            missing = *lost;
        } else {
            std::this_thread::sleep_for(100ms);
        }
    }
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged comments";
    EXPECT_GE(acked.size(), 151u);
    db.close();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreDurability, test_support::kBothBackends, test_support::backend_name);

}  // namespace
}  // namespace redred::store
