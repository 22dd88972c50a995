#include "webhooks/moderation_event.hpp"

#include "webhooks/events.hpp"

namespace redred::webhooks {
namespace {
template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json moderation_action_data(const store::ModerationActionRow& row) {
    return {{"action",
             {{"id", row.id},
              {"action", store::moderation_kind_name(row.action)},
              {"actor", {{"id", row.actor_id}, {"username", row.actor_username}}},
              {"target", {{"id", row.target_id}, {"username", row.target_username}}},
              {"reason", or_null(row.reason)},
              {"seconds", or_null(row.seconds)},
              {"comment_id", or_null(row.comment_id)},
              {"created_at", live::to_unix_seconds(row.created_at)}}}};
}

void record_moderation_action(store::Store& store, const Targets& targets, const store::ModerationActionRow& row) {
    record(store, targets, kModerationAction, row.stream_id, moderation_action_data(row), row.created_at);
}

}  // namespace redred::webhooks
