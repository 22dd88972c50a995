// The seed's screen-feed API: POST /stream/start, POST /stream/stop, GET /stream/status, GET /stream/feed (SSE),
// plus the same frames without base64: GET /stream/mjpeg and GET /stream/ws, and tile mode (GET /stream/ws?mode=tiles:
// only what changed). Any feed takes ?max_kbps=N.
#pragma once
#include <memory>

#include "core/metrics.hpp"
#include "http/router.hpp"
#include "screen/io/screen_service.hpp"

namespace redred::http_server {

struct FeedLimits {
    int write_timeout_ms = 15000;  // a viewer that takes no bytes for this long is closed
    // Fits a whole 720p SSE frame (~190 KB), so one write usually completes at once; the kernel doubles it.
    // Set explicitly (no autotuning up to 4 MB) to bound kernel memory per slow viewer.
    int socket_send_buffer_bytes = 256 * 1024;
    int sse_keepalive_ms = 15000;  // an SSE viewer with no new frame for this long gets ": keep-alive"
};

void add_screen_routes(Router& router, std::shared_ptr<screen::ScreenService> service, Metrics& metrics,
                       FeedLimits limits);

}  // namespace redred::http_server
