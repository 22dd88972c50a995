#include "core/metrics.hpp"

#include <fmt/format.h>

namespace redred {

const char* feed_transport_name(FeedTransport t) {
    switch (t) {
        case FeedTransport::Sse: return "sse";
        case FeedTransport::Mjpeg: return "mjpeg";
        case FeedTransport::WebSocket: return "ws";
        case FeedTransport::Tiles: return "tiles";
    }
    return "unknown";
}

namespace {
void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

template <class Array>
void per_transport(std::string& out, const char* name, const char* type, const char* help, const Array& values) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
    for (int i = 0; i < kFeedTransports; ++i)
        fmt::format_to(std::back_inserter(out), "{}{{transport=\"{}\"}} {}\n", name,
                       feed_transport_name(static_cast<FeedTransport>(i)), static_cast<double>(values[i].get()));
}
void histogram(std::string& out, const char* name, const char* help, const Histogram& h) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} histogram\n", name, help);
    std::uint64_t cumulative = 0;
    for (int i = 0; i <= Histogram::kBuckets; ++i) {
        cumulative += h.buckets[i].load(std::memory_order_relaxed);
        if (i < Histogram::kBuckets) {
            fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, Histogram::kBounds[i], cumulative);
        } else {
            fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
        }
    }
    fmt::format_to(std::back_inserter(out), "{}_sum {}\n{}_count {}\n", name,
                   static_cast<double>(h.sum_microseconds.load(std::memory_order_relaxed)) / 1e6, name,
                   h.count.load(std::memory_order_relaxed));
}
}  // namespace

