// FrameHub on a real io_context, no sockets: newest-wins per viewer, end of stream, late joiners, and tile
// mode (key frames first, deltas shared by everyone, merged catch-up for a viewer that fell behind).
#include "screen/io/frame_hub.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace redred::screen {
namespace {

constexpr int kW = 256;
constexpr int kH = 128;

FramePtr picture(std::uint64_t seq, std::string jpeg, const char* task = "t1", bool changed = true) {
    FrameContent c;
    c.seq = seq;
    c.task_id = task;
    c.width = kW;
    c.height = kH;
    c.changed = changed;
    c.key = true;
    c.jpeg = std::move(jpeg);
    return make_frame(std::move(c));
}

// A change of the cells under `rects`, each tile's JPEG bytes being `label`+index (tests compare bytes only).
FramePtr change(std::uint64_t seq, std::vector<Rect> rects, const std::string& label, std::string picture_jpeg = {}) {
    FrameContent c;
    c.seq = seq;
    c.task_id = "t1";
    c.width = kW;
    c.height = kH;
    c.jpeg = std::move(picture_jpeg);
    for (std::size_t i = 0; i < rects.size(); ++i) c.tiles.push_back(make_tile(rects[i], seq, label + std::to_string(i)));
    return make_frame(std::move(c));
}

std::string flatten(const TileMessage& m) {
    std::string out;
    for (auto part : m.parts) out.append(part);
    return out;
}

ParsedTileMessage parsed(const TileMessagePtr& m) {
    EXPECT_NE(m, nullptr);
    if (!m) return {};
    static std::deque<std::string> kept;  // the parsed tiles point into these bytes
    auto p = parse_tile_message(kept.emplace_back(flatten(*m)));
    EXPECT_TRUE(p.has_value());
    return p.value_or(ParsedTileMessage{});
}

// Lets `sub` see the wakes posted so far, as a viewer's writer loop does before it takes what is new.
void consume_wake(net::io_context& io, const std::shared_ptr<FeedSubscription>& sub) {
    net::co_spawn(io, [](std::shared_ptr<FeedSubscription> s) -> net::awaitable<void> {
        co_await s->wait(std::chrono::milliseconds(0));
    }(sub), net::detached);
    io.poll();
    io.restart();
}

struct Hub {
    net::io_context io;
    Metrics metrics;
    std::shared_ptr<FrameHub> hub = std::make_shared<FrameHub>(metrics);
    Hub() { hub->open("t1"); }
    std::shared_ptr<FeedSubscription> viewer(FeedTransport t) { return hub->subscribe(io.get_executor(), t); }
};

}  // namespace

TEST(FrameHub, ClosedHubRefusesViewers) {
    Hub h;
    h.hub->close();
    EXPECT_EQ(h.viewer(FeedTransport::Sse), nullptr);
}

TEST(FrameHub, EveryViewerGetsTheSameSharedPicture) {
    Hub h;
    auto a = h.viewer(FeedTransport::Sse);
    auto b = h.viewer(FeedTransport::Mjpeg);
    EXPECT_EQ(a->take_picture(), nullptr);  // nothing yet
    auto frame = picture(1, "jpeg");
    h.hub->publish(frame);
    EXPECT_EQ(a->take_picture().get(), frame.get());
    EXPECT_EQ(b->take_picture().get(), frame.get());
    EXPECT_EQ(a->take_picture(), nullptr);  // up to date
}

