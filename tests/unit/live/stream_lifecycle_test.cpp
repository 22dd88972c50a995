#include "live/stream_lifecycle.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

const TimePoint t0 = from_unix_seconds(1'700'000'000);
const TimePoint t1 = t0 + std::chrono::minutes(5);
const TimePoint t2 = t0 + std::chrono::minutes(90);

TEST(StreamLifecycle, WaitingStreamGoesLiveWhenTheStreamerConnects) {
    const auto next = apply(StreamTimes{StreamStatus::Waiting, {}, {}}, StreamEvent::StreamerConnected, t1);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, (StreamTimes{StreamStatus::Live, t1, std::nullopt}));
}

TEST(StreamLifecycle, StreamerReconnectingToALiveStreamChangesNothing) {
    const StreamTimes live{StreamStatus::Live, t1, {}};
    const auto next = apply(live, StreamEvent::StreamerConnected, t2);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, live);
}

TEST(StreamLifecycle, EndingALiveStreamRecordsEndedAt) {
    const auto next = apply(StreamTimes{StreamStatus::Live, t1, {}}, StreamEvent::EndRequested, t2);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, (StreamTimes{StreamStatus::Ended, t1, t2}));
}

TEST(StreamLifecycle, EndingAWaitingStreamLeavesItNeverStarted) {
    const auto next = apply(StreamTimes{StreamStatus::Waiting, {}, {}}, StreamEvent::EndRequested, t2);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, (StreamTimes{StreamStatus::Ended, std::nullopt, t2}));
}

TEST(StreamLifecycle, EndedStreamCannotGoLiveAgain) {
    const auto next = apply(StreamTimes{StreamStatus::Ended, t1, t2}, StreamEvent::StreamerConnected, t2);
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.error().code, Errc::Conflict);
    EXPECT_EQ(next.error().message, "this stream has ended and cannot go live again");
}

TEST(StreamLifecycle, EndedStreamCannotEndAgain) {
    const auto next = apply(StreamTimes{StreamStatus::Ended, t1, t2}, StreamEvent::EndRequested, t2);
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.error().code, Errc::Conflict);
    EXPECT_EQ(next.error().message, "this stream has already ended");
}

TEST(StreamLifecycle, TransitionTableCoversEveryStatusAndEvent) {
    struct Row {
        StreamStatus from;
        StreamEvent event;
        std::optional<StreamStatus> to;
    };
    const Row table[] = {
        {StreamStatus::Waiting, StreamEvent::StreamerConnected, StreamStatus::Live},
        {StreamStatus::Waiting, StreamEvent::EndRequested, StreamStatus::Ended},
        {StreamStatus::Live, StreamEvent::StreamerConnected, StreamStatus::Live},
        {StreamStatus::Live, StreamEvent::EndRequested, StreamStatus::Ended},
        {StreamStatus::Ended, StreamEvent::StreamerConnected, std::nullopt},
        {StreamStatus::Ended, StreamEvent::EndRequested, std::nullopt},
    };
    for (const Row& row : table) {
        SCOPED_TRACE(std::string(status_name(row.from)) + " + " + event_name(row.event));
        EXPECT_EQ(next_status(row.from, row.event), row.to);
    }
}

TEST(StreamLifecycle, WaitingAndLiveStreamsAcceptViewersEndedOnesDoNot) {
    EXPECT_TRUE(accepts_viewers(StreamStatus::Waiting));
    EXPECT_TRUE(accepts_viewers(StreamStatus::Live));
    EXPECT_FALSE(accepts_viewers(StreamStatus::Ended));
}

}  // namespace
}  // namespace redred::live
