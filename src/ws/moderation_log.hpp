// The moderation log's wire form, shared by the stream WebSocket (`moderation_action`, to the streamer and the
// moderators) and REST (GET /api/live/<id>/moderation/), so both show an entry the same way
// (docs/PROTOCOL.md, docs/API.md).
#pragma once
#include <optional>
#include <string>

#include "core/result.hpp"
#include "ws/protocol.hpp"

namespace redred::ws {

// {type:"moderation_action", id, action, by, username, reason, seconds, comment_id, created_at}: `by` who
// acted, `username` whom it concerned; `reason`, `seconds`, `comment_id` null when they do not apply.
Json moderation_action_json(const store::ModerationActionRow& row);

// The optional `reason` of warn_user, timeout_user and kick_user: absent or null → none; otherwise a string,
// validated by live::validate_reason (BadInput, field "reason").
Result<std::optional<std::string>> reason_field(const Json& msg);

}  // namespace redred::ws
