// The live platform's REST API (docs/API.md) and the upgrade to the stream WebSocket (docs/PROTOCOL.md).
#pragma once
#include <memory>

#include "http/router.hpp"
#include "ws/live_context.hpp"

namespace redred::http_server {

void add_live_routes(Router& router, std::shared_ptr<ws::LiveContext> ctx);

}  // namespace redred::http_server
