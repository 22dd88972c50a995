// LiveBus (the live platform's cluster bus) against a real redis-server: two buses stand for two processes.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/net.hpp"
#include "async_test_util.hpp"
#include "redis_server_fixture.hpp"
#include "state/redis/live_bus.hpp"

namespace redred::state::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::as_optional;
using test::eventually;
using test::RedisServer;

std::uint64_t connection_of(std::uint32_t tag, std::uint32_t n) {
    return (static_cast<std::uint64_t>(tag) << 32) | n;
}

// What one bus (one process) has seen.
struct Seen {
    std::mutex mutex;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> events;  // origin, seq
    std::vector<bool> links;
    std::vector<std::uint32_t> gone;

    LiveBusHandlers handlers() {
        LiveBusHandlers h;
        h.on_event = [this](std::int64_t, std::uint32_t origin, std::uint64_t seq, nlohmann::json) {
            std::lock_guard lock(mutex);
            events.emplace_back(origin, seq);
        };
        h.on_link = [this](bool up) {
            std::lock_guard lock(mutex);
            links.push_back(up);
        };
        h.on_instance_gone = [this](std::uint32_t tag) {
            std::lock_guard lock(mutex);
            gone.push_back(tag);
        };
        h.describe = [] { return nlohmann::json{{"connections", 7}}; };
        return h;
    }
    template <class F>
    auto with(F f) {
        std::lock_guard lock(mutex);
        return f();
    }
};

class LiveBusTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    }
    void TearDown() override {
        for (auto& bus : buses_) run(bus->stop());
        buses_.clear();
        work_.reset();
        io_.stop();
        for (auto& t : threads_) t.join();
    }

    template <class T>
    T run(net::awaitable<T> task) {
        auto future = net::co_spawn(io_, as_optional(std::move(task)), net::use_future);
        if (future.wait_for(15s) != std::future_status::ready) throw std::runtime_error("task timed out");
        return *future.get();
    }
    void run(net::awaitable<void> task) {
        auto future = net::co_spawn(io_, std::move(task), net::use_future);
        if (future.wait_for(15s) != std::future_status::ready) throw std::runtime_error("task timed out");
        future.get();
    }

    std::shared_ptr<LiveBus> start_bus(std::uint32_t tag, Seen& seen) {
        LiveBusOptions options;
        options.tag = tag;
        options.instance_id = "test" + std::to_string(tag);
        options.address = "127.0.0.1:" + std::to_string(8000 + tag);
        auto bus = LiveBus::create(io_.get_executor(), redis_.endpoint(), options, metrics_);
        bus->start(seen.handlers());
        buses_.push_back(bus);
        if (!eventually([&] { return bus->link_up(); })) throw std::runtime_error("bus never came up");
        return bus;
    }

    RedisServer redis_;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
    std::vector<std::thread> threads_;
    Metrics metrics_;
    std::vector<std::shared_ptr<LiveBus>> buses_;
};

TEST_F(LiveBusTest, EveryProcessReceivesEveryEventInOneOrder) {
    Seen seen_a, seen_b;
    auto a = start_bus(1, seen_a);
    auto b = start_bus(2, seen_b);
    // Both publish at once from many coroutines: whatever order Redis picks, both see the same one.
    std::vector<std::future<std::optional<bool>>> sent;
    for (int i = 0; i < 200; ++i) {
        auto& bus = i % 2 ? a : b;
        nlohmann::json body{{"k", "say"}, {"n", i}};
        sent.push_back(net::co_spawn(io_, as_optional(bus->publish(42, bus->next_seq(), body)), net::use_future));
    }
    for (auto& f : sent) EXPECT_TRUE(*f.get());
    ASSERT_TRUE(eventually([&] {
        return seen_a.with([&] { return seen_a.events.size(); }) == 200 &&
               seen_b.with([&] { return seen_b.events.size(); }) == 200;
    }));
    EXPECT_EQ(seen_a.events, seen_b.events);
    std::set<std::pair<std::uint32_t, std::uint64_t>> distinct(seen_a.events.begin(), seen_a.events.end());
    EXPECT_EQ(distinct.size(), 200u) << "each event exactly once";
    EXPECT_GE(metrics_.cluster_published.get(), 200u);
    EXPECT_GE(metrics_.cluster_received.get(), 400u);
    EXPECT_GE(metrics_.cluster_lag_seconds.count.load(), 400u);
}

