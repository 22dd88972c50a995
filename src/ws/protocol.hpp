// The stream WebSocket's wire format (docs/PROTOCOL.md): JSON builders for server messages, shared with the
// REST handlers so both show streams and comments the same way.
#pragma once
#include <memory>
#include <string>

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

inline Message serialize(const Json& j) {
    return std::make_shared<const std::string>(j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace redred::ws
