// Process-wide counters, rendered in Prometheus text format by GET /metrics. Lock-free: any thread may add.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

namespace redred {

struct Counter {
    std::atomic<std::uint64_t> value{0};
    void add(std::uint64_t n = 1) { value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct Gauge {
    std::atomic<std::int64_t> value{0};
    void add(std::int64_t n = 1) { value.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::int64_t n = 1) { value.fetch_sub(n, std::memory_order_relaxed); }
    std::int64_t get() const { return value.load(std::memory_order_relaxed); }
};

// Latencies in Prometheus histogram form: fixed buckets (seconds), cumulative when rendered.
struct Histogram {
    static constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    static constexpr int kBuckets = sizeof(kBounds) / sizeof(kBounds[0]);
    std::atomic<std::uint64_t> buckets[kBuckets + 1] = {};  // the last one is +Inf
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_microseconds{0};
    void observe_microseconds(std::uint64_t us) {
        const double seconds = static_cast<double>(us) / 1e6;
        int i = 0;
        while (i < kBuckets && seconds > kBounds[i]) ++i;
        buckets[i].fetch_add(1, std::memory_order_relaxed);
        count.fetch_add(1, std::memory_order_relaxed);
        sum_microseconds.fetch_add(us, std::memory_order_relaxed);
    }
};

// Indexes for per-transport screen counters.
enum class FeedTransport { Sse = 0, Mjpeg = 1, WebSocket = 2, Tiles = 3 };
inline constexpr int kFeedTransports = 4;
const char* feed_transport_name(FeedTransport t);

struct Metrics {
    // HTTP
    Gauge connections_active;
    Counter connections_total;
    Counter connections_rejected;  // over --max-connections
    Counter http_requests;
    Counter http_client_errors;    // 4xx answered
    Counter http_server_errors;    // 5xx answered
    Counter tls_handshake_failures;  // --tls-cert: connections that never completed the TLS handshake
    // Screen feed
    Counter frames_captured;
    Counter frames_encoded;
    Counter frames_relayed;        // received from the capturing instance through Redis
    Counter capture_errors;
    Counter capture_microseconds;
    Counter encode_microseconds;
    Counter encoded_bytes;
    Gauge feed_viewers[kFeedTransports];
    Counter frames_sent[kFeedTransports];
    Counter frames_dropped[kFeedTransports];  // a newer frame replaced one a slow viewer had not taken yet
    Counter bytes_sent[kFeedTransports];
    Gauge viewer_bytes_per_second[kFeedTransports];  // bytes sent per viewer per second, over the last ~2 s
    Counter frames_unchanged;      // capture ticks that found nothing changed (no frame made)
    Counter tiles_encoded;         // tiles encoded for tile-mode viewers (once per change, for everyone)
    Counter tiles_sent;            // tiles written to tile-mode viewers
    Counter key_frames_sent;       // full pictures written to tile-mode viewers
    Counter slow_viewers_closed;
    // Live platform WebSockets
    Gauge ws_connections;
    Counter ws_messages_sent;     // messages delivered (several may share one write)
    Counter ws_writes;            // frames written
    Counter ws_slow_closed;       // closed with 1013: outbound queue over its cap
    Counter ws_oversize_closed;   // closed with 1009: client frame over the limit
    // Media server (--media janus)
    Gauge media_server_up;         // 1 while a Janus session is up
    Counter media_server_sessions; // Janus sessions made (first connect and every reconnect)
    Gauge sfu_rooms;               // VideoRooms this process made and has not destroyed
    Gauge sfu_publishers;          // publications (studio or WHIP) at the media server
    Gauge sfu_subscribers;         // viewer subscriptions (WebSocket viewers) at the media server
    Gauge whip_sessions;
    Gauge whep_sessions;
    Counter sfu_layer_switches;    // simulcast layer changes made for viewers (quality choice or auto)
    Counter sfu_kicked_subscriptions;  // subscriptions torn down because the viewer was kicked
    // Database (SQLite or PostgreSQL): write transactions, from BEGIN to COMMIT's return
    Histogram db_commit_seconds;
    Counter db_write_jobs;             // jobs committed (several share one transaction)
    // Cluster bus (--redis): room events between processes
    Gauge cluster_link_up;             // 1 while subscribed to the room event channel
    Counter cluster_published;         // room events this process published
    Counter cluster_publish_failed;    // publishes Redis did not take (delivered locally instead)
    Counter cluster_received;          // room events received (every process's, this one's included)
    Histogram cluster_lag_seconds;     // publish to receipt, by the publisher's clock
    Gauge cluster_instances;           // live processes seen at the last heartbeat check (this one included)
    // Webhooks (--webhook-url)
    Counter webhook_delivered;         // POSTs answered 2xx
    Counter webhook_failed;            // attempts that failed (each is retried later)
    Counter webhook_dropped;           // events dropped unsent: the backlog was over --webhook-max-backlog
    Gauge webhook_backlog;             // events waiting for at least one URL

    std::string render_prometheus() const;
};

}  // namespace redred
