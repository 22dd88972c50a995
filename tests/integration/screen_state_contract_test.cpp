// The same contract for every ScreenState backend (STYLE §7): memory and a real redis-server.
#include <gtest/gtest.h>

#include "redis_server_fixture.hpp"
#include "state/memory/memory_screen_state.hpp"
#include "state/redis/redis_screen_state.hpp"

namespace redred::state {
namespace {

template <class T>
T run(net::io_context& io, net::awaitable<T> work) {
    auto future = net::co_spawn(io, std::move(work), net::use_future);
    io.restart();
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) io.run_one_for(std::chrono::milliseconds(50));
    return future.get();
}

StreamRecord wanted(const std::string& task) {
    StreamRecord r;
    r.task_id = task;
    r.host = "127.0.0.1";
    r.port = 8080;
    r.fps = 15;
    r.quality = 75;
    return r;
}

void wait_connected(net::io_context& io, redis::RedisScreenState& state) {
    io.restart();
    for (int i = 0; i < 100 && !state.connection()->connected(); ++i) io.run_one_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(state.connection()->connected());
}

struct MemoryBackend {
    net::io_context io;
    memory::MemoryScreenState state;
};

struct RedisBackend {
    test::RedisServer server;
    net::io_context io;
    redis::RedisScreenState state{io.get_executor(), server.endpoint(), "me", {}};
    RedisBackend() { wait_connected(io, state); }
    ~RedisBackend() {
        state.close();
        io.restart();
        io.run_for(std::chrono::milliseconds(50));
    }
};

template <class Backend>
class ScreenStateContract : public ::testing::Test {
protected:
    Backend backend;
    template <class T>
    T run(net::awaitable<T> work) { return state::run(backend.io, std::move(work)); }
    ScreenState& state() { return backend.state; }
};

using Backends = ::testing::Types<MemoryBackend, RedisBackend>;
TYPED_TEST_SUITE(ScreenStateContract, Backends);

TYPED_TEST(ScreenStateContract, StartsOnceThenConflicts) {
    auto first = this->run(this->state().start(wanted("t1"), "me"));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->active);
    EXPECT_GT(first->started_at, 1.7e9);
    auto second = this->run(this->state().start(wanted("t2"), "me"));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::Conflict);
    auto now = this->run(this->state().sync(std::string()));
    ASSERT_TRUE(now);
    EXPECT_EQ(now->record.task_id, "t1");
    EXPECT_EQ(now->record.fps, 15);
    EXPECT_EQ(now->record.quality, 75);
    EXPECT_EQ(now->record.port, 8080);
}

TYPED_TEST(ScreenStateContract, StopEndsTheStreamAndASecondStopConflicts) {
    ASSERT_TRUE(this->run(this->state().start(wanted("t1"), "me")));
    auto stopped = this->run(this->state().stop());
    ASSERT_TRUE(stopped);
    EXPECT_EQ(stopped->task_id, "t1");
    EXPECT_FALSE(this->run(this->state().sync(std::string()))->record.active);
    auto again = this->run(this->state().stop());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::Conflict);
    EXPECT_TRUE(this->run(this->state().start(wanted("t2"), "me")));
}

TYPED_TEST(ScreenStateContract, TheCapturerKeepsItsLeaseUntilTheStreamStops) {
    ASSERT_TRUE(this->run(this->state().start(wanted("t1"), "me")));
    EXPECT_EQ(*this->run(this->state().renew("me", "t1")), LeaseOutcome::Keep);
    EXPECT_EQ(*this->run(this->state().renew("me", "other-task")), LeaseOutcome::Lost);
    ASSERT_TRUE(this->run(this->state().stop()));
    EXPECT_NE(*this->run(this->state().renew("me", "t1")), LeaseOutcome::Keep);
}

TYPED_TEST(ScreenStateContract, ReleaseEndsOnlyTheOwnedStream) {
    ASSERT_TRUE(this->run(this->state().start(wanted("t1"), "me")));
    EXPECT_FALSE(*this->run(this->state().release("me", "other-task")));
    EXPECT_TRUE(*this->run(this->state().release("me", "t1")));
    EXPECT_FALSE(this->run(this->state().sync(std::string()))->record.active);
}

// Redis only: the parts that exist because several processes share the state.
TEST(RedisScreenState, OrphanedStreamEndsWhenItsLeaseLapses) {
    RedisBackend b;
    redis::RedisScreenState short_lease(b.io.get_executor(), b.server.endpoint(), "dies", {300, 300, "127.0.0.1", 1});
    wait_connected(b.io, short_lease);
    ASSERT_TRUE(run(b.io, short_lease.start(wanted("t1"), "dies")));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto now = run(b.io, b.state.sync(std::string()));
    ASSERT_TRUE(now);
    EXPECT_FALSE(now->record.active) << "a capturer that stopped renewing must not leave a live stream behind";
    EXPECT_TRUE(run(b.io, b.state.start(wanted("t2"), "me")));
    short_lease.close();
}

TEST(RedisScreenState, StopKeyIsSeenByTheCapturer) {
    RedisBackend b;
    ASSERT_TRUE(run(b.io, b.state.start(wanted("t1"), "me")));
    auto conn = b.state.connection();
    auto args = redis::cmd("SET", "streaming:stop_requested", "true");
    ASSERT_TRUE(run(b.io, conn->command(std::move(args))));
    EXPECT_EQ(*run(b.io, b.state.renew("me", "t1")), LeaseOutcome::StopRequested);
    EXPECT_FALSE(run(b.io, b.state.sync(std::string()))->record.active);
}

TEST(RedisScreenState, AStartWithoutCapturerIsClaimedByTheFirstInstanceWithASource) {
    RedisBackend b;
    ASSERT_TRUE(run(b.io, b.state.start(wanted("t1"), "")));
    redis::RedisScreenState other(b.io.get_executor(), b.server.endpoint(), "capturer", {2000, 3000, "10.0.0.2", 9});
    wait_connected(b.io, other);
    auto claimed = run(b.io, other.sync("capturer"));
    ASSERT_TRUE(claimed);
    EXPECT_TRUE(claimed->claimed);
    EXPECT_EQ(claimed->record.port, 9);
    auto second = run(b.io, b.state.sync("me"));
    EXPECT_FALSE(second->claimed) << "exactly one claimer";
    EXPECT_EQ(*run(b.io, other.renew("capturer", "t1")), LeaseOutcome::Keep);
    other.close();
}

}  // namespace
}  // namespace redred::state
