#include "live/types.hpp"

namespace redred::live {

const char* status_name(StreamStatus status) {
    switch (status) {
        case StreamStatus::Waiting: return "waiting";
        case StreamStatus::Live: return "live";
        case StreamStatus::Ended: return "ended";
    }
    return "ended";
}

std::optional<StreamStatus> parse_status(std::string_view text) {
    if (text == "waiting") return StreamStatus::Waiting;
    if (text == "live") return StreamStatus::Live;
    if (text == "ended") return StreamStatus::Ended;
    return std::nullopt;
}

const char* role_name(Role role) {
    switch (role) {
        case Role::Streamer: return "streamer";
        case Role::Moderator: return "moderator";
        case Role::Vip: return "vip";
        case Role::Viewer: return "viewer";
        case Role::Guest: return "guest";
    }
    return "guest";
}

std::optional<Role> parse_role(std::string_view text) {
    for (Role role : {Role::Streamer, Role::Moderator, Role::Vip, Role::Viewer, Role::Guest})
        if (text == role_name(role)) return role;
    return std::nullopt;
}

double to_unix_seconds(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() / 1000.0;
}

TimePoint from_unix_seconds(double seconds) {
    return TimePoint(std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + (seconds >= 0 ? 0.5 : -0.5))));
}

}  // namespace redred::live
