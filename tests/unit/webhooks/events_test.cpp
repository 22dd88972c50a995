#include "webhooks/events.hpp"

#include <gtest/gtest.h>

namespace redred::webhooks {
namespace {

store::TimePoint at_ms(std::int64_t ms) { return store::TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace

TEST(WebhookEvents, BodyHasTheDocumentedEnvelopeInOrder) {
    const auto body = event_body(42, kCommentCreated, 7, at_ms(1763770000123), R"({"comment":{"id":3}})");
    EXPECT_EQ(body,
              R"({"id":42,"event":"comment.created","stream_id":7,"created_at":1763770000.123,"data":{"comment":{"id":3}}})");
    // The same stored row gives the same bytes on every attempt (the signature covers them).
    store::WebhookEventRow row{42, std::string(kCommentCreated), 7, at_ms(1763770000123), R"({"comment":{"id":3}})"};
    EXPECT_EQ(event_body(row), body);
}

TEST(WebhookEvents, DamagedStoredDataGoesOutAsNull) {
    const auto body = event_body(1, kStreamLive, 2, at_ms(1000), "{not json");
    EXPECT_EQ(nlohmann::json::parse(body)["data"], nullptr);
}

TEST(WebhookEvents, StreamDataCarriesTheStoredStream) {
    store::StreamRow s;
    s.id = 7;
    s.streamer_id = 3;
    s.streamer_username = "ana";
    s.title = "Hola";
    s.description = "d";
    s.status = live::StreamStatus::Ended;
    s.created_at = at_ms(1000);
    s.started_at = at_ms(2000);
    s.ended_at = at_ms(5500);
    s.peak_viewers = 12;
    const auto live_data = stream_live_data(s);
    EXPECT_EQ(live_data["stream"]["id"], 7);
    EXPECT_EQ(live_data["stream"]["streamer"], (nlohmann::json{{"id", 3}, {"username", "ana"}}));
    EXPECT_EQ(live_data["stream"]["title"], "Hola");
    EXPECT_EQ(live_data["stream"]["started_at"], 2.0);
    EXPECT_FALSE(live_data.contains("reason"));
    const auto ended = stream_ended_data(s, "cleanup:idle");
    EXPECT_EQ(ended["reason"], "cleanup:idle");
    EXPECT_EQ(ended["stream"]["status"], "ended");
    EXPECT_EQ(ended["stream"]["ended_at"], 5.5);
    EXPECT_EQ(ended["stream"]["peak_viewers"], 12);
    s.started_at.reset();
    EXPECT_TRUE(stream_ended_data(s, "api")["stream"]["started_at"].is_null());
}

TEST(WebhookEvents, CommentDataNamesItsAuthorAndRole) {
    store::CommentRow c{9, 7, 4, "luis", "buenas", at_ms(3000)};
    const auto data = comment_created_data(c, "moderator");
    EXPECT_EQ(data, (nlohmann::json{{"comment",
                                     {{"id", 9},
                                      {"user", {{"id", 4}, {"username", "luis"}}},
                                      {"role", "moderator"},
                                      {"content", "buenas"},
                                      {"created_at", 3.0}}}}));
}

}  // namespace redred::webhooks
