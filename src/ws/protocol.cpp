#include "ws/protocol.hpp"

#include "live/chat_rules.hpp"

namespace redred::ws {
namespace {
Json time_or_null(const std::optional<live::TimePoint>& t) {
    return t ? Json(live::to_unix_seconds(*t)) : Json(nullptr);
}
}  // namespace

Json stream_json(const store::StreamRow& row) {
    return {{"id", row.id},
            {"streamer", {{"id", row.streamer_id}, {"username", row.streamer_username}}},
            {"title", row.title},
            {"description", row.description},
            {"status", live::status_name(row.status)},
            {"created_at", live::to_unix_seconds(row.created_at)},
            {"started_at", time_or_null(row.started_at)},
            {"ended_at", time_or_null(row.ended_at)},
            {"viewers_count", row.viewers_count},
            {"peak_viewers", row.peak_viewers}};
}

Json user_json(const store::User& user) {
    return {{"id", user.id}, {"username", user.username}, {"created_at", live::to_unix_seconds(user.created_at)}};
}

Json comment_json(const store::CommentRow& row, live::Role role) {
    return {{"type", "comment"},
            {"id", row.id},
            {"username", row.username},
            {"role", live::role_name(role)},
            {"highlighted", live::is_highlighted(role)},
            {"content", row.content},
            {"created_at", live::to_unix_seconds(row.created_at)}};
}

Json error_json(const Error& error, const Json& ref) {
    Json j{{"type", "error"}, {"error", errc_name(error.code)}, {"message", error.message}};
    if (!error.field.empty()) j["field"] = error.field;
    if (!ref.is_null()) j["ref"] = ref;
    return j;
}

ClientMessage decode_client_message(std::string_view text) {
    ClientMessage out;
    auto msg = Json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) {
        out.error = make_error(Errc::BadInput, "messages must be JSON objects with a \"type\"");
        return out;
    }
    if (auto ref = msg.find("ref"); ref != msg.end()) out.ref = *ref;
    auto type = msg.find("type");
    if (type == msg.end() || !type->is_string()) {
        out.error = make_error(Errc::BadInput, "\"type\" is required", "type");
        return out;
    }
    out.type = type->get<std::string>();
    out.body = std::move(msg);
    return out;
}

}  // namespace redred::ws
