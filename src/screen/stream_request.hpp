// Validation of POST /stream/start, and the status document of GET /stream/status. Pure: no I/O.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace redred::screen {

inline constexpr int kMinFps = 1, kMaxFps = 60, kDefaultFps = 15;
inline constexpr int kMinQuality = 1, kMaxQuality = 100, kDefaultQuality = 75;

struct StartRequest {
    int fps = kDefaultFps;
    int quality = kDefaultQuality;
};

// `body` is the raw request body (may be empty: defaults). Rejects non-objects, non-integers, out-of-range.
Result<StartRequest> parse_start_request(std::string_view body);

// What a viewer asks of a feed in its query string: `max_kbps` (any feed) caps its rate by lowering its frame
// rate; `mode=tiles` (WebSocket only) sends only what changed. Absent values are nullopt. BadInput otherwise.
inline constexpr int kMaxKbps = 1'000'000;
struct FeedOptions {
    int max_kbps = 0;  // 0 = no cap
    bool tiles = false;
};
Result<FeedOptions> parse_feed_options(const std::optional<std::string>& max_kbps, const std::optional<std::string>& mode,
                                       bool websocket);

// The seed's hash `streaming:state`, as typed values. The same record backs both state backends.
struct StreamRecord {
    bool active = false;
    std::string task_id;
    std::string host;
    int port = 0;
    int fps = 0;
    int quality = 0;
    double started_at = 0;  // unix seconds, like the seed's "1234567890.123"
};

// {active, fps, quality, task_id, host, port, started_at}; fields of a stream never started are null.
nlohmann::json status_json(const StreamRecord& record);

}  // namespace redred::screen
