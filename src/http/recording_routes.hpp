// Recordings of live streams (docs/API.md "Recording"): chunked, resumable uploads from the streamer's browser,
// and playback with HTTP Range. Files live in <data-dir>/recordings; file I/O runs on the blocking pool.
#pragma once
#include <memory>

#include "http/router.hpp"
#include "ws/live_context.hpp"

namespace redred::http_server {

void add_recording_routes(Router& router, std::shared_ptr<ws::LiveContext> ctx);

}  // namespace redred::http_server
