// Connection and Subscriber against a real redis-server, with the io_context on two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "core/net.hpp"
#include "async_test_util.hpp"
#include "redis_server_fixture.hpp"
#include "state/redis/redis_connection.hpp"
#include "state/redis/redis_subscriber.hpp"

namespace redred::state::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::as_optional;
using test::eventually;
using test::RedisServer;

constexpr auto kTaskLimit = 15s;

std::string binary_blob(size_t size, unsigned seed) {
    std::string blob(size, '\0');
    unsigned state = seed;
    for (size_t i = 0; i < size; ++i) {
        state = state * 1103515245u + 12345u;
        blob[i] = static_cast<char>(state >> 16);
    }
    // Make sure the bytes that trip up C-string and RESP handling are there.
    for (size_t i = 0; i < size; i += 997) blob[i] = '\0';
    if (size > 4) blob.replace(size / 2, 4, std::string("\r\n\0\n", 4));
    return blob;
}

// Records everything a Subscriber delivers, for assertions from the test thread.
struct Inbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<std::string, std::string>> messages;
    std::vector<bool> links;

    Subscriber::MessageHandler message_handler() {
        return [this](const std::string& channel, std::string payload) {
            std::lock_guard lock(mutex);
            messages.emplace_back(channel, std::move(payload));
            changed.notify_all();
        };
    }
    Subscriber::LinkHandler link_handler() {
        return [this](bool up) {
            std::lock_guard lock(mutex);
            links.push_back(up);
            changed.notify_all();
        };
    }
    bool wait_messages(size_t count, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return messages.size() >= count; });
    }
    bool wait_links(size_t count, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return links.size() >= count; });
    }
};

class RedisClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    }

    void TearDown() override {
        for (auto& connection : connections_) connection->stop();
        for (auto& subscriber : subscribers_) subscriber->stop();
        connections_.clear();
        subscribers_.clear();
        work_.reset();
        // stop() must wind everything down: the io_context runs dry on its own.
        bool drained = eventually([this] { return io_.stopped(); }, 5000ms);
        EXPECT_TRUE(drained) << "the io_context still had work 5 s after stop()";
        io_.stop();
        for (auto& thread : threads_) thread.join();
    }

    // Starts `task` on the io_context. The optional is always set: Boost 1.74's co_spawn needs a
    // default-constructible result, which Result<T> is not.
    template <class T>
    std::future<std::optional<T>> spawn(net::awaitable<T> task) {
        return net::co_spawn(io_, as_optional(std::move(task)), net::use_future);
    }

    // Runs `task` on the io_context and waits at most kTaskLimit for its result.
    template <class T>
    T run(net::awaitable<T> task) {
        auto future = spawn(std::move(task));
        if (future.wait_for(kTaskLimit) != std::future_status::ready) throw std::runtime_error("task timed out");
        return *future.get();
    }

    std::shared_ptr<Connection> make_connection(Endpoint endpoint) {
        auto connection = Connection::create(io_.get_executor(), std::move(endpoint), "test");
        connections_.push_back(connection);
        connection->start();
        return connection;
    }

    std::shared_ptr<Connection> connect(Endpoint endpoint) {
        auto connection = make_connection(std::move(endpoint));
        if (!eventually([&] { return connection->connected(); })) throw std::runtime_error("never connected");
        return connection;
    }

    std::shared_ptr<Subscriber> subscribe(Endpoint endpoint, std::vector<std::string> channels, Inbox& inbox) {
        auto subscriber = Subscriber::create(io_.get_executor(), std::move(endpoint), std::move(channels),
                                             inbox.message_handler(), inbox.link_handler());
        subscribers_.push_back(subscriber);
        subscriber->start();
        return subscriber;
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
    std::vector<std::thread> threads_;
    std::vector<std::shared_ptr<Connection>> connections_;
    std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

class RedisConnectionTest : public RedisClientTest {
protected:
    RedisServer redis_;
};

net::awaitable<Result<Reply>> send(std::shared_ptr<Connection> connection, std::vector<std::string> args,
                                   std::chrono::milliseconds timeout = 2000ms) {
    co_return co_await connection->command(std::move(args), timeout);
}

// Checks that the reply resumes the caller on its own strand.
net::awaitable<bool> resumes_on_caller_strand(std::shared_ptr<Connection> connection,
                                              net::strand<net::io_context::executor_type> strand) {
    auto reply = co_await connection->command(cmd("PING"));
    co_return reply.ok() && strand.running_in_this_thread();
}

TEST_F(RedisConnectionTest, SetThenGetRoundTrips) {
    auto connection = connect(redis_.endpoint());
    auto set = run(send(connection, {"SET", "greeting", "hello"}));
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_TRUE(set->is_status());
    EXPECT_EQ(set->str, "OK");

    auto get = run(send(connection, {"GET", "greeting"}));
    ASSERT_TRUE(get.ok()) << get.error().message;
    EXPECT_TRUE(get->is_string());
    EXPECT_EQ(get->str, "hello");

    auto missing = run(send(connection, {"GET", "no-such-key"}));
    ASSERT_TRUE(missing.ok());
    EXPECT_TRUE(missing->is_nil());

    auto strand = net::make_strand(io_.get_executor());
    auto on_strand = net::co_spawn(strand, resumes_on_caller_strand(connection, strand), net::use_future);
    ASSERT_EQ(on_strand.wait_for(kTaskLimit), std::future_status::ready);
    EXPECT_TRUE(on_strand.get());
}

// One of ten concurrent workers: 100 INCRs of its own key (must count 1..100 in order) interleaved with INCRs
// of a shared key (all workers together must see 1..1000 exactly once).
net::awaitable<std::vector<long long>> increment_worker(std::shared_ptr<Connection> connection, int worker) {
    std::vector<long long> shared_values;
    const std::string own_key = "counter:" + std::to_string(worker);
    for (int i = 1; i <= 100; ++i) {
        auto own = co_await connection->command(cmd("INCR", own_key));
        if (!own.ok() || !own->is_integer() || own->integer != i) {
            throw std::runtime_error("worker " + std::to_string(worker) + " got a reply out of order at " +
                                     std::to_string(i));
        }
        auto shared = co_await connection->command(cmd("INCR", "counter:shared"));
        if (!shared.ok() || !shared->is_integer()) throw std::runtime_error("shared INCR failed");
        shared_values.push_back(shared->integer);
    }
    co_return shared_values;
}

TEST_F(RedisConnectionTest, PipelinesConcurrentIncrementsAndMatchesRepliesInOrder) {
    auto connection = connect(redis_.endpoint());
    std::vector<std::future<std::vector<long long>>> workers;
    for (int worker = 0; worker < 10; ++worker) {
        workers.push_back(net::co_spawn(io_, increment_worker(connection, worker), net::use_future));
    }
    std::vector<long long> all;
    for (auto& worker : workers) {
        ASSERT_EQ(worker.wait_for(kTaskLimit), std::future_status::ready);
        auto values = worker.get();
        EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
        all.insert(all.end(), values.begin(), values.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<long long> expected(1000);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(all, expected);
}

TEST_F(RedisConnectionTest, RoundTripsLargeBinaryValues) {
    auto connection = connect(redis_.endpoint());
    const std::string blob = binary_blob(300 * 1024, 7);
    auto set = run(send(connection, {"SET", std::string("bin\0key", 7), blob}));
    ASSERT_TRUE(set.ok()) << set.error().message;
    auto length = run(send(connection, {"STRLEN", std::string("bin\0key", 7)}));
    ASSERT_TRUE(length.ok());
    EXPECT_EQ(length->integer, static_cast<long long>(blob.size()));
    auto get = run(send(connection, {"GET", std::string("bin\0key", 7)}));
    ASSERT_TRUE(get.ok()) << get.error().message;
    ASSERT_TRUE(get->is_string());
    EXPECT_EQ(get->str.size(), blob.size());
    EXPECT_TRUE(get->str == blob);
}

TEST_F(RedisConnectionTest, RunsLuaScripts) {
    auto connection = connect(redis_.endpoint());
    const std::string script =
        "redis.call('SET', KEYS[1], ARGV[1]) "
        "return {redis.call('GET', KEYS[1]), tonumber(ARGV[2]) + 1, redis.call('EXISTS', 'nothing')}";
    auto reply = run(send(connection, {"EVAL", script, "1", "lua:key", "from-lua", "41"}));
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    ASSERT_TRUE(reply->is_array());
    ASSERT_EQ(reply->elements.size(), 3u);
    EXPECT_EQ(reply->elements[0].str, "from-lua");
    EXPECT_EQ(reply->elements[1].integer, 42);
    EXPECT_EQ(reply->elements[2].integer, 0);
}

TEST_F(RedisConnectionTest, ReturnsErrorRepliesAsRepliesAndKeepsWorking) {
    auto connection = connect(redis_.endpoint());
    auto unknown = run(send(connection, {"NO-SUCH-COMMAND", "x"}));
    ASSERT_TRUE(unknown.ok()) << unknown.error().message;
    EXPECT_TRUE(unknown->is_error());
    EXPECT_NE(unknown->str.find("unknown command"), std::string::npos) << unknown->str;

    ASSERT_TRUE(run(send(connection, {"SET", "text", "abc"})).ok());
    auto wrong = run(send(connection, {"INCR", "text"}));
    ASSERT_TRUE(wrong.ok());
    EXPECT_TRUE(wrong->is_error());

    auto lua_error = run(send(connection, {"EVAL", "return redis.error_reply('MYERR custom')", "0"}));
    ASSERT_TRUE(lua_error.ok());
    EXPECT_TRUE(lua_error->is_error());
    EXPECT_EQ(lua_error->str, "MYERR custom");

    auto ping = run(send(connection, {"PING"}));
    ASSERT_TRUE(ping.ok());
    EXPECT_EQ(ping->str, "PONG");
}

TEST_F(RedisConnectionTest, RejectsCommandsThatNeedADedicatedConnection) {
    auto connection = connect(redis_.endpoint());
    for (const char* name : {"SUBSCRIBE", "psubscribe", "Monitor", "UNSUBSCRIBE"}) {
        auto reply = run(send(connection, {name, "channel"}));
        ASSERT_FALSE(reply.ok()) << name;
        EXPECT_EQ(reply.error().code, Errc::BadInput);
    }
    auto empty = run(send(connection, {}));
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, Errc::BadInput);
    EXPECT_TRUE(run(send(connection, {"PING"})).ok());
}

TEST_F(RedisConnectionTest, TimesOutASlowCommandAndKeepsMatchingLaterReplies) {
    auto connection = connect(redis_.endpoint());
    // BLPOP on an empty list holds the reply for 1 s; our timeout is 200 ms.
    auto started = Clock::now();
    auto slow = run(send(connection, {"BLPOP", "empty-list", "1"}, 200ms));
    auto waited = Clock::now() - started;
    ASSERT_FALSE(slow.ok());
    EXPECT_EQ(slow.error().code, Errc::Unavailable);
    EXPECT_NE(slow.error().message.find("no reply within 200 ms"), std::string::npos) << slow.error().message;
    EXPECT_GE(waited, 180ms);
    EXPECT_LT(waited, 900ms);

    // The late nil for BLPOP must be dropped, not handed to the next request.
    auto echo = run(send(connection, {"ECHO", "after-timeout"}, 3000ms));
    ASSERT_TRUE(echo.ok()) << echo.error().message;
    EXPECT_EQ(echo->str, "after-timeout");
    EXPECT_TRUE(connection->connected());
}

TEST_F(RedisConnectionTest, StopFailsPendingRequestsAndLaterCommands) {
    auto connection = connect(redis_.endpoint());
    auto blocked = spawn(send(connection, {"BLPOP", "empty-list", "10"}, 15000ms));
    std::this_thread::sleep_for(100ms);
    auto stopped_at = Clock::now();
    connection->stop();
    ASSERT_EQ(blocked.wait_for(2s), std::future_status::ready);
    EXPECT_LT(Clock::now() - stopped_at, 1s);
    auto result = *blocked.get();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, Errc::Unavailable);
    EXPECT_NE(result.error().message.find("stopped"), std::string::npos) << result.error().message;

    EXPECT_FALSE(connection->connected());
    auto after = run(send(connection, {"PING"}));
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, Errc::Unavailable);
}

