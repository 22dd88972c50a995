// The stream state machine (seed: waiting → live → ended) as a transition table. Pure: the caller loads
// the stream's times, applies an event with `now`, and persists the result.
#pragma once
#include <optional>

#include "core/result.hpp"
#include "live/types.hpp"

namespace redred::live {

enum class StreamEvent {
    StreamerConnected,  // the streamer's WebSocket joined the stream (seed: connecting makes it live)
    EndRequested,       // the streamer ended it, or cleanup did
};
const char* event_name(StreamEvent event);  // "streamer_connected" | "end_requested"

struct StreamTimes {
    StreamStatus status = StreamStatus::Waiting;
    std::optional<TimePoint> started_at;
    std::optional<TimePoint> ended_at;
    bool operator==(const StreamTimes&) const = default;
};

// Transitions:
//   Waiting + StreamerConnected → Live   (started_at = now)
//   Live    + StreamerConnected → Live   (a reconnect: nothing changes)
//   Waiting + EndRequested      → Ended  (ended_at = now; never went live, started_at stays empty)
//   Live    + EndRequested      → Ended  (ended_at = now)
// Anything from Ended → Conflict ("this stream has ended and cannot go live again" /
// "this stream has already ended").
Result<StreamTimes> apply(const StreamTimes& current, StreamEvent event, TimePoint now);

// The status after `event`, or nullopt when the table has no such transition.
std::optional<StreamStatus> next_status(StreamStatus from, StreamEvent event);

// Waiting and Live streams accept WebSocket joins (people may wait for the start); Ended ones do not.
bool accepts_viewers(StreamStatus status);

}  // namespace redred::live
