// The stream WebSocket's wire format (docs/PROTOCOL.md): JSON builders for server messages, shared with the
// REST handlers so both show streams and comments the same way.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "live/types.hpp"
#include "store/store.hpp"

namespace redred::ws {

using Json = nlohmann::json;
using Message = std::shared_ptr<const std::string>;

Json stream_json(const store::StreamRow& row);
Json user_json(const store::User& user);
Json comment_json(const store::CommentRow& row, live::Role role);
Json error_json(const Error& error, const Json& ref = nullptr);

// A client's text frame, decoded (docs/PROTOCOL.md): a JSON object with a string "type". `ref` is echoed in
// replies; it is read whenever the text is an object, so even a message without "type" gets its ref back.
struct ClientMessage {
    std::string type;
    Json body;                   // the whole object
    Json ref;                    // null when absent
    std::optional<Error> error;  // BadInput when the text is not such an object; type and body are then empty
};
ClientMessage decode_client_message(std::string_view text);

inline Message serialize(const Json& j) {
    return std::make_shared<const std::string>(j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace redred::ws
