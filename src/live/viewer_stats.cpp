#include "live/viewer_stats.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace redred::live {
namespace {

using Seconds = std::chrono::duration<double>;

// Samples inside [start, end], led by a point at `start` carrying the value from before it, if any.
std::vector<ViewerSample> clip_to_period(std::vector<ViewerSample> sorted, TimePoint start, TimePoint end) {
    std::vector<ViewerSample> clipped;
    std::optional<int> carried;
    for (const ViewerSample& sample : sorted) {
        if (sample.at < start) carried = sample.viewers;
        else if (sample.at <= end) clipped.push_back(sample);
    }
    if (carried && (clipped.empty() || clipped.front().at != start))
        clipped.insert(clipped.begin(), ViewerSample{start, *carried});
    return clipped;
}

// Time-weighted average of the step function given by `clipped` over [start, end] (0 before its first point).
double time_weighted_average(const std::vector<ViewerSample>& clipped, TimePoint start, TimePoint end) {
    const double length = Seconds(end - start).count();
    if (length <= 0) return 0;
    double area = 0;
    for (std::size_t i = 0; i < clipped.size(); ++i) {
        const TimePoint until = i + 1 < clipped.size() ? clipped[i + 1].at : end;
        area += clipped[i].viewers * Seconds(until - clipped[i].at).count();
    }
    return area / length;
}

std::vector<ViewerSample> downsample_keeping_peaks(const std::vector<ViewerSample>& clipped, TimePoint start,
                                                   TimePoint end, std::size_t max_points) {
    if (clipped.size() <= max_points) return clipped;
    if (max_points == 0) return {};
    const auto length = end - start;
    std::vector<ViewerSample> result;
    std::size_t current_bucket = max_points;  // none yet
    for (const ViewerSample& sample : clipped) {
        // Bucket index from the offset; the last instant falls in the last bucket.
        const double fraction = length.count() > 0 ? Seconds(sample.at - start) / Seconds(length) : 0.0;
        const std::size_t bucket = std::min(max_points - 1, static_cast<std::size_t>(fraction * max_points));
        if (bucket != current_bucket) {
            result.push_back(sample);
            current_bucket = bucket;
        } else if (sample.viewers > result.back().viewers) {
            result.back() = sample;
        }
    }
    return result;
}

}  // namespace

void to_json(nlohmann::json& j, const StreamStatsResult& stats) {
    nlohmann::json series = nlohmann::json::array();
    for (const ViewerSample& sample : stats.series)
        series.push_back({{"at", to_unix_seconds(sample.at)}, {"viewers", sample.viewers}});
    j = nlohmann::json{{"viewers_count", stats.viewers_count},   {"peak_viewers", stats.peak_viewers},
                       {"duration_seconds", stats.duration_seconds}, {"comments_count", stats.comments_count},
                       {"average_viewers", stats.average_viewers}, {"series", std::move(series)}};
}

StreamStatsResult compute_stats(std::optional<TimePoint> started_at, std::optional<TimePoint> ended_at,
                                TimePoint now, const std::vector<ViewerSample>& samples, int current_viewers,
                                int peak_viewers, int comments_count, std::size_t max_points) {
    StreamStatsResult stats;
    stats.viewers_count = current_viewers;
    stats.peak_viewers = peak_viewers;
    stats.comments_count = comments_count;
    if (!started_at) return stats;

    const TimePoint start = *started_at;
    const TimePoint end = std::max(start, ended_at.value_or(now));  // a clock behind started_at: zero length
    stats.duration_seconds = std::chrono::duration_cast<std::chrono::seconds>(end - start).count();

    std::vector<ViewerSample> sorted = samples;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    const std::vector<ViewerSample> clipped = clip_to_period(std::move(sorted), start, end);
    stats.average_viewers = time_weighted_average(clipped, start, end);
    stats.series = downsample_keeping_peaks(clipped, start, end, max_points);
    return stats;
}

ViewerTimeline::ViewerTimeline(std::chrono::seconds heartbeat) : heartbeat_(heartbeat) {}

std::optional<ViewerSample> ViewerTimeline::record(int viewers, TimePoint now) {
    if (last_ && last_->viewers == viewers && now - last_->at < heartbeat_) return std::nullopt;
    last_ = ViewerSample{now, viewers};
    return last_;
}

}  // namespace redred::live