TEST_F(RedisClientTest, ReportsUnavailableQuicklyWithoutAServer) {
    Endpoint nowhere;
    nowhere.port = RedisServer::find_free_port();
    auto connection = make_connection(nowhere);

    auto started = Clock::now();
    auto before = run(send(connection, {"PING"}));
    ASSERT_FALSE(before.ok());
    EXPECT_EQ(before.error().code, Errc::Unavailable);
    EXPECT_EQ(before.error().message.rfind("redis unavailable: ", 0), 0u) << before.error().message;
    EXPECT_LT(Clock::now() - started, 200ms);

    // After a failed attempt the message says why.
    std::this_thread::sleep_for(300ms);
    started = Clock::now();
    auto after = run(send(connection, {"PING"}));
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, Errc::Unavailable);
    EXPECT_NE(after.error().message.find("cannot connect"), std::string::npos) << after.error().message;
    EXPECT_LT(Clock::now() - started, 200ms);
    EXPECT_FALSE(connection->connected());
}

TEST_F(RedisClientTest, AuthenticatesAndSelectsTheDatabase) {
    RedisServer secured(RedisServer::Options{"pa ss@word", {}});
    auto connection = connect(secured.endpoint(3));
    ASSERT_TRUE(run(send(connection, {"SET", "where", "db3"})).ok());
    auto db = run(send(connection, {"CLIENT", "INFO"}));
    ASSERT_TRUE(db.ok());
    EXPECT_NE(db->str.find(" db=3 "), std::string::npos) << db->str;

    auto other = connect(secured.endpoint(0));
    auto missing = run(send(other, {"GET", "where"}));
    ASSERT_TRUE(missing.ok());
    EXPECT_TRUE(missing->is_nil());

    Endpoint wrong = secured.endpoint();
    wrong.password = "wrong";
    auto refused = make_connection(wrong);
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(refused->connected());
    auto reply = run(send(refused, {"PING"}));
    ASSERT_FALSE(reply.ok());
    EXPECT_NE(reply.error().message.find("AUTH"), std::string::npos) << reply.error().message;
    EXPECT_EQ(reply.error().message.find("wrong"), std::string::npos) << "leaks the password";
}

