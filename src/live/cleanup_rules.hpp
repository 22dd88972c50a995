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
    StreamerGone,      // live, streamer's WebSocket gone for more than streamer_gone_grace (seed: orphans)
    AbandonedWaiting,  // created but never started for more than waiting_abandoned
    Forced,            // force mode (seed: force_cleanup_streams.py)
};
// "live_too_long" | "no_viewers_too_long" | "streamer_gone" | "abandoned_waiting" | "forced"
const char* reason_name(CleanupReason reason);

struct CleanupThresholds {
    std::chrono::seconds max_live = std::chrono::hours(4);
    std::chrono::seconds max_idle_without_viewers = std::chrono::minutes(30);
    std::chrono::seconds streamer_gone_grace = std::chrono::minutes(5);  // room for a reconnect
    std::chrono::seconds waiting_abandoned = std::chrono::hours(24);
};

struct CleanupFacts {
    StreamStatus status = StreamStatus::Waiting;
    TimePoint created_at;
    std::optional<TimePoint> started_at;
    int current_viewers = 0;                     // > 0: not idle, whatever last_viewer_at says
    std::optional<TimePoint> last_viewer_at;     // when the last viewer left; nullopt: never had one
    std::optional<bool> streamer_connected;      // nullopt: unknown here (then StreamerGone is not judged)
    std::optional<TimePoint> streamer_last_seen; // when the streamer's connection closed; default started_at
};

// Thresholds are exclusive: a stream live for exactly 4 h stays; 4 h + 1 s is ended. Ended streams are
// never chosen. With `force`, every live stream is chosen (Forced); waiting ones still follow the rules.
// Checked in this order: Forced, LiveTooLong, StreamerGone, NoViewersTooLong, AbandonedWaiting.
// A live stream without started_at (inconsistent data) is measured from created_at.
std::optional<CleanupReason> cleanup_reason(const CleanupFacts& facts, TimePoint now,
                                            const CleanupThresholds& thresholds = {}, bool force = false);

}  // namespace redred::live