TEST(FrameHub, WaitWakesOnAChangeEndsWithTheStreamAndIdlesOtherwise) {
    Hub h;
    auto sub = h.viewer(FeedTransport::Sse);
    std::vector<FeedSubscription::Wake> wakes;
    net::co_spawn(h.io, [](std::shared_ptr<FeedSubscription> s, std::vector<FeedSubscription::Wake>* out) -> net::awaitable<void> {
        for (;;) {
            auto w = co_await s->wait(std::chrono::milliseconds(30));
            out->push_back(w);
            if (w == FeedSubscription::Wake::Ended) co_return;
        }
    }(sub, &wakes), net::detached);
    h.io.run_for(std::chrono::milliseconds(50));  // idle at least once
    h.hub->publish(picture(1, "x"));
    h.io.run_for(std::chrono::milliseconds(5));
    h.hub->close();
    h.io.run_for(std::chrono::milliseconds(50));
    ASSERT_GE(wakes.size(), 3u);
    EXPECT_EQ(wakes.front(), FeedSubscription::Wake::Idle);
    EXPECT_NE(std::find(wakes.begin(), wakes.end(), FeedSubscription::Wake::Ready), wakes.end());
    EXPECT_EQ(wakes.back(), FeedSubscription::Wake::Ended);
}

TEST(FrameHub, SlowViewerSkipsToTheNewestPictureAndDropsAreCounted) {
    Hub h;
    auto sub = h.viewer(FeedTransport::Sse);
    h.hub->publish(picture(1, "x"));
    consume_wake(h.io, sub);
    EXPECT_EQ(sub->take_picture()->seq, 1u);
    for (std::uint64_t i = 2; i <= 11; ++i) h.hub->publish(picture(i, "x"));  // the viewer is busy meanwhile
    consume_wake(h.io, sub);
    EXPECT_EQ(sub->take_picture()->seq, 11u);  // ten changes cost it one picture, not ten
    EXPECT_EQ(h.metrics.frames_dropped[0].get(), 9u);
}

TEST(FrameHub, FramesOfAnotherStreamAreIgnored) {
    Hub h;
    auto sub = h.viewer(FeedTransport::Sse);
    h.hub->publish(picture(1, "x", "old-task"));
    EXPECT_EQ(sub->take_picture(), nullptr);
    h.hub->publish(picture(2, "x"));
    EXPECT_EQ(sub->take_picture()->seq, 2u);
}

TEST(FrameHub, LateJoinerGetsTheCurrentPictureAtOnce) {
    Hub h;
    h.hub->publish(picture(5, "x"));
    auto late = h.viewer(FeedTransport::WebSocket);
    EXPECT_EQ(late->take_picture()->seq, 5u);
    EXPECT_FALSE(h.hub->demand().key);  // the newest picture is current: nothing to ask the capture for
}

TEST(FrameHub, AJoinerWhenNobodyWantedPicturesAsksTheCaptureForOne) {
    Hub h;
    h.hub->publish(picture(1, "x"));
    h.hub->publish(change(2, {Rect{0, 0, 64, 64}}, "a"));  // no picture of state 2
    auto late = h.viewer(FeedTransport::Sse);
    EXPECT_EQ(late->take_picture()->seq, 1u);  // the newest there is, at once
    const CaptureDemand demand = h.hub->demand();
    EXPECT_TRUE(demand.key);
    EXPECT_TRUE(demand.pictures);
    EXPECT_FALSE(demand.tiles);
    EXPECT_FALSE(h.hub->demand().key);  // consumed
    h.hub->publish(picture(2, "x2", "t1", /*changed=*/false));  // the capture's answer: same state, whole picture
    EXPECT_EQ(late->take_picture()->jpeg, "x2");
}

TEST(FrameHub, OpeningANewStreamEndsViewersOfThePreviousOne) {
    Hub h;
    auto sub = h.viewer(FeedTransport::Sse);
    EXPECT_TRUE(h.hub->open("t2"));
    EXPECT_FALSE(h.hub->open("t2"));
    bool ended = false;
    net::co_spawn(h.io, [](std::shared_ptr<FeedSubscription> s, bool* out) -> net::awaitable<void> {
        *out = co_await s->wait(std::chrono::seconds(5)) == FeedSubscription::Wake::Ended;
    }(sub, &ended), net::detached);
    h.io.run();
    EXPECT_TRUE(ended);
    EXPECT_EQ(h.hub->task_id(), "t2");
}

