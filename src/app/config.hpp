// Everything an operator can set. Sources in order: defaults (here), config file (--config, TOML/INI),
// REDRED_* environment variables, flags. Each option is declared once, in add_serve_options().
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace redred::app {

struct Config {
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert;              // with tls_key: HTTPS and WSS on `listen` (PEM chain; reloaded on SIGHUP)
    std::string tls_key;
    std::string data_dir = "./data";
    std::string database;              // empty: SQLite file redred.db in data_dir (embedded default)
    std::string recordings_dir;        // empty: <data_dir>/recordings (share it between processes)
    std::string redis;                 // empty: in-process state (embedded default)
    std::string screen_source = "auto";
    std::string display;               // empty: $DISPLAY
    int max_width = 0;                 // 0: capture at native size
    std::string pattern_size = "1280x720";
    std::string web_root;              // empty: <source>/web/dist found next to the binary or the cwd
    int threads = 0;                   // 0: one per core
    int max_connections = 10000;
    int max_body_bytes = 1024 * 1024;
    int header_timeout_ms = 10000;
    int idle_timeout_ms = 30000;
    int write_timeout_ms = 15000;
    int sse_keepalive_ms = 15000;        // an SSE feed with no new frame for this long gets a comment line
    int key_frame_interval_ms = 5000;    // tile viewers get a whole picture this often while the screen changes
    int tick_ms = 500;
    int lease_ms = 2000;
    std::string log_level = "info";
    // Live platform
    std::vector<std::string> stun_urls;
    std::vector<std::string> turn_urls;
    std::string turn_secret;
    int turn_ttl = 86400;
    int chat_burst = 5;
    double chat_rate = 1.0;
    int cleanup_interval_ms = 60000;
    long long cleanup_max_live_ms = 4LL * 3600 * 1000;
    long long cleanup_idle_ms = 30LL * 60 * 1000;
    int publisher_grace_s = 30;        // a live stream waits this long for its streamer to come back
    long long cleanup_streamer_gone_ms = -1;  // deprecated: the grace in ms, wins when set; -1: not set
    long long cleanup_waiting_ms = 24LL * 3600 * 1000;
    bool secure_cookies = false;
    long long max_recording_bytes = 2LL * 1024 * 1024 * 1024;
    // Media: peer-to-peer (embedded default) or through Janus (docs/DEPLOY.md)
    std::string media = "p2p";
    std::string janus_url = "ws://127.0.0.1:8188";
    std::string janus_api_secret;
    std::string janus_admin_key;
    int publisher_bitrate = 3000000;
    int max_whep_sessions = 1000;
    // Webhooks (docs/WEBHOOKS.md): none by default
    std::vector<std::string> webhook_urls;
    std::string webhook_secret;
    int webhook_max_backlog = 10000;
    int webhook_retry_min_ms = 1000;
    int webhook_retry_max_ms = 300000;
    int webhook_timeout_ms = 10000;

    // Every problem at once; empty when the config is usable.
    std::vector<std::string> validate() const;
    // What store::Database::open_any() takes: --database, or the SQLite file in --data-dir.
    std::string database_location() const;
    std::string recordings_location() const;
};

// --database and --data-dir, shared by `serve`, `cleanup` and `migrate-sqlite-to-postgres`.
void add_database_options(CLI::App& command, Config& config);
// Problems with --database (empty when it is empty or a postgres:// URL).
std::vector<std::string> validate_database(const std::string& database);

// Declares the options shared by `serve` (and partly `doctor`) on a CLI11 (sub)command.
void add_serve_options(CLI::App& command, Config& config);
void add_config_file_option(CLI::App& command);
// The cleanup thresholds, shared by `serve` (the sweeper) and `cleanup`.
void add_cleanup_options(CLI::App& command, Config& config);
// --webhook-url and --webhook-secret (serve, and cleanup: a stream it ends is reported too), and delivery tuning.
void add_webhook_options(CLI::App& command, Config& config);
// Problems with the webhook options (empty when none is set, or all is well).
std::vector<std::string> validate_webhooks(const Config& config);

struct HostPort {
    std::string host;
    int port = 0;
};
bool parse_host_port(const std::string& text, HostPort& out);
bool parse_size(const std::string& text, int& width, int& height);  // "1280x720"

// Finds web/dist when --web-root is not given: next to the binary's source tree, or under the cwd.
std::string default_web_root(const char* argv0);

}  // namespace redred::app
