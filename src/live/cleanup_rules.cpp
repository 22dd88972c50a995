#include "live/cleanup_rules.hpp"

#include <algorithm>

namespace redred::live {

const char* reason_name(CleanupReason reason) {
    switch (reason) {
        case CleanupReason::LiveTooLong: return "live_too_long";
        case CleanupReason::NoViewersTooLong: return "no_viewers_too_long";
        case CleanupReason::StreamerGone: return "streamer_gone";
        case CleanupReason::AbandonedWaiting: return "abandoned_waiting";
        case CleanupReason::Forced: return "forced";
    }
    return "unknown";
}

TimePoint publisher_grace_end(TimePoint left_at, const CleanupThresholds& thresholds) {
    return left_at + std::chrono::duration_cast<TimePoint::duration>(thresholds.publisher_grace);
}

bool publisher_grace_over(TimePoint left_at, TimePoint now, const CleanupThresholds& thresholds) {
    return now > publisher_grace_end(left_at, thresholds);
}

std::optional<CleanupReason> cleanup_reason(const CleanupFacts& facts, TimePoint now,
                                            const CleanupThresholds& thresholds, bool force) {
    switch (facts.status) {
        case StreamStatus::Ended: return std::nullopt;
        case StreamStatus::Waiting:
            if (now - facts.created_at > thresholds.waiting_abandoned) return CleanupReason::AbandonedWaiting;
            return std::nullopt;
        case StreamStatus::Live: break;
    }
    if (force) return CleanupReason::Forced;
    const TimePoint started = facts.started_at.value_or(facts.created_at);
    if (now - started > thresholds.max_live) return CleanupReason::LiveTooLong;
    if (facts.streamer_connected == false &&
        publisher_grace_over(std::max(started, facts.streamer_last_seen.value_or(started)), now, thresholds))
        return CleanupReason::StreamerGone;
    // A viewer who left before the stream went live does not make the live period less idle.
    const TimePoint idle_since = std::max(started, facts.last_viewer_at.value_or(started));
    if (facts.current_viewers <= 0 && now - idle_since > thresholds.max_idle_without_viewers)
        return CleanupReason::NoViewersTooLong;
    return std::nullopt;
}

}  // namespace redred::live
