// The live platform's REST API (docs/API.md) and the upgrade to the stream WebSocket (docs/PROTOCOL.md).
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "live/permissions.hpp"
#include "ws/live_context.hpp"

namespace redred::http_server {

void add_live_routes(Router& router, std::shared_ptr<ws::LiveContext> ctx);

// Shared by the live platform's handlers (live, recording, media routes).
Result<live::StreamId> stream_id_param(const PathParams& params);  // NotFound unless a positive integer
net::awaitable<Result<store::StreamRow>> load_stream(const std::shared_ptr<ws::LiveContext>& ctx, live::StreamId id);
// Signs the caller in (401/403 as require_user), loads the stream named in the path (404), and checks that
// the caller's role there may do `action` (403). On success `stream` holds the row (and `who`, if given, the
// caller).
net::awaitable<std::optional<Response>> authorize(const std::shared_ptr<ws::LiveContext>& ctx, const Request& req,
                                                  const PathParams& params, live::Action action,
                                                  store::StreamRow& stream, Identity* who = nullptr);

// The ICE servers browsers (and WHIP/WHEP clients) should use: STUN as configured, TURN with credentials made
// now for `name` in coturn's use-auth-secret scheme.
nlohmann::json ice_servers(const ws::RtcConfig& rtc, const std::string& name);

}  // namespace redred::http_server
