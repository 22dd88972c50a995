// Media beyond the stream WebSocket (docs/API.md "WHIP and WHEP"): stream keys, WHIP ingest for encoders such
// as OBS, WHEP playback for any WHEP player. Active with --media janus; otherwise they answer 409 saying why.
#pragma once
#include <memory>

#include "http/router.hpp"
#include "ws/live_context.hpp"

namespace redred::http_server {

void add_media_routes(Router& router, std::shared_ptr<ws::LiveContext> ctx);

}  // namespace redred::http_server
