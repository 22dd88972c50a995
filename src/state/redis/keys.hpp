// Every Redis key and channel redred uses, in one place. The first two are the seed's, exactly.
#pragma once
#include <string>

namespace redred::state::redis::keys {

inline constexpr const char* kStreamingState = "streaming:state";                  // hash, the seed's fields
inline constexpr const char* kStreamingStopRequested = "streaming:stop_requested"; // "true", TTL 60 s
inline constexpr const char* kScreenCapturer = "redred:screen:capturer";   // "<instance> <task_id>" | "pending", with a lease TTL
inline constexpr const char* kScreenFrames = "redred:screen:frames";       // channel: "<instance> <task_id>\n<jpeg>"
inline constexpr const char* kScreenChanges = "redred:screen:changes";     // channel: a start or stop happened
inline std::string instance(const std::string& id) { return "redred:instance:" + id; }  // JSON, short TTL
inline constexpr const char* kInstancePattern = "redred:instance:*";

}  // namespace redred::state::redis::keys
