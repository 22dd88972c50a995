#include "ws/moderation_log.hpp"

#include "live/moderation.hpp"

namespace redred::ws {

Json moderation_action_json(const store::ModerationActionRow& row) {
    return {{"type", "moderation_action"},
            {"id", row.id},
            {"action", store::moderation_kind_name(row.action)},
            {"by", row.actor_username},
            {"username", row.target_username},
            {"reason", row.reason ? Json(*row.reason) : Json(nullptr)},
            {"seconds", row.seconds ? Json(*row.seconds) : Json(nullptr)},
            {"comment_id", row.comment_id ? Json(*row.comment_id) : Json(nullptr)},
            {"created_at", live::to_unix_seconds(row.created_at)}};
}

Result<std::optional<std::string>> reason_field(const Json& msg) {
    auto it = msg.find("reason");
    if (it == msg.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return make_error(Errc::BadInput, "reason must be a string", "reason");
    return live::validate_reason(it->get<std::string>());
}

}  // namespace redred::ws
