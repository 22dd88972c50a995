// What the live platform's HTTP and WebSocket handlers share, built once by App.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "http/auth.hpp"
#include "live/cleanup_rules.hpp"
#include "media/io/sfu.hpp"
#include "state/redis/live_bus.hpp"
#include "store/database.hpp"
#include "webhooks/outbox.hpp"
#include "ws/ws_session.hpp"

namespace redred::ws {

struct ChatLimits {
    int burst = 5;              // comments a user may send at once
    double per_second = 1.0;    // then this many per second
};

struct RtcConfig {
    std::vector<std::string> stun_urls;
    std::vector<std::string> turn_urls;
    std::string turn_secret;
    int turn_ttl_seconds = 86400;
};

class RoomRegistry;

struct LiveContext {
    LiveContext(net::io_context& io_context, store::Database& db, Metrics& m,
                std::shared_ptr<http_server::AuthContext> auth_context)
        : io(io_context), database(db), metrics(m), auth(std::move(auth_context)) {}

    net::io_context& io;
    store::Database& database;
    Metrics& metrics;
    std::shared_ptr<http_server::AuthContext> auth;
    WsLimits ws_limits;
    ChatLimits chat;
    std::chrono::milliseconds viewers_update_interval{100};
    std::chrono::seconds kick_ban{600};
    live::CleanupThresholds cleanup;
    RtcConfig rtc;
    std::string recordings_dir;                           // <data-dir>/recordings
    std::int64_t max_recording_bytes = 2LL * 1024 * 1024 * 1024;
    RoomRegistry* rooms = nullptr;  // set once the registry exists
    std::shared_ptr<media::Sfu> sfu;  // --media janus; null: peer-to-peer
    std::int64_t max_whep_sessions = 1000;
    std::shared_ptr<state::redis::LiveBus> bus;  // --redis: rooms span processes; null: this process only
    webhooks::Targets webhooks;  // --webhook-url: events recorded in the outbox with the facts they report
};

}  // namespace redred::ws
