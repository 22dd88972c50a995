// Stream statistics (seed: viewers_count, peak_viewers, duration, comments_count, average_viewers) computed
// from recorded viewer-count samples, plus ViewerTimeline, which decides which samples are worth recording.
// Pure: the caller loads samples and passes `now`.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "live/types.hpp"

namespace redred::live {

// The viewer count became `viewers` at `at` and held until the next sample.
struct ViewerSample {
    TimePoint at;
    int viewers = 0;
    bool operator==(const ViewerSample&) const = default;
};

inline constexpr std::size_t kMaxSeriesPoints = 300;

struct StreamStatsResult {
    int viewers_count = 0;           // as given (current_viewers)
    int peak_viewers = 0;            // as given
    std::int64_t duration_seconds = 0;  // live period, whole seconds; 0 if never live
    int comments_count = 0;          // as given
    double average_viewers = 0;      // time-weighted over the live period; 0 if never live
    std::vector<ViewerSample> series;   // for the chart; at most max_points, ascending time
};
// {"viewers_count":..,"peak_viewers":..,"duration_seconds":..,"comments_count":..,"average_viewers":..,
//  "series":[{"at":<unix seconds>,"viewers":..},...]}
void to_json(nlohmann::json& j, const StreamStatsResult& stats);

// The live period runs from started_at to ended_at (or `now` while live). Over it the viewer count is a step
// function: each sample holds until the next one (samples need not be sorted; equal times keep input
// order, the last wins); before the first sample the count is 0. A sample before started_at carries its
// value into the period; samples after the end are ignored.
// average_viewers = integral of the count over the period / its length.
// series = the samples inside the period, preceded by a point at started_at carrying the value from before
// when there was one; if more than max_points, the period is cut into max_points equal time buckets and
// each non-empty bucket keeps its highest sample (so peaks survive downsampling).
StreamStatsResult compute_stats(std::optional<TimePoint> started_at, std::optional<TimePoint> ended_at,
                                TimePoint now, const std::vector<ViewerSample>& samples, int current_viewers,
                                int peak_viewers, int comments_count, std::size_t max_points = kMaxSeriesPoints);

// Collapses viewer-count changes into samples worth persisting: one when the count changed, or when
// `heartbeat` has passed since the last persisted one (so flat periods still show, at a bounded rate).
// One per stream, on the stream hub's strand.
class ViewerTimeline {
public:
    explicit ViewerTimeline(std::chrono::seconds heartbeat = std::chrono::seconds(10));

    // The sample to persist, or nullopt. The first call always yields one.
    std::optional<ViewerSample> record(int viewers, TimePoint now);
    std::optional<ViewerSample> last_recorded() const { return last_; }

private:
    std::chrono::seconds heartbeat_;
    std::optional<ViewerSample> last_;
};

}  // namespace redred::live