TEST_F(RedisConnectionTest, SubscriberDeliversLargeBinaryMessages) {
    Inbox inbox;
    subscribe(redis_.endpoint(), {"frames", std::string("bin\0chan", 8)}, inbox);
    ASSERT_TRUE(inbox.wait_links(1));
    EXPECT_EQ(inbox.links, std::vector<bool>{true});

    auto connection = connect(redis_.endpoint());
    const std::string payload = binary_blob(200 * 1024, 11);
    auto published = run(send(connection, {"PUBLISH", "frames", payload}));
    ASSERT_TRUE(published.ok()) << published.error().message;
    EXPECT_EQ(published->integer, 1);
    ASSERT_TRUE(run(send(connection, {"PUBLISH", std::string("bin\0chan", 8), "small"})).ok());
    ASSERT_TRUE(run(send(connection, {"PUBLISH", "not-subscribed", "ignored"})).ok());

    ASSERT_TRUE(inbox.wait_messages(2));
    std::lock_guard lock(inbox.mutex);
    ASSERT_EQ(inbox.messages.size(), 2u);
    EXPECT_EQ(inbox.messages[0].first, "frames");
    EXPECT_EQ(inbox.messages[0].second.size(), payload.size());
    EXPECT_TRUE(inbox.messages[0].second == payload);
    EXPECT_EQ(inbox.messages[1].first, std::string("bin\0chan", 8));
    EXPECT_EQ(inbox.messages[1].second, "small");
}

TEST_F(RedisConnectionTest, ConnectionAndSubscriberRecoverAfterServerRestart) {
    auto connection = connect(redis_.endpoint());
    Inbox inbox;
    subscribe(redis_.endpoint(), {"news"}, inbox);
    ASSERT_TRUE(inbox.wait_links(1));
    ASSERT_TRUE(run(send(connection, {"PUBLISH", "news", "before"})).ok());
    ASSERT_TRUE(inbox.wait_messages(1));

    // A request in flight when the server goes away fails at once, not after its 15 s timeout.
    auto in_flight = spawn(send(connection, {"BLPOP", "empty-list", "10"}, 15000ms));
    std::this_thread::sleep_for(100ms);
    redis_.stop();
    ASSERT_EQ(in_flight.wait_for(3s), std::future_status::ready);
    auto lost = *in_flight.get();
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, Errc::Unavailable);

    ASSERT_TRUE(eventually([&] { return !connection->connected(); }));
    auto started = Clock::now();
    auto down = run(send(connection, {"PING"}));
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().code, Errc::Unavailable);
    EXPECT_LT(Clock::now() - started, 200ms);
    ASSERT_TRUE(inbox.wait_links(2));

    // Stay down long enough for the backoff to grow, then come back on the same port.
    std::this_thread::sleep_for(1500ms);
    redis_.start();
    started = Clock::now();
    ASSERT_TRUE(eventually([&] { return connection->connected(); }, 5000ms));
    auto up = run(send(connection, {"PING"}));
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_EQ(up->str, "PONG");
    ASSERT_TRUE(inbox.wait_links(3, 5000ms));
    EXPECT_LT(Clock::now() - started, 5s);
    {
        std::lock_guard lock(inbox.mutex);
        EXPECT_EQ(inbox.links, (std::vector<bool>{true, false, true}));
    }

    auto published = run(send(connection, {"PUBLISH", "news", "after"}));
    ASSERT_TRUE(published.ok()) << published.error().message;
    EXPECT_EQ(published->integer, 1);
    ASSERT_TRUE(inbox.wait_messages(2));
    std::lock_guard lock(inbox.mutex);
    EXPECT_EQ(inbox.messages[1].second, "after");
}

}  // namespace
}  // namespace redred::state::redis
