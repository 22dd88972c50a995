// Fuzz target: one text frame from a client of the stream WebSocket (/ws/live/<id>/, docs/PROTOCOL.md), at
// most 16 KiB like the socket's read_message_max. It is decoded as Room::do_receive decodes it
// (ws::decode_client_message), its fields are read and validated as the handlers do before they act
// (comment content and emotes for every role, timeout seconds, user names, comment and connection ids), and
// the reply the client would get is serialized (error_json echoes the client's ref and type).
#include <cstdint>
#include <cstdlib>

#include "live/chat_rules.hpp"
#include "live/moderation.hpp"
#include "live/permissions.hpp"
#include "live/text_rules.hpp"
#include "live/validation.hpp"
#include "ws/protocol.hpp"

namespace {

using namespace redred;
using ws::Json;

void check(bool condition) {
    if (!condition) std::abort();
}

void reply(const Error& error, const Json& ref) {
    auto text = ws::serialize(ws::error_json(error, ref));
    check(!text->empty());
}

std::optional<std::uint64_t> connection_field(const Json& msg, const char* name) {
    auto it = msg.find(name);
    if (it == msg.end() || !it->is_number_integer() || it->get<long long>() <= 0) return std::nullopt;
    return it->get<std::uint64_t>();
}

void validate(const ws::ClientMessage& m) {
    const Json& msg = m.body;
    if (m.type == "comment") {
        auto content = msg.find("content");
        if (content == msg.end() || !content->is_string()) return reply(make_error(Errc::BadInput, "content"), m.ref);
        auto cleaned = live::validate_comment(content->get<std::string>());
        if (!cleaned) return reply(cleaned.error(), m.ref);
        check(!cleaned->empty() && live::is_valid_utf8(*cleaned));
        for (auto role : live::kAllRoles) {
            if (auto ok = live::check_emotes(*cleaned, role); !ok) reply(ok.error(), m.ref);
        }
        store::CommentRow row;
        row.content = *cleaned;
        (void)ws::serialize(ws::comment_json(row, live::Role::Viewer));
    } else if (m.type == "timeout_user" || m.type == "kick_user" || m.type == "warn_user") {
        if (auto sec = msg.find("seconds"); sec != msg.end() && sec->is_number_integer()) {
            if (auto valid = live::validate_timeout_seconds(sec->get<long long>()))
                check(*valid >= live::kMinTimeout && *valid <= live::kMaxTimeout);
        }
        for (const char* field : {"username", "reason"}) {
            auto it = msg.find(field);
            if (it != msg.end() && it->is_string()) {
                const std::string text = it->get<std::string>();
                (void)live::validate_username(text);
                reply(make_error(Errc::NotFound, "no user named '" + text + "'", field), m.ref);
            }
        }
    } else if (m.type == "delete_comment") {
        if (auto it = msg.find("comment_id"); it != msg.end() && it->is_number_integer())
            (void)it->get<live::CommentId>();
    } else if (m.type == "offer" || m.type == "answer" || m.type == "ice_candidate") {
        if (auto target = connection_field(msg, "target")) check(*target > 0);
        const char* payload = m.type == "ice_candidate" ? "candidate" : "sdp";
        if (msg.contains(payload)) {
            Json relayed{{"type", m.type}, {"from", 1}, {payload, msg[payload]}};
            (void)ws::serialize(relayed);
        }
    } else {
        reply(make_error(Errc::BadInput, "unknown message type '" + m.type + "'", "type"), m.ref);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16 * 1024) return -1;  // larger frames close the socket (1009) before anything reads them
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto m = ws::decode_client_message(text);
    if (m.error) {
        check(m.type.empty() && m.error->code == Errc::BadInput);
        reply(*m.error, m.ref);
        return 0;
    }
    check(m.body.is_object() && m.body["type"].is_string());
    validate(m);
    return 0;
}
