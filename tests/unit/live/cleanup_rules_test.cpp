#include "live/cleanup_rules.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
const TimePoint t0 = from_unix_seconds(1'700'000'000);

// Live since t0 with a viewer watching: no rule applies until 4 h.
CleanupFacts live_with_viewers() {
    return CleanupFacts{.status = StreamStatus::Live,
                        .created_at = t0 - minutes(1),
                        .started_at = t0,
                        .current_viewers = 3,
                        .last_viewer_at = std::nullopt,
                        .streamer_connected = true,
                        .streamer_last_seen = std::nullopt};
}

// Created at t0, never started.
CleanupFacts waiting_since_t0() {
    CleanupFacts facts;
    facts.status = StreamStatus::Waiting;
    facts.created_at = t0;
    return facts;
}

TEST(CleanupRules, LiveStreamIsEndedJustAfterFourHours) {
    const CleanupFacts facts = live_with_viewers();
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(4)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(4) + seconds(1)), CleanupReason::LiveTooLong);
}

TEST(CleanupRules, LiveStreamWithoutViewersIsEndedJustAfterThirtyMinutes) {
    CleanupFacts facts = live_with_viewers();
    facts.current_viewers = 0;
    facts.last_viewer_at = t0 + minutes(10);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(40)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(40) + seconds(1)), CleanupReason::NoViewersTooLong);
}

TEST(CleanupRules, NeverWatchedStreamIsIdleSinceItStarted) {
    CleanupFacts facts = live_with_viewers();
    facts.current_viewers = 0;
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(30)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(30) + seconds(1)), CleanupReason::NoViewersTooLong);
    facts.last_viewer_at = t0 - hours(2);  // watched while waiting: does not count against the live period
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(30)), std::nullopt);
}

TEST(CleanupRules, CurrentViewersMeanTheStreamIsNotIdle) {
    CleanupFacts facts = live_with_viewers();
    facts.last_viewer_at = t0;
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(3)), std::nullopt);
}

TEST(CleanupRules, LiveStreamWhoseStreamerLeftIsEndedJustAfterThePublisherGrace) {
    CleanupFacts facts = live_with_viewers();
    facts.streamer_connected = false;
    facts.streamer_last_seen = t0 + minutes(20);
    // Default grace: 30 s, counted from when the streamer's last connection closed.
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(20) + seconds(30)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(20) + seconds(30) + std::chrono::milliseconds(1)),
              CleanupReason::StreamerGone);
    facts.streamer_connected = std::nullopt;  // unknown to this process, or its room's grace timer decides
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(1)), std::nullopt);
}

TEST(CleanupRules, StreamerBackWithinTheGraceKeepsTheStreamLive) {
    CleanupFacts facts = live_with_viewers();
    facts.streamer_connected = true;  // reconnected: the earlier departure no longer counts
    facts.streamer_last_seen = t0 + minutes(1);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(2)), std::nullopt);
}

TEST(CleanupRules, StreamerGoneWithoutAKnownDepartureIsCountedFromTheStart) {
    CleanupFacts facts = live_with_viewers();
    facts.streamer_connected = false;  // e.g. its process died before anyone noted when it left
    EXPECT_EQ(cleanup_reason(facts, t0 + seconds(30)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + seconds(31)), CleanupReason::StreamerGone);
    facts.streamer_last_seen = t0 - minutes(5);  // before the start (an earlier live period): from the start
    EXPECT_EQ(cleanup_reason(facts, t0 + seconds(30)), std::nullopt);
}

TEST(CleanupRules, TheGraceIsConfigurableAndZeroEndsAtOnce) {
    CleanupFacts facts = live_with_viewers();
    facts.streamer_connected = false;
    facts.streamer_last_seen = t0 + minutes(10);
    CleanupThresholds two_minutes;
    two_minutes.publisher_grace = minutes(2);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(12), two_minutes), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(12) + seconds(1), two_minutes), CleanupReason::StreamerGone);
    CleanupThresholds none;
    none.publisher_grace = seconds(0);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(10), none), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(10) + std::chrono::milliseconds(1), none),
              CleanupReason::StreamerGone);
}

TEST(CleanupRules, AStreamInItsGraceIsNotIdleByItsStreamersAbsence) {
    // Nobody watching and no streamer, but only for 10 s: neither rule applies yet.
    CleanupFacts facts = live_with_viewers();
    facts.current_viewers = 0;
    facts.last_viewer_at = t0 + minutes(1);
    facts.streamer_connected = false;
    facts.streamer_last_seen = t0 + minutes(5);
    EXPECT_EQ(cleanup_reason(facts, t0 + minutes(5) + seconds(10)), std::nullopt);
}

TEST(CleanupRules, PublisherGraceWindowEndsAfterTheGrace) {
    CleanupThresholds t;
    t.publisher_grace = seconds(30);
    EXPECT_EQ(publisher_grace_end(t0, t), t0 + seconds(30));
    EXPECT_FALSE(publisher_grace_over(t0, t0 + seconds(30), t));
    EXPECT_TRUE(publisher_grace_over(t0, t0 + seconds(30) + std::chrono::milliseconds(1), t));
    EXPECT_FALSE(publisher_grace_over(t0, t0 - seconds(5), t));  // a clock that stepped back: still in grace
}

TEST(CleanupRules, WaitingStreamIsAbandonedJustAfterTwentyFourHours) {
    const CleanupFacts facts = waiting_since_t0();
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(24)), std::nullopt);
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(24) + seconds(1)), CleanupReason::AbandonedWaiting);
}

TEST(CleanupRules, EndedStreamsAreNeverChosen) {
    CleanupFacts facts = live_with_viewers();
    facts.status = StreamStatus::Ended;
    EXPECT_EQ(cleanup_reason(facts, t0 + hours(100), {}, true), std::nullopt);
}

TEST(CleanupRules, ForceEndsEveryLiveStream) {
    EXPECT_EQ(cleanup_reason(live_with_viewers(), t0 + seconds(1), {}, true), CleanupReason::Forced);
    EXPECT_EQ(cleanup_reason(waiting_since_t0(), t0 + seconds(1), {}, true), std::nullopt);
}

TEST(CleanupRules, ThresholdsAreConfigurable) {
    CleanupThresholds short_live;
    short_live.max_live = minutes(10);
    EXPECT_EQ(cleanup_reason(live_with_viewers(), t0 + minutes(11), short_live), CleanupReason::LiveTooLong);
}

TEST(CleanupRules, ReasonsHaveStableNames) {
    EXPECT_STREQ(reason_name(CleanupReason::LiveTooLong), "live_too_long");
    EXPECT_STREQ(reason_name(CleanupReason::NoViewersTooLong), "no_viewers_too_long");
    EXPECT_STREQ(reason_name(CleanupReason::StreamerGone), "streamer_gone");
    EXPECT_STREQ(reason_name(CleanupReason::AbandonedWaiting), "abandoned_waiting");
    EXPECT_STREQ(reason_name(CleanupReason::Forced), "forced");
}

}  // namespace
}  // namespace redred::live
