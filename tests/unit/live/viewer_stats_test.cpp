#include "live/viewer_stats.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace redred::live {
namespace {

using std::chrono::seconds;
const TimePoint t0 = from_unix_seconds(1'700'000'000);

TEST(ComputeStats, AverageIsWeightedByTimeHeld) {
    // 0 viewers for 10 s, then 4 viewers for 30 s: (0*10 + 4*30) / 40 = 3.0
    const std::vector<ViewerSample> samples = {{t0, 0}, {t0 + seconds(10), 4}};
    const StreamStatsResult stats = compute_stats(t0, t0 + seconds(40), t0 + seconds(99), samples, 0, 4, 7);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 3.0);
    EXPECT_EQ(stats.duration_seconds, 40);
    EXPECT_EQ(stats.peak_viewers, 4);
    EXPECT_EQ(stats.comments_count, 7);
    EXPECT_EQ(stats.series, samples);
}

TEST(ComputeStats, CountIsZeroBeforeTheFirstSample) {
    // Nothing recorded for 20 s, then 6 viewers for 10 s: 6*10 / 30 = 2.0
    const StreamStatsResult stats = compute_stats(t0, t0 + seconds(30), t0, {{t0 + seconds(20), 6}}, 0, 6, 0);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 2.0);
}

TEST(ComputeStats, LiveStreamIsMeasuredUpToNow) {
    // 2 viewers for 60 s, then 5 viewers for 60 s (until now): (120 + 300) / 120 = 3.5
    const std::vector<ViewerSample> samples = {{t0, 2}, {t0 + seconds(60), 5}};
    const StreamStatsResult stats = compute_stats(t0, std::nullopt, t0 + seconds(120), samples, 5, 5, 0);
    EXPECT_EQ(stats.duration_seconds, 120);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 3.5);
    EXPECT_EQ(stats.viewers_count, 5);
}

TEST(ComputeStats, SamplesOutsideTheLivePeriodAreClipped) {
    // 3 viewers waiting 50 s before the start carry into the period; the sample after the end is ignored.
    // In the period [t0, t0+40]: 3 for 20 s, then 1 for 20 s → (60 + 20) / 40 = 2.0
    const std::vector<ViewerSample> samples = {
        {t0 - seconds(50), 3}, {t0 + seconds(20), 1}, {t0 + seconds(45), 9}};
    const StreamStatsResult stats = compute_stats(t0, t0 + seconds(40), t0 + seconds(100), samples, 0, 9, 0);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 2.0);
    EXPECT_EQ(stats.series, (std::vector<ViewerSample>{{t0, 3}, {t0 + seconds(20), 1}}));
}

TEST(ComputeStats, UnsortedSamplesGiveTheSameResult) {
    const std::vector<ViewerSample> samples = {{t0 + seconds(10), 4}, {t0, 0}};
    EXPECT_DOUBLE_EQ(compute_stats(t0, t0 + seconds(40), t0, samples, 0, 4, 0).average_viewers, 3.0);
}

TEST(ComputeStats, NeverLiveStreamHasZeroDurationAndAverage) {
    const StreamStatsResult stats = compute_stats(std::nullopt, t0, t0 + seconds(5), {{t0, 3}}, 0, 3, 2);
    EXPECT_EQ(stats.duration_seconds, 0);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 0.0);
    EXPECT_TRUE(stats.series.empty());
    EXPECT_EQ(stats.peak_viewers, 3);  // people may have waited for it
    EXPECT_EQ(stats.comments_count, 2);
}

TEST(ComputeStats, ZeroLengthPeriodHasZeroAverage) {
    const StreamStatsResult stats = compute_stats(t0, t0, t0, {{t0, 3}}, 0, 3, 0);
    EXPECT_EQ(stats.duration_seconds, 0);
    EXPECT_DOUBLE_EQ(stats.average_viewers, 0.0);
}

TEST(ComputeStats, DownsamplingKeepsThePeak) {
    std::vector<ViewerSample> samples;
    for (int i = 0; i < 3600; ++i) samples.push_back({t0 + seconds(i), i == 1234 ? 500 : 10 + i % 7});
    const StreamStatsResult stats = compute_stats(t0, t0 + seconds(3600), t0, samples, 0, 500, 0, 300);
    EXPECT_LE(stats.series.size(), 300u);
    EXPECT_GE(stats.series.size(), 299u);
    const auto peak = std::max_element(stats.series.begin(), stats.series.end(),
                                       [](const auto& a, const auto& b) { return a.viewers < b.viewers; });
    EXPECT_EQ(*peak, (ViewerSample{t0 + seconds(1234), 500}));
    EXPECT_TRUE(std::is_sorted(stats.series.begin(), stats.series.end(),
                               [](const auto& a, const auto& b) { return a.at < b.at; }));
}

TEST(ComputeStats, SerializesForTheApi) {
    const StreamStatsResult stats = compute_stats(t0, t0 + seconds(40), t0, {{t0 + seconds(10), 4}}, 0, 4, 1);
    const nlohmann::json j = stats;
    EXPECT_EQ(j["duration_seconds"], 40);
    EXPECT_DOUBLE_EQ(j["average_viewers"].get<double>(), 3.0);
    EXPECT_EQ(j["series"][0]["viewers"], 4);
    EXPECT_DOUBLE_EQ(j["series"][0]["at"].get<double>(), 1'700'000'010.0);
}

TEST(ViewerTimeline, RecordsChangesAndAHeartbeatForFlatPeriods) {
    ViewerTimeline timeline(seconds(10));
    EXPECT_EQ(timeline.record(0, t0), (ViewerSample{t0, 0}));
    EXPECT_EQ(timeline.record(0, t0 + seconds(3)), std::nullopt);
    EXPECT_EQ(timeline.record(2, t0 + seconds(4)), (ViewerSample{t0 + seconds(4), 2}));
    EXPECT_EQ(timeline.record(2, t0 + seconds(13)), std::nullopt);
    EXPECT_EQ(timeline.record(2, t0 + seconds(14)), (ViewerSample{t0 + seconds(14), 2}));
    EXPECT_EQ(timeline.record(1, t0 + seconds(14)), (ViewerSample{t0 + seconds(14), 1}));
    EXPECT_EQ(timeline.last_recorded(), (ViewerSample{t0 + seconds(14), 1}));
}

}  // namespace
}  // namespace redred::live
