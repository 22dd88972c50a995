// Validation of POST /stream/start, and the status document of GET /stream/status. Pure: no I/O.
#pragma once
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
