// When a stream should be ended by cleanup (seed: "Scripts de Mantenimiento"): a pure decision per stream.
// The caller (the `cleanup` command or a periodic task) gathers the facts, asks here, and ends the stream
// with StreamEvent::EndRequested.
#pragma once
#include <chrono>
#include <optional>

#include "live/types.hpp"

namespace redred::live {

enum class CleanupReason {
    LiveTooLong,       // live for more than max_live (seed: "live por más de 4 horas")
    NoViewersTooLong,  // live with nobody watching for more than max_idle_without_viewers (seed: 30 minutes)
    StreamerGone,      // live, nobody publishing for more than publisher_grace (seed: orphans)
    AbandonedWaiting,  // created but never started for more than waiting_abandoned
    Forced,            // force mode (seed: force_cleanup_streams.py)
};
// "live_too_long" | "no_viewers_too_long" | "streamer_gone" | "abandoned_waiting" | "forced"
const char* reason_name(CleanupReason reason);

struct CleanupThresholds {
    std::chrono::seconds max_live = std::chrono::hours(4);
    std::chrono::seconds max_idle_without_viewers = std::chrono::minutes(30);
    // How long a live stream waits for its streamer to come back (--publisher-grace-s): the room ends it when
    // this runs out after the streamer's last connection closed; 0 ends it at once.
    std::chrono::milliseconds publisher_grace = std::chrono::seconds(30);
    std::chrono::seconds waiting_abandoned = std::chrono::hours(24);
};

struct CleanupFacts {
    StreamStatus status = StreamStatus::Waiting;
    TimePoint created_at;
    std::optional<TimePoint> started_at;
    int current_viewers = 0;                     // > 0: not idle, whatever last_viewer_at says
    std::optional<TimePoint> last_viewer_at;     // when the last viewer left; nullopt: never had one
    std::optional<bool> streamer_connected;      // nullopt: unknown here, or the room's own grace timer judges it
    std::optional<TimePoint> streamer_last_seen; // when the streamer's connection closed; default started_at
};

// The publisher grace window of a live stream whose streamer (studio or encoder) left at `left_at`: the stream
// stays live, and ends at `left_at + publisher_grace` unless the streamer is back by then. Exclusive like the
// thresholds below: at exactly the end the stream is still in its grace, a millisecond later it is not
// (with a grace of 0, any time after `left_at`).
TimePoint publisher_grace_end(TimePoint left_at, const CleanupThresholds& thresholds = {});
bool publisher_grace_over(TimePoint left_at, TimePoint now, const CleanupThresholds& thresholds = {});

// Thresholds are exclusive: a stream live for exactly 4 h stays; 4 h + 1 s is ended. Ended streams are
// never chosen. With `force`, every live stream is chosen (Forced); waiting ones still follow the rules.
// Checked in this order: Forced, LiveTooLong, StreamerGone, NoViewersTooLong, AbandonedWaiting.
// StreamerGone is the publisher grace run out (publisher_grace_over, from streamer_last_seen, or from the start
// when that is unknown); a stream in its grace is never chosen for it, whatever its other facts.
// A live stream without started_at (inconsistent data) is measured from created_at.
std::optional<CleanupReason> cleanup_reason(const CleanupFacts& facts, TimePoint now,
                                            const CleanupThresholds& thresholds = {}, bool force = false);

}  // namespace redred::live