TEST(FrameHub, ViewerGaugeAndDemandFollowSubscriptions) {
    Hub h;
    {
        auto sub = h.viewer(FeedTransport::Mjpeg);
        auto tiles = h.viewer(FeedTransport::Tiles);
        EXPECT_EQ(h.metrics.feed_viewers[1].get(), 1);
        EXPECT_EQ(h.metrics.feed_viewers[3].get(), 1);
        const auto d = h.hub->demand();
        EXPECT_TRUE(d.pictures);
        EXPECT_TRUE(d.tiles);
    }
    h.io.run();
    EXPECT_EQ(h.metrics.feed_viewers[1].get(), 0);
    const auto d = h.hub->demand();
    EXPECT_FALSE(d.pictures);
    EXPECT_FALSE(d.tiles);
}

TEST(FrameHubTiles, FirstMessageIsAKeyFrameOfTheWholeScreen) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto sub = h.viewer(FeedTransport::Tiles);
    auto m = parsed(sub->take_tiles());
    EXPECT_TRUE(m.header.key);
    EXPECT_EQ(m.header.seq, 1u);
    EXPECT_EQ(m.header.width, kW);
    EXPECT_EQ(m.header.height, kH);
    ASSERT_EQ(m.tiles.size(), 1u);
    EXPECT_EQ(m.tiles[0].rect, (Rect{0, 0, kW, kH}));
    EXPECT_EQ(m.tiles[0].jpeg, "whole");
    EXPECT_EQ(sub->take_tiles(), nullptr);
}

TEST(FrameHubTiles, AChangeGoesOutAsItsTilesOnlyInOneMessageSharedByEveryone) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto a = h.viewer(FeedTransport::Tiles);
    auto b = h.viewer(FeedTransport::Tiles);
    a->take_tiles();
    b->take_tiles();
    h.hub->publish(change(2, {Rect{64, 0, 64, 64}}, "c"));
    auto ma = a->take_tiles();
    auto mb = b->take_tiles();
    EXPECT_EQ(ma.get(), mb.get());  // built once
    auto m = parsed(ma);
    EXPECT_FALSE(m.header.key);
    EXPECT_EQ(m.header.seq, 2u);
    ASSERT_EQ(m.tiles.size(), 1u);
    EXPECT_EQ(m.tiles[0].rect, (Rect{64, 0, 64, 64}));
    EXPECT_EQ(m.tiles[0].jpeg, "c0");
}

TEST(FrameHubTiles, AViewerThatFellBehindGetsTheMergedChangeNeverAnOutOfDateRegion) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto slow = h.viewer(FeedTransport::Tiles);
    consume_wake(h.io, slow);
    slow->take_tiles();
    h.hub->publish(change(2, {Rect{0, 0, 64, 64}}, "old"));    // cell A
    h.hub->publish(change(3, {Rect{0, 0, 128, 64}}, "new"));   // A and B, newer
    h.hub->publish(change(4, {Rect{192, 64, 64, 64}}, "far"));  // D
    consume_wake(h.io, slow);
    auto m = parsed(slow->take_tiles());
    EXPECT_EQ(m.header.seq, 4u);
    ASSERT_EQ(m.tiles.size(), 2u);  // state 2's tile is not sent: state 3 covered it
    EXPECT_EQ(m.tiles[0].jpeg, "new0");
    EXPECT_EQ(m.tiles[1].jpeg, "far0");
    EXPECT_EQ(h.metrics.frames_dropped[3].get(), 2u);
    EXPECT_EQ(slow->take_tiles(), nullptr);
}

TEST(FrameHubTiles, OlderTilesComeFirstSoNewerOnesDrawnOverThemWin) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto slow = h.viewer(FeedTransport::Tiles);
    slow->take_tiles();
    h.hub->publish(change(2, {Rect{0, 0, 192, 64}}, "wide"));  // A B C
    h.hub->publish(change(3, {Rect{64, 0, 64, 64}}, "mid"));   // B again
    auto m = parsed(slow->take_tiles());
    ASSERT_EQ(m.tiles.size(), 2u);
    EXPECT_EQ(m.tiles[0].jpeg, "wide0");  // still shows A and C as they are now
    EXPECT_EQ(m.tiles[1].jpeg, "mid0");
}

