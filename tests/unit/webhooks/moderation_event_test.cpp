#include "webhooks/moderation_event.hpp"

#include <gtest/gtest.h>

namespace redred::webhooks {

TEST(WebhookModerationEvent, DataNamesTheActionItsActorAndTarget) {
    store::ModerationActionRow row;
    row.id = 5;
    row.stream_id = 7;
    row.actor_id = 3;
    row.actor_username = "ana";
    row.action = store::ModerationKind::Timeout;
    row.target_id = 4;
    row.target_username = "luis";
    row.reason = "spam";
    row.seconds = 300;
    row.created_at = store::TimePoint(std::chrono::milliseconds(2500));
    EXPECT_EQ(moderation_action_data(row), (nlohmann::json{{"action",
                                                            {{"id", 5},
                                                             {"action", "timeout"},
                                                             {"actor", {{"id", 3}, {"username", "ana"}}},
                                                             {"target", {{"id", 4}, {"username", "luis"}}},
                                                             {"reason", "spam"},
                                                             {"seconds", 300},
                                                             {"comment_id", nullptr},
                                                             {"created_at", 2.5}}}}));
    row.action = store::ModerationKind::DeleteComment;
    row.reason.reset();
    row.seconds.reset();
    row.comment_id = 11;
    const auto deleted = moderation_action_data(row)["action"];
    EXPECT_EQ(deleted["action"], "delete_comment");
    EXPECT_EQ(deleted["comment_id"], 11);
    EXPECT_TRUE(deleted["reason"].is_null());
    EXPECT_TRUE(deleted["seconds"].is_null());
}

}  // namespace redred::webhooks
