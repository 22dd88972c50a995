#include "live/stream_lifecycle.hpp"

namespace redred::live {
namespace {

struct Transition {
    StreamStatus from;
    StreamEvent event;
    StreamStatus to;
};

// A pair missing from this table is answered with Conflict.
constexpr Transition kTransitions[] = {
    {StreamStatus::Waiting, StreamEvent::StreamerConnected, StreamStatus::Live},
    {StreamStatus::Live, StreamEvent::StreamerConnected, StreamStatus::Live},
    {StreamStatus::Waiting, StreamEvent::EndRequested, StreamStatus::Ended},
    {StreamStatus::Live, StreamEvent::EndRequested, StreamStatus::Ended},
};

}  // namespace

const char* event_name(StreamEvent event) {
    switch (event) {
        case StreamEvent::StreamerConnected: return "streamer_connected";
        case StreamEvent::EndRequested: return "end_requested";
    }
    return "unknown";
}

std::optional<StreamStatus> next_status(StreamStatus from, StreamEvent event) {
    for (const Transition& t : kTransitions)
        if (t.from == from && t.event == event) return t.to;
    return std::nullopt;
}

Result<StreamTimes> apply(const StreamTimes& current, StreamEvent event, TimePoint now) {
    const std::optional<StreamStatus> to = next_status(current.status, event);
    if (!to) {
        if (current.status == StreamStatus::Ended && event == StreamEvent::EndRequested)
            return make_error(Errc::Conflict, "this stream has already ended");
        if (current.status == StreamStatus::Ended)
            return make_error(Errc::Conflict, "this stream has ended and cannot go live again");
        return make_error(Errc::Conflict, std::string("a ") + status_name(current.status) + " stream cannot handle " +
                                              event_name(event));
    }
    StreamTimes next = current;
    next.status = *to;
    if (current.status == StreamStatus::Waiting && *to == StreamStatus::Live) next.started_at = now;
    if (*to == StreamStatus::Ended) next.ended_at = now;
    return next;
}

bool accepts_viewers(StreamStatus status) {
    return status == StreamStatus::Waiting || status == StreamStatus::Live;
}

}  // namespace redred::live