TEST(FrameHubTiles, AJoinerAfterLaterChangesGetsTheLastPictureAndTheTilesSinceInOneKeyMessage) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    h.hub->publish(change(2, {Rect{0, 64, 64, 64}}, "c"));
    auto sub = h.viewer(FeedTransport::Tiles);
    auto m = parsed(sub->take_tiles());
    EXPECT_TRUE(m.header.key);
    EXPECT_EQ(m.header.seq, 2u);
    ASSERT_EQ(m.tiles.size(), 2u);
    EXPECT_EQ(m.tiles[0].jpeg, "whole");
    EXPECT_EQ(m.tiles[1].jpeg, "c0");
    EXPECT_EQ(m.tiles[1].rect, (Rect{0, 64, 64, 64}));
}

TEST(FrameHubTiles, WithoutTilesOfSomeChangeAViewerWaitsForAKeyFrameOfTheCurrentState) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    h.hub->publish(change(2, {}, ""));  // a change nobody wanted tiles or a picture of
    auto sub = h.viewer(FeedTransport::Tiles);
    EXPECT_EQ(sub->take_tiles(), nullptr);
    EXPECT_TRUE(h.hub->demand().key);
    h.hub->publish(picture(2, "now", "t1", /*changed=*/false));
    auto m = parsed(sub->take_tiles());
    EXPECT_TRUE(m.header.key);
    EXPECT_EQ(m.tiles.at(0).jpeg, "now");
    // Deltas work again from that picture on.
    h.hub->publish(change(3, {Rect{0, 0, 64, 64}}, "d"));
    auto next = parsed(sub->take_tiles());
    EXPECT_FALSE(next.header.key);
    EXPECT_EQ(next.tiles.at(0).jpeg, "d0");
}

TEST(FrameHubTiles, AKeyFrameRequestIsAnsweredWithTheWholePicture) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto sub = h.viewer(FeedTransport::Tiles);
    sub->take_tiles();
    sub->request_key_frame();
    auto m = parsed(sub->take_tiles());
    EXPECT_TRUE(m.header.key);
    EXPECT_EQ(m.tiles.at(0).jpeg, "whole");
}

TEST(FrameHubTiles, AMergedChangeBiggerThanThePictureIsSentAsThePicture) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto slow = h.viewer(FeedTransport::Tiles);
    auto fast = h.viewer(FeedTransport::Tiles);
    slow->take_tiles();
    fast->take_tiles();
    h.hub->publish(change(2, {Rect{0, 0, 64, 64}}, std::string(400, 'a')));
    fast->take_tiles();
    h.hub->publish(change(3, {Rect{64, 0, 64, 64}}, std::string(400, 'b'), std::string(600, 'p')));
    auto m = parsed(slow->take_tiles());
    EXPECT_TRUE(m.header.key);
    ASSERT_EQ(m.tiles.size(), 1u);
    EXPECT_EQ(m.tiles[0].jpeg, std::string(600, 'p'));  // 636 bytes against 848
    // One state behind, the delta is still the delta.
    auto d = parsed(fast->take_tiles());
    EXPECT_FALSE(d.header.key);
}

TEST(FrameHubTiles, ABigChangeSentAsAPictureResetsTheTiles) {
    Hub h;
    h.hub->publish(picture(1, "whole"));
    auto sub = h.viewer(FeedTransport::Tiles);
    sub->take_tiles();
    h.hub->publish(change(2, {Rect{0, 0, 64, 64}}, "a"));
    h.hub->publish(picture(3, "big"));  // key: everything replaced
    auto m = parsed(sub->take_tiles());
    EXPECT_TRUE(m.header.key);
    ASSERT_EQ(m.tiles.size(), 1u);
    EXPECT_EQ(m.tiles[0].jpeg, "big");
}

}  // namespace redred::screen
