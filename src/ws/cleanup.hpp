// The seed's cleanup scripts (cleanup_streams.py, check_streams.py, force_cleanup_streams.py) as one rule set:
// a sweeper inside the server (ends streams and tells their clients) and `redred cleanup` for operators.
#pragma once
#include <string>
#include <vector>

#include "live/cleanup_rules.hpp"
#include "store/store.hpp"
#include "ws/live_context.hpp"

namespace redred::ws {

struct CleanupDecision {
    store::StreamRow stream;
    live::CleanupReason reason;
};

// Decides from stored rows alone (what `redred cleanup` sees with the server stopped).
std::vector<CleanupDecision> decide_cleanup(const std::vector<store::StreamRow>& candidates, live::TimePoint now,
                                            const live::CleanupThresholds& thresholds, bool force);

// One sweep in the server: rooms that are loaded give live facts (viewers, streamer connected); a stream the
// database says has ended while its room still runs (ended by `redred cleanup`) is ended in the room too.
net::awaitable<std::vector<CleanupDecision>> sweep(LiveContext& ctx, bool force);

// Runs sweep() every `interval` until the io_context stops.
void start_sweeper(LiveContext& ctx, std::chrono::milliseconds interval);

}  // namespace redred::ws