std::string Metrics::render_prometheus() const {
    std::string out;
    out.reserve(4096);
    metric(out, "redred_http_connections_active", "gauge", "Open HTTP connections.", connections_active.get());
    metric(out, "redred_http_connections_total", "counter", "Accepted HTTP connections.", connections_total.get());
    metric(out, "redred_http_connections_rejected_total", "counter", "Connections refused over the limit.",
           connections_rejected.get());
    metric(out, "redred_http_requests_total", "counter", "HTTP requests answered.", http_requests.get());
    metric(out, "redred_http_client_errors_total", "counter", "4xx responses.", http_client_errors.get());
    metric(out, "redred_http_server_errors_total", "counter", "5xx responses.", http_server_errors.get());
    metric(out, "redred_tls_handshake_failures_total", "counter", "Connections that failed the TLS handshake.",
           tls_handshake_failures.get());
    metric(out, "redred_screen_frames_captured_total", "counter", "Frames captured from the screen source.",
           frames_captured.get());
    metric(out, "redred_screen_frames_encoded_total", "counter", "Frames JPEG-encoded (once each, for all viewers).",
           frames_encoded.get());
    metric(out, "redred_screen_frames_relayed_total", "counter", "Frames received from another instance via Redis.",
           frames_relayed.get());
    metric(out, "redred_screen_capture_errors_total", "counter", "Failed captures or encodes.", capture_errors.get());
    metric(out, "redred_screen_capture_seconds_total", "counter", "Time spent capturing frames.",
           capture_microseconds.get() / 1e6);
    metric(out, "redred_screen_encode_seconds_total", "counter", "Time spent encoding frames.",
           encode_microseconds.get() / 1e6);
    metric(out, "redred_screen_encoded_bytes_total", "counter", "JPEG bytes produced.", encoded_bytes.get());
    per_transport(out, "redred_screen_viewers", "gauge", "Connected feed viewers.", feed_viewers);
    per_transport(out, "redred_screen_frames_sent_total", "counter", "Frames written to viewers.", frames_sent);
    per_transport(out, "redred_screen_frames_dropped_total", "counter",
                  "Frames skipped for slow viewers (they got a newer one).", frames_dropped);
    per_transport(out, "redred_screen_bytes_sent_total", "counter", "Feed bytes written to viewers.", bytes_sent);
    per_transport(out, "redred_screen_viewer_bytes_per_second", "gauge",
                  "Feed bytes sent per viewer per second, over the last few seconds.", viewer_bytes_per_second);
    metric(out, "redred_screen_frames_unchanged_total", "counter",
           "Capture ticks that found nothing changed on the screen (no frame was made or sent).", frames_unchanged.get());
    metric(out, "redred_screen_tiles_encoded_total", "counter", "Tiles encoded for tile-mode viewers.",
           tiles_encoded.get());
    metric(out, "redred_screen_tiles_sent_total", "counter", "Tiles written to tile-mode viewers.", tiles_sent.get());
    metric(out, "redred_screen_key_frames_sent_total", "counter", "Key frames (whole pictures) written to tile-mode viewers.",
           key_frames_sent.get());
    metric(out, "redred_screen_slow_viewers_closed_total", "counter", "Viewers closed for not reading.",
           slow_viewers_closed.get());
    metric(out, "redred_ws_connections", "gauge", "Open live-platform WebSockets.", ws_connections.get());
    metric(out, "redred_ws_messages_sent_total", "counter", "WebSocket messages delivered.", ws_messages_sent.get());
    metric(out, "redred_ws_writes_total", "counter", "WebSocket frames written (messages are coalesced).",
           ws_writes.get());
    metric(out, "redred_ws_slow_closed_total", "counter", "WebSockets closed for not reading (1013).",
           ws_slow_closed.get());
    metric(out, "redred_ws_oversize_closed_total", "counter", "WebSockets closed for oversized frames (1009).",
           ws_oversize_closed.get());
    metric(out, "redred_media_server_up", "gauge", "1 while the media server (Janus) session is up.",
           media_server_up.get());
    metric(out, "redred_media_server_sessions_total", "counter", "Janus sessions made (connects and reconnects).",
           media_server_sessions.get());
    metric(out, "redred_sfu_rooms", "gauge", "Media rooms (one per live stream) at the media server.", sfu_rooms.get());
    metric(out, "redred_sfu_publishers", "gauge", "Publications at the media server (studio or WHIP).",
           sfu_publishers.get());
    metric(out, "redred_sfu_subscribers", "gauge", "Viewer subscriptions at the media server.", sfu_subscribers.get());
    metric(out, "redred_whip_sessions", "gauge", "Open WHIP ingest sessions.", whip_sessions.get());
    metric(out, "redred_whep_sessions", "gauge", "Open WHEP playback sessions.", whep_sessions.get());
    metric(out, "redred_sfu_layer_switches_total", "counter", "Simulcast layer changes made for viewers.",
           sfu_layer_switches.get());
    histogram(out, "redred_db_commit_seconds", "Write transactions, BEGIN to COMMIT (one per batch of jobs).",
              db_commit_seconds);
    metric(out, "redred_db_write_jobs_total", "counter", "Write jobs committed.", db_write_jobs.get());
    metric(out, "redred_sfu_kicked_subscriptions_total", "counter", "Subscriptions torn down because of a kick.",
           sfu_kicked_subscriptions.get());
    metric(out, "redred_cluster_link_up", "gauge", "1 while subscribed to the cluster's room events (--redis).",
           cluster_link_up.get());
    metric(out, "redred_cluster_published_total", "counter", "Room events published to Redis.",
           cluster_published.get());
    metric(out, "redred_cluster_publish_failed_total", "counter",
           "Room events Redis did not take (delivered on this process only).", cluster_publish_failed.get());
    metric(out, "redred_cluster_received_total", "counter", "Room events received from Redis.",
           cluster_received.get());
    histogram(out, "redred_cluster_lag_seconds", "Room events, publish to receipt.", cluster_lag_seconds);
    metric(out, "redred_cluster_instances", "gauge", "Live processes in the cluster, this one included.",
           cluster_instances.get());
    metric(out, "redred_webhook_delivered_total", "counter", "Webhook POSTs answered 2xx.", webhook_delivered.get());
    metric(out, "redred_webhook_failed_total", "counter", "Webhook attempts that failed (retried later).",
           webhook_failed.get());
    metric(out, "redred_webhook_dropped_total", "counter",
           "Webhook events dropped unsent because the backlog was full (--webhook-max-backlog).",
           webhook_dropped.get());
    metric(out, "redred_webhook_backlog", "gauge", "Webhook events waiting to be delivered.", webhook_backlog.get());
    return out;
}

}  // namespace redred
