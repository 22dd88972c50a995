// Webhook events (docs/WEBHOOKS.md): their names, the "data" of each, and the exact body that is POSTed and
// signed. Pure: no I/O, no clock (times are arguments).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "store/webhook_outbox.hpp"

namespace redred::webhooks {

inline constexpr std::string_view kStreamLive = "stream.live";
inline constexpr std::string_view kStreamEnded = "stream.ended";
inline constexpr std::string_view kCommentCreated = "comment.created";
inline constexpr std::string_view kModerationAction = "moderation.action";

// data of stream.live: {"stream": {...}}; of stream.ended: {"stream": {...}, "reason": "..."}.
nlohmann::json stream_live_data(const store::StreamRow& stream);
nlohmann::json stream_ended_data(const store::StreamRow& stream, std::string_view reason);
// data of comment.created: {"comment": {"id", "user": {"id", "username"}, "role", "content", "created_at"}}.
nlohmann::json comment_created_data(const store::CommentRow& comment, std::string_view role);

// The request body, byte for byte the same on every attempt: {"id","event","stream_id","created_at","data"}
// in that order, created_at in unix seconds (as everywhere in the API). `data_json` is the stored data.
std::string event_body(std::int64_t id, std::string_view event, store::StreamId stream, store::TimePoint created_at,
                       std::string_view data_json);
std::string event_body(const store::WebhookEventRow& row);

}  // namespace redred::webhooks
