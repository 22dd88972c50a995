// FrameHub on a real io_context, no sockets: latest-wins per viewer, end of stream, late joiners.
#include "screen/io/frame_hub.hpp"

#include <gtest/gtest.h>

namespace redred::screen {
namespace {

struct Received {
    std::vector<std::uint64_t> seqs;
    bool ended = false;
};

net::awaitable<void> collect(std::shared_ptr<FrameSubscription> sub, Received* out) {
    while (auto frame = co_await sub->next()) out->seqs.push_back(frame->seq);
    out->ended = true;
}

}  // namespace

TEST(FrameHub, ClosedHubRefusesViewers) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    EXPECT_EQ(hub.subscribe(io.get_executor(), FeedTransport::Sse), nullptr);
}

TEST(FrameHub, EveryViewerGetsTheSameSharedFrame) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    auto a = hub.subscribe(net::make_strand(io), FeedTransport::Sse);
    auto b = hub.subscribe(net::make_strand(io), FeedTransport::Mjpeg);
    FramePtr seen_a, seen_b;
    net::co_spawn(io, [](std::shared_ptr<FrameSubscription> s, FramePtr* out) -> net::awaitable<void> { *out = co_await s->next(); }(a, &seen_a), net::detached);
    net::co_spawn(io, [](std::shared_ptr<FrameSubscription> s, FramePtr* out) -> net::awaitable<void> { *out = co_await s->next(); }(b, &seen_b), net::detached);
    auto frame = make_frame(1, "t1", "jpeg");
    hub.publish(frame);
    io.run();
    EXPECT_EQ(seen_a.get(), frame.get());
    EXPECT_EQ(seen_b.get(), frame.get());
}

TEST(FrameHub, SlowViewerSkipsToTheNewestFrameAndDropsAreCounted) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    auto sub = hub.subscribe(io.get_executor(), FeedTransport::Sse);
    for (std::uint64_t i = 1; i <= 10; ++i) hub.publish(make_frame(i, "t1", "x"));  // nobody reads meanwhile
    hub.close();
    Received got;
    net::co_spawn(io, collect(sub, &got), net::detached);
    io.run();
    // Only the newest frame was pending when the viewer read; ten frames cost it one slot, not ten.
    EXPECT_EQ(got.seqs, std::vector<std::uint64_t>{10});
    EXPECT_TRUE(got.ended);
    EXPECT_EQ(metrics.frames_dropped[0].get(), 9u);
}

TEST(FrameHub, FramesOfAnotherStreamAreIgnored) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    auto sub = hub.subscribe(io.get_executor(), FeedTransport::Sse);
    hub.publish(make_frame(1, "old-task", "x"));
    hub.publish(make_frame(2, "t1", "x"));
    hub.close();
    Received got;
    net::co_spawn(io, collect(sub, &got), net::detached);
    io.run();
    EXPECT_EQ(got.seqs, std::vector<std::uint64_t>{2});
}

TEST(FrameHub, LateJoinerGetsTheCurrentPictureAtOnce) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    hub.publish(make_frame(5, "t1", "x"));
    auto late = hub.subscribe(io.get_executor(), FeedTransport::WebSocket);
    hub.close();
    Received got;
    net::co_spawn(io, collect(late, &got), net::detached);
    io.run();
    EXPECT_EQ(got.seqs, std::vector<std::uint64_t>{5});
}

TEST(FrameHub, OpeningANewStreamEndsViewersOfThePreviousOne) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    auto sub = hub.subscribe(io.get_executor(), FeedTransport::Sse);
    EXPECT_TRUE(hub.open("t2"));
    EXPECT_FALSE(hub.open("t2"));
    Received got;
    net::co_spawn(io, collect(sub, &got), net::detached);
    io.run();
    EXPECT_TRUE(got.ended);
    EXPECT_EQ(hub.task_id(), "t2");
}

TEST(FrameHub, ViewerGaugeFollowsSubscriptions) {
    net::io_context io;
    Metrics metrics;
    FrameHub hub(metrics);
    hub.open("t1");
    {
        auto sub = hub.subscribe(io.get_executor(), FeedTransport::Mjpeg);
        EXPECT_EQ(metrics.feed_viewers[1].get(), 1);
    }
    io.run();
    EXPECT_EQ(metrics.feed_viewers[1].get(), 0);
}

}  // namespace redred::screen
