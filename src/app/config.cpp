#include "app/config.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "media/janus_api.hpp"
#include "media/media_mode.hpp"
#include "screen/screen_source.hpp"
#include "webhooks/url.hpp"

namespace redred::app {

void add_config_file_option(CLI::App& command) {
    command.set_config("--config", "", "Read options from this file (TOML or INI: listen = \"127.0.0.1:8080\")")
        ->envname("REDRED_CONFIG");
}

void add_serve_options(CLI::App& cmd, Config& c) {
    cmd.add_option("--listen", c.listen, "Address to listen on, HOST:PORT (port 0 picks a free one)")
        ->envname("REDRED_LISTEN")->capture_default_str();
    cmd.add_option("--tls-cert", c.tls_cert,
                   "Serve HTTPS and WSS on --listen with this PEM certificate chain (reloaded on SIGHUP)")
        ->envname("REDRED_TLS_CERT");
    cmd.add_option("--tls-key", c.tls_key, "The certificate's PEM private key (with --tls-cert)")
        ->envname("REDRED_TLS_KEY");
    add_database_options(cmd, c);
    cmd.add_option("--recordings-dir", c.recordings_dir,
                   "Where recordings are written (default <data-dir>/recordings; shared storage for several processes)")
        ->envname("REDRED_RECORDINGS_DIR");
    cmd.add_option("--redis", c.redis, "Share state through Redis (redis://host:port/db); empty = in-process")
        ->envname("REDRED_REDIS");
    cmd.add_option("--screen-source", c.screen_source, "auto | x11 | pattern | none")
        ->envname("REDRED_SCREEN_SOURCE")->capture_default_str();
    cmd.add_option("--display", c.display, "X display to capture (default: $DISPLAY)")->envname("REDRED_DISPLAY");
    cmd.add_option("--max-width", c.max_width, "Scale captured frames down to at most this width (0 = native)")
        ->envname("REDRED_MAX_WIDTH")->capture_default_str();
    cmd.add_option("--pattern-size", c.pattern_size, "Size of the synthetic test pattern, WIDTHxHEIGHT")
        ->envname("REDRED_PATTERN_SIZE")->capture_default_str();
    cmd.add_option("--web-root", c.web_root, "Directory of the built web UI (default: web/dist)")
        ->envname("REDRED_WEB_ROOT");
    cmd.add_option("--threads", c.threads, "I/O threads (0 = one per core)")->envname("REDRED_THREADS")
        ->capture_default_str();
    cmd.add_option("--max-connections", c.max_connections, "Open connections accepted at once")
        ->envname("REDRED_MAX_CONNECTIONS")->capture_default_str();
    cmd.add_option("--max-body-bytes", c.max_body_bytes, "Largest request body accepted")
        ->envname("REDRED_MAX_BODY_BYTES")->capture_default_str();
    cmd.add_option("--header-timeout-ms", c.header_timeout_ms, "Time a client has to send a request header")
        ->envname("REDRED_HEADER_TIMEOUT_MS")->capture_default_str();
    cmd.add_option("--idle-timeout-ms", c.idle_timeout_ms, "Idle keep-alive connections are closed after this; WebSockets are pinged at half of it and closed when "
                   "nothing (not even a pong) comes back for this long")
        ->envname("REDRED_IDLE_TIMEOUT_MS")->capture_default_str();
    cmd.add_option("--write-timeout-ms", c.write_timeout_ms, "A client that takes no data for this long is closed")
        ->envname("REDRED_WRITE_TIMEOUT_MS")->capture_default_str();
    cmd.add_option("--sse-keepalive-ms", c.sse_keepalive_ms,
                   "A screen feed (SSE) with no new frame for this long (a still screen) gets a comment line, so "
                   "proxies keep it open")
        ->envname("REDRED_SSE_KEEPALIVE_MS")->capture_default_str();
    cmd.add_option("--key-frame-interval-ms", c.key_frame_interval_ms,
                   "Tile-mode viewers get a whole picture at least this often while the screen changes")
        ->envname("REDRED_KEY_FRAME_INTERVAL_MS")->capture_default_str();
    cmd.add_option("--tick-ms", c.tick_ms, "Supervisor period: lease renewal, stop-key check, orphan cleanup")
        ->envname("REDRED_TICK_MS")->capture_default_str();
    cmd.add_option("--lease-ms", c.lease_ms, "A capturing instance silent for this long is considered dead")
        ->envname("REDRED_LEASE_MS")->capture_default_str();
    cmd.add_option("--log-level", c.log_level, "trace | debug | info | warn | error")
        ->envname("REDRED_LOG_LEVEL")->capture_default_str();
    cmd.add_option("--stun-url", c.stun_urls, "STUN server for browsers (repeatable), e.g. stun:stun.example.org:3478")
        ->envname("REDRED_STUN_URL");
    cmd.add_option("--turn-url", c.turn_urls, "TURN server for browsers (repeatable), e.g. turn:turn.example.org:3478")
        ->envname("REDRED_TURN_URL");
    cmd.add_option("--turn-secret", c.turn_secret, "coturn static-auth-secret (use-auth-secret) for TURN credentials")
        ->envname("REDRED_TURN_SECRET");
    cmd.add_option("--turn-ttl", c.turn_ttl, "Seconds a TURN credential stays valid")->envname("REDRED_TURN_TTL")
        ->capture_default_str();
    cmd.add_option("--chat-burst", c.chat_burst, "Comments a user may send at once")->envname("REDRED_CHAT_BURST")
        ->capture_default_str();
    cmd.add_option("--chat-rate", c.chat_rate, "Comments per second a user may send after the burst")
        ->envname("REDRED_CHAT_RATE")->capture_default_str();
    cmd.add_option("--cleanup-interval-ms", c.cleanup_interval_ms, "How often the server sweeps stale streams")
        ->envname("REDRED_CLEANUP_INTERVAL_MS")->capture_default_str();
    cmd.add_option("--max-recording-bytes", c.max_recording_bytes, "Largest recording of one stream")
        ->envname("REDRED_MAX_RECORDING_BYTES")->capture_default_str();
    cmd.add_option("--media", c.media, "How stream media travels: p2p (browser to browser) | janus (through Janus)")
        ->envname("REDRED_MEDIA")->capture_default_str();
    cmd.add_option("--janus-url", c.janus_url, "Janus WebSocket API (loopback or private network), with --media janus")
        ->envname("REDRED_JANUS_URL")->capture_default_str();
    cmd.add_option("--janus-api-secret", c.janus_api_secret, "Janus's api_secret, if it has one")
        ->envname("REDRED_JANUS_API_SECRET");
    cmd.add_option("--janus-admin-key", c.janus_admin_key, "The VideoRoom plugin's admin_key, if it has one")
        ->envname("REDRED_JANUS_ADMIN_KEY");
    cmd.add_option("--publisher-bitrate", c.publisher_bitrate, "Cap on a publisher's upload, bit/s, all layers (janus)")
        ->envname("REDRED_PUBLISHER_BITRATE")->capture_default_str();
    cmd.add_option("--max-whep-sessions", c.max_whep_sessions, "WHEP players accepted at once (janus)")
        ->envname("REDRED_MAX_WHEP_SESSIONS")->capture_default_str();
    cmd.add_flag("--secure-cookies", c.secure_cookies, "Mark session cookies Secure (when served over HTTPS)")
        ->envname("REDRED_SECURE_COOKIES");
    add_cleanup_options(cmd, c);
    add_webhook_options(cmd, c);
}

void add_webhook_options(CLI::App& cmd, Config& c) {
    cmd.add_option("--webhook-url", c.webhook_urls,
                   "POST stream.live, stream.ended, comment.created and moderation.action events here (repeatable; "
                   "comma-separated in the environment), see docs/WEBHOOKS.md")
        ->envname("REDRED_WEBHOOK_URL")->delimiter(',');
    cmd.add_option("--webhook-secret", c.webhook_secret,
                   "Key of the X-Redred-Signature HMAC-SHA256 over each webhook body (required with --webhook-url)")
        ->envname("REDRED_WEBHOOK_SECRET");
    cmd.add_option("--webhook-max-backlog", c.webhook_max_backlog,
                   "Webhook events kept while receivers are down; beyond it the oldest are dropped (counted)")
        ->envname("REDRED_WEBHOOK_MAX_BACKLOG")->capture_default_str();
    cmd.add_option("--webhook-retry-min-ms", c.webhook_retry_min_ms,
                   "Delay before the first retry of a failed webhook; it doubles after each failure")
        ->envname("REDRED_WEBHOOK_RETRY_MIN_MS")->capture_default_str();
    cmd.add_option("--webhook-retry-max-ms", c.webhook_retry_max_ms, "Longest delay between webhook retries")
        ->envname("REDRED_WEBHOOK_RETRY_MAX_MS")->capture_default_str();
    cmd.add_option("--webhook-timeout-ms", c.webhook_timeout_ms,
                   "Time a webhook receiver has to answer (connect to status line)")
        ->envname("REDRED_WEBHOOK_TIMEOUT_MS")->capture_default_str();
}

std::vector<std::string> validate_webhooks(const Config& c) {
    std::vector<std::string> problems;
    for (const auto& url : c.webhook_urls) {
        auto parsed = webhooks::parse_webhook_url(url);
        if (!parsed) {
            problems.push_back("--webhook-url: " + parsed.error().message);
        }
    }
    for (std::size_t i = 0; i < c.webhook_urls.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (c.webhook_urls[i] == c.webhook_urls[j])
                problems.push_back("--webhook-url '" + c.webhook_urls[i] + "' is given twice");
    if (!c.webhook_urls.empty() && c.webhook_secret.empty())
        problems.push_back("--webhook-url needs --webhook-secret (receivers check the signature with it)");
    if (c.webhook_max_backlog < 1) problems.push_back("--webhook-max-backlog must be >= 1");
    if (c.webhook_retry_min_ms < 10) problems.push_back("--webhook-retry-min-ms must be >= 10");
    if (c.webhook_retry_max_ms < c.webhook_retry_min_ms)
        problems.push_back("--webhook-retry-max-ms must be >= --webhook-retry-min-ms");
    if (c.webhook_timeout_ms < 100) problems.push_back("--webhook-timeout-ms must be >= 100");
    return problems;
}

void add_database_options(CLI::App& cmd, Config& c) {
    cmd.add_option("--data-dir", c.data_dir, "Directory for the embedded database and recordings")
        ->envname("REDRED_DATA_DIR")->capture_default_str();
    cmd.add_option("--database", c.database,
                   "PostgreSQL for the live platform, postgres://user[:password]@host:port/dbname (default: SQLite in --data-dir)")
        ->envname("REDRED_DATABASE");
}

std::vector<std::string> validate_database(const std::string& database) {
    if (database.empty() || database.rfind("postgres://", 0) == 0 || database.rfind("postgresql://", 0) == 0) return {};
    return {"--database must be a postgres://user[:password]@host:port/dbname URL (leave it out for SQLite in --data-dir)"};
}

std::string Config::database_location() const {
    return database.empty() ? (std::filesystem::path(data_dir) / "redred.db").string() : database;
}

std::string Config::recordings_location() const {
    return recordings_dir.empty() ? (std::filesystem::path(data_dir) / "recordings").string() : recordings_dir;
}

void add_cleanup_options(CLI::App& cmd, Config& c) {
    cmd.add_option("--cleanup-max-live-ms", c.cleanup_max_live_ms, "End streams live longer than this (default 4 h)")
        ->envname("REDRED_CLEANUP_MAX_LIVE_MS")->capture_default_str();
    cmd.add_option("--cleanup-idle-ms", c.cleanup_idle_ms, "End live streams without viewers for this long (default 30 min)")
        ->envname("REDRED_CLEANUP_IDLE_MS")->capture_default_str();
    cmd.add_option("--publisher-grace-s", c.publisher_grace_s,
                   "A live stream whose streamer's connection drops stays live this many seconds for them to come "
                   "back, then ends (0: ends at once)")
        ->envname("REDRED_PUBLISHER_GRACE_S")->capture_default_str();
    cmd.add_option("--cleanup-streamer-gone-ms", c.cleanup_streamer_gone_ms,
                   "Deprecated: the publisher grace in milliseconds (wins over --publisher-grace-s when set)")
        ->envname("REDRED_CLEANUP_STREAMER_GONE_MS");
    cmd.add_option("--cleanup-waiting-ms", c.cleanup_waiting_ms, "End streams never started after this long (default 24 h)")
        ->envname("REDRED_CLEANUP_WAITING_MS")->capture_default_str();
}

bool parse_host_port(const std::string& text, HostPort& out) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    try {
        std::size_t used = 0;
        const int port = std::stoi(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1 || port < 0 || port > 65535) return false;
        out = HostPort{host, port};
        return true;
    } catch (...) {
        return false;
    }
}

bool parse_size(const std::string& text, int& width, int& height) {
    return std::sscanf(text.c_str(), "%dx%d", &width, &height) == 2 && width >= 16 && height >= 16 && width <= 7680 &&
           height <= 4320;
}

std::vector<std::string> Config::validate() const {
    std::vector<std::string> problems;
    HostPort hp;
    if (!parse_host_port(listen, hp)) problems.push_back(fmt::format("--listen '{}' is not HOST:PORT", listen));
    if (tls_cert.empty() != tls_key.empty()) problems.push_back("--tls-cert and --tls-key go together (give both)");
    if (!screen::parse_source_kind(screen_source))
        problems.push_back(fmt::format("--screen-source '{}' must be auto, x11, pattern or none", screen_source));
    int w, h;
    if (!parse_size(pattern_size, w, h))
        problems.push_back(fmt::format("--pattern-size '{}' must be WIDTHxHEIGHT between 16x16 and 7680x4320", pattern_size));
    if (max_width < 0) problems.push_back("--max-width must be >= 0");
    if (threads < 0 || threads > 256) problems.push_back("--threads must be 0..256");
    if (max_connections < 1) problems.push_back("--max-connections must be >= 1");
    if (max_body_bytes < 1024) problems.push_back("--max-body-bytes must be >= 1024");
    if (header_timeout_ms < 100 || idle_timeout_ms < 100 || write_timeout_ms < 100)
        problems.push_back("timeouts must be >= 100 ms");
    if (sse_keepalive_ms < 100) problems.push_back("--sse-keepalive-ms must be >= 100");
    if (key_frame_interval_ms < 100) problems.push_back("--key-frame-interval-ms must be >= 100");
    if (tick_ms < 50 || tick_ms > 1000) problems.push_back("--tick-ms must be 50..1000 (the stop key is checked every tick)");
    if (lease_ms < 2 * tick_ms) problems.push_back("--lease-ms must be at least twice --tick-ms");
    if (turn_ttl < 60) problems.push_back("--turn-ttl must be at least 60 seconds");
    if (!turn_urls.empty() && turn_secret.empty()) problems.push_back("--turn-url needs --turn-secret");
    if (chat_burst < 1 || chat_rate <= 0) problems.push_back("--chat-burst must be >= 1 and --chat-rate > 0");
    if (cleanup_interval_ms < 50) problems.push_back("--cleanup-interval-ms must be >= 50");
    if (cleanup_max_live_ms < 1 || cleanup_idle_ms < 1 || cleanup_waiting_ms < 1)
        problems.push_back("cleanup thresholds must be positive");
    if (publisher_grace_s < 0 || publisher_grace_s > 86400)
        problems.push_back("--publisher-grace-s must be 0..86400 (seconds; 0 ends a stream when its streamer leaves)");
    if (cleanup_streamer_gone_ms < -1 || cleanup_streamer_gone_ms > 86400LL * 1000)
        problems.push_back("--cleanup-streamer-gone-ms must be 0..86400000 (deprecated: use --publisher-grace-s)");
    if (!media::parse_media_mode(media)) problems.push_back(fmt::format("--media '{}' must be p2p or janus", media));
    if (media == "janus") {
        if (auto url = media::janus::parse_ws_url(janus_url); !url)
            problems.push_back(fmt::format("--janus-url '{}': {}", janus_url, url.error().message));
    }
    if (publisher_bitrate < 100000 || publisher_bitrate > 50000000)
        problems.push_back("--publisher-bitrate must be 100000..50000000 bit/s");
    if (max_whep_sessions < 0) problems.push_back("--max-whep-sessions must be >= 0");
    for (auto& problem : validate_database(database)) problems.push_back(std::move(problem));
    for (auto& problem : validate_webhooks(*this)) problems.push_back(std::move(problem));
    if (!redis.empty() && redis.rfind("redis://", 0) != 0) problems.push_back("--redis must look like redis://host:port/db");
    static const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), log_level) == levels.end())
        problems.push_back(fmt::format("--log-level '{}' is not one of trace, debug, info, warn, error", log_level));
    return problems;
}

std::string default_web_root(const char* argv0) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> candidates;
    const fs::path exe = fs::canonical("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path() / "../web/dist");     // build/redred -> web/dist
        candidates.push_back(exe.parent_path() / "../../web/dist");  // build/x/redred
        candidates.push_back(exe.parent_path() / "../share/redred/web");
    }
    candidates.push_back(fs::current_path(ec) / "web/dist");
    for (const auto& c : candidates)
        if (fs::exists(c / "index.html", ec)) return fs::weakly_canonical(c, ec).string();
    return (fs::current_path(ec) / "web/dist").string();
}

}  // namespace redred::app
