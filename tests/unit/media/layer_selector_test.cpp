#include "media/layer_selector.hpp"

#include <gtest/gtest.h>

namespace redred::media {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Feeds cumulative counters: each step adds `received` and `lost` packets and advances time by 2 s.
struct Feeder {
    LayerSelector& selector;
    Clock::time_point now;
    ReceiverReport totals{};

    Layer step(std::uint64_t received, std::uint64_t lost, std::uint64_t decoded = 40, std::uint64_t dropped = 0) {
        now += seconds(2);
        totals.packets_received += received;
        totals.packets_lost += lost;
        totals.frames_decoded += decoded;
        totals.frames_dropped += dropped;
        return selector.on_report(totals, now);
    }
};

TEST(LayerSelector, StartsHighAndStaysThereOnACleanLink) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    for (int i = 0; i < 30; ++i) EXPECT_EQ(feed.step(500, 0), Layer::High);
}

TEST(LayerSelector, HeavyLossStepsDownOneLayerAtOnce) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    feed.step(500, 0);  // baseline
    EXPECT_EQ(feed.step(450, 50), Layer::Medium);  // 10 % lost
    EXPECT_EQ(feed.step(400, 60), Layer::Low);
    EXPECT_EQ(feed.step(300, 60), Layer::Low) << "never below low";
}

TEST(LayerSelector, SomeLossStepsDownOnlyWhenItRepeats) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    feed.step(500, 0);
    EXPECT_EQ(feed.step(485, 15), Layer::High) << "3 % once is noise";
    EXPECT_EQ(feed.step(500, 0), Layer::High);
    EXPECT_EQ(feed.step(485, 15), Layer::High);
    EXPECT_EQ(feed.step(485, 15), Layer::Medium) << "3 % twice in a row";
}

TEST(LayerSelector, ProbesUpAfterTenCleanSecondsThenBacksOffWhenTheProbeFails) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    feed.step(500, 0);
    ASSERT_EQ(feed.step(400, 100), Layer::Medium);
    // Clean reports every 2 s: the run starts at the first one, the probe comes 10 s later.
    int steps = 0;
    while (feed.step(300, 0) == Layer::Medium) ++steps;
    EXPECT_EQ(steps, 5);
    EXPECT_EQ(selector.layer(), Layer::High);
    // The probe fails at once: back down, and the next probe waits twice as long (20 s).
    ASSERT_EQ(feed.step(400, 100), Layer::Medium);
    steps = 0;
    while (feed.step(300, 0) == Layer::Medium) ++steps;
    EXPECT_EQ(steps, 10);
}

TEST(LayerSelector, AProbeThatHoldsResetsTheWait) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    feed.step(500, 0);
    ASSERT_EQ(feed.step(400, 100), Layer::Medium);
    while (feed.step(300, 0) == Layer::Medium) {}
    ASSERT_EQ(feed.step(400, 100), Layer::Medium);  // failed probe: wait 20 s
    while (feed.step(300, 0) == Layer::Medium) {}
    for (int i = 0; i < 12; ++i) ASSERT_EQ(feed.step(500, 0), Layer::High);  // holds for 24 s
    ASSERT_EQ(feed.step(400, 100), Layer::Medium);
    int steps = 0;
    while (feed.step(300, 0) == Layer::Medium) ++steps;
    EXPECT_EQ(steps, 5) << "back to the 10 s wait";
}

TEST(LayerSelector, AnOverloadedDecoderCountsAsHeavy) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    Feeder feed{selector, t0};
    feed.step(500, 0);
    EXPECT_EQ(feed.step(500, 0, /*decoded*/ 20, /*dropped*/ 20), Layer::Medium);
}

TEST(LayerSelector, IgnoresFloodsTinySamplesAndCountersThatGoBack) {
    const auto t0 = Clock::now();
    LayerSelector selector(t0);
    ReceiverReport r{1000, 0, 100, 0};
    selector.on_report(r, t0 + seconds(1));
    r = {1100, 500, 110, 0};
    EXPECT_EQ(selector.on_report(r, t0 + milliseconds(1200)), Layer::High) << "200 ms later: ignored";
    r = {1005, 5, 101, 0};
    EXPECT_EQ(selector.on_report(r, t0 + seconds(3)), Layer::High) << "10 packets: no verdict";
    r = {10, 5, 1, 0};
    EXPECT_EQ(selector.on_report(r, t0 + seconds(5)), Layer::High) << "a new peer connection: start over";
    r = {500, 100, 40, 0};
    EXPECT_EQ(selector.on_report(r, t0 + seconds(7)), Layer::Medium);
}

}  // namespace
}  // namespace redred::media
