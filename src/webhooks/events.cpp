#include "webhooks/events.hpp"

namespace redred::webhooks {
namespace {

nlohmann::json time_or_null(const std::optional<store::TimePoint>& t) {
    return t ? nlohmann::json(live::to_unix_seconds(*t)) : nlohmann::json(nullptr);
}

nlohmann::json stream_json(const store::StreamRow& row) {
    return {{"id", row.id},
            {"title", row.title},
            {"description", row.description},
            {"streamer", {{"id", row.streamer_id}, {"username", row.streamer_username}}},
            {"status", live::status_name(row.status)},
            {"created_at", live::to_unix_seconds(row.created_at)},
            {"started_at", time_or_null(row.started_at)},
            {"ended_at", time_or_null(row.ended_at)},
            {"peak_viewers", row.peak_viewers}};
}

}  // namespace

nlohmann::json stream_live_data(const store::StreamRow& stream) { return {{"stream", stream_json(stream)}}; }

nlohmann::json stream_ended_data(const store::StreamRow& stream, std::string_view reason) {
    return {{"stream", stream_json(stream)}, {"reason", reason}};
}

nlohmann::json comment_created_data(const store::CommentRow& comment, std::string_view role) {
    return {{"comment",
             {{"id", comment.id},
              {"user", {{"id", comment.user_id}, {"username", comment.username}}},
              {"role", role},
              {"content", comment.content},
              {"created_at", live::to_unix_seconds(comment.created_at)}}}};
}

std::string event_body(std::int64_t id, std::string_view event, store::StreamId stream, store::TimePoint created_at,
                       std::string_view data_json) {
    nlohmann::ordered_json body;
    body["id"] = id;
    body["event"] = event;
    body["stream_id"] = stream;
    body["created_at"] = live::to_unix_seconds(created_at);
    // Stored by us as valid JSON; a damaged row still goes out (as null) rather than blocking its stream.
    body["data"] = nlohmann::ordered_json::parse(data_json, nullptr, false);
    if (body["data"].is_discarded()) body["data"] = nullptr;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string event_body(const store::WebhookEventRow& row) {
    return event_body(row.id, row.event, row.stream_id, row.created_at, row.data);
}

}  // namespace redred::webhooks