TEST_F(LiveBusTest, PresenceIsTheClusterAndForgetsAStoppedProcess) {
    Seen seen_a, seen_b;
    auto a = start_bus(1, seen_a);
    auto b = start_bus(2, seen_b);
    using Op = LiveBus::PresenceOp;
    nlohmann::json join{{"k", "join"}};
    EXPECT_TRUE(run(a->publish(5, a->next_seq(), join, Op::Add, connection_of(1, 1), R"({"r":"viewer"})")));
    EXPECT_TRUE(run(b->publish(5, b->next_seq(), join, Op::Add, connection_of(2, 1), R"({"r":"guest"})")));
    EXPECT_TRUE(run(b->publish(5, b->next_seq(), join, Op::Add, connection_of(2, 2), R"({"r":"guest"})")));
    EXPECT_TRUE(run(b->publish(5, b->next_seq(), join, Op::RemoveStreamer, connection_of(2, 2))));
    auto snapshot = run(a->presence(5));
    ASSERT_TRUE(snapshot);
    ASSERT_EQ(snapshot->entries.size(), 2u);
    EXPECT_TRUE(snapshot->streamer_left_ms.has_value());

    // b restores after a lost link: its entries become exactly what it says; a's stay.
    EXPECT_TRUE(run(b->restore_presence(5, {{connection_of(2, 9), R"({"r":"vip"})"}})));
    snapshot = run(a->presence(5));
    ASSERT_TRUE(snapshot);
    std::set<std::uint64_t> ids;
    for (const auto& e : snapshot->entries) ids.insert(e.connection);
    EXPECT_EQ(ids, (std::set<std::uint64_t>{connection_of(1, 1), connection_of(2, 9)}));

    // b stops (its heartbeat key goes): a drops b's entries and is told b is gone.
    run(b->stop());
    snapshot = run(a->presence(5));
    ASSERT_TRUE(snapshot);
    ASSERT_EQ(snapshot->entries.size(), 1u);
    EXPECT_EQ(snapshot->entries[0].connection, connection_of(1, 1));
    EXPECT_TRUE(eventually([&] { return seen_a.with([&] { return seen_a.gone; }) == std::vector<std::uint32_t>{2}; },
                           6000ms))
        << "on_instance_gone(2) within the heartbeat TTL + 2 s";
    // What doctor lists: the live processes' heartbeats.
    auto connection = Connection::create(io_.get_executor(), redis_.endpoint(), "list");
    connection->start();
    ASSERT_TRUE(eventually([&] { return connection->connected(); }));
    auto listed = run(LiveBus::instances(connection));
    connection->stop();
    ASSERT_TRUE(listed) << listed.error().message;
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].value("tag", 0), 1);
    EXPECT_EQ((*listed)[0].value("connections", 0), 7);
    EXPECT_EQ((*listed)[0].value("address", ""), "127.0.0.1:8001");
}

TEST_F(LiveBusTest, ChatTokensAndLocksAreSharedByEveryProcess) {
    Seen seen_a, seen_b;
    auto a = start_bus(1, seen_a);
    auto b = start_bus(2, seen_b);
    int allowed = 0;
    std::optional<std::chrono::milliseconds> refused;
    for (int i = 0; i < 5; ++i) {
        auto& bus = i % 2 ? a : b;
        auto taken = run(bus->take_chat_token(9, 77, 3, 1.0));
        ASSERT_TRUE(taken) << taken.error().message;
        if (!*taken)
            ++allowed;
        else
            refused = *taken;
    }
    EXPECT_EQ(allowed, 3) << "a burst of 3 across both processes";
    ASSERT_TRUE(refused);
    EXPECT_GT(refused->count(), 0);
    EXPECT_LE(refused->count(), 1000);
    auto other_user = run(a->take_chat_token(9, 78, 3, 1.0));
    ASSERT_TRUE(other_user);
    EXPECT_FALSE(*other_user) << "another user has a bucket of their own";

    EXPECT_TRUE(run(a->try_lock("cleanup", 2000ms)));
    EXPECT_FALSE(run(b->try_lock("cleanup", 2000ms)));
}

TEST_F(LiveBusTest, ALostRedisIsReportedAndTheLinkComesBack) {
    Seen seen_a;
    auto a = start_bus(1, seen_a);
    redis_.kill();
    EXPECT_TRUE(eventually([&] { return !a->link_up(); }));
    nlohmann::json body{{"k", "say"}};
    EXPECT_FALSE(run(a->publish(1, a->next_seq(), body))) << "a publish while Redis is away fails at once";
    redis_.start();
    EXPECT_TRUE(eventually([&] { return a->link_up(); }, 10000ms));
    EXPECT_TRUE(eventually([&] {
        return seen_a.with([&] { return seen_a.links; }) == std::vector<bool>{true, false, true};
    }));
    EXPECT_TRUE(run(a->publish(1, a->next_seq(), body)));
}

}  // namespace
}  // namespace redred::state::redis
