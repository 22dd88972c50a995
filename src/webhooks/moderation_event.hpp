// The moderation.action webhook (docs/WEBHOOKS.md): recorded by Room::record_moderation_action, the one place
// every moderation action is stored, in the same write job as its moderation log row.
#pragma once
#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "webhooks/outbox.hpp"

namespace redred::webhooks {

// data of moderation.action: {"action": {"id", "action", "actor": {"id", "username"}, "target": {"id",
// "username"}, "reason", "seconds", "comment_id", "created_at"}}; `row` as the store returned it.
nlohmann::json moderation_action_data(const store::ModerationActionRow& row);

void record_moderation_action(store::Store& store, const Targets& targets, const store::ModerationActionRow& row);

}  // namespace redred::webhooks
