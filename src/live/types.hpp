// Vocabulary of the live platform (seed 003, "RED-RED"): ids, roles, stream status. Pure: std + nlohmann only.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace redred::live {

using UserId = std::int64_t;
using StreamId = std::int64_t;
using CommentId = std::int64_t;
using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// The seed's LiveStream.status.
enum class StreamStatus { Waiting, Live, Ended };
const char* status_name(StreamStatus status);                 // "waiting" | "live" | "ended"
std::optional<StreamStatus> parse_status(std::string_view text);

// A person's role in one stream, from the seed's permission table; Guest = watching without an account.
enum class Role { Streamer, Moderator, Vip, Viewer, Guest };
const char* role_name(Role role);                             // "streamer" | "moderator" | "vip" | "viewer" | "guest"
std::optional<Role> parse_role(std::string_view text);

// Unix seconds with milliseconds, as the API shows times.
double to_unix_seconds(TimePoint t);
TimePoint from_unix_seconds(double seconds);

}  // namespace redred::live
