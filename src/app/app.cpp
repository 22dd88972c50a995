#include "app/app.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/net.hpp"
#include "http/auth.hpp"
#include "http/error_response.hpp"
#include "http/live_routes.hpp"
#include "http/media_routes.hpp"
#include "http/recording_routes.hpp"
#include "http/screen_routes.hpp"
#include "http/server.hpp"
#include "media/io/sfu.hpp"
#include "screen/io/screen_service.hpp"
#include "state/memory/memory_screen_state.hpp"
#include "state/redis/live_bus.hpp"
#include "state/redis/redis_screen_state.hpp"
#include "store/database.hpp"
#include "ws/cleanup.hpp"
#include "webhooks/io/deliverer.hpp"
#include "ws/room_registry.hpp"

namespace redred::app {
namespace {

using http_server::PathParams;
using http_server::Request;
using http_server::Response;

struct Running {
    std::shared_ptr<http_server::Server> server;
    std::shared_ptr<screen::ScreenService> screen;
    std::unique_ptr<state::ScreenState> state;
    state::redis::RedisScreenState* redis = nullptr;  // borrowed from `state` when Redis is used
    Metrics* metrics = nullptr;
    ws::RoomRegistry* rooms = nullptr;
    std::shared_ptr<media::Sfu> sfu;  // --media janus
    std::shared_ptr<state::redis::LiveBus> bus;  // --redis: the live platform's rooms span processes
    std::string instance_id;
};

net::awaitable<void> graceful_shutdown(net::io_context& io, std::shared_ptr<Running> running) {
    auto log = log::get("app");
    log->info("shutting down: closing feeds and leaving shared state consistent");
    running->server->stop();
    for (auto& room : running->rooms->all()) room->disconnect_all();
    co_await running->screen->shutdown();
    if (running->sfu) running->sfu->janus().stop();
    // Give feed viewers a bounded moment to receive "stream_stopped", and stream WebSockets their 1012 close
    // frame (so clients know to reconnect at once), before the threads stop.
    net::steady_timer wait(co_await net::this_coro::executor);
    for (int i = 0; i < 40; ++i) {
        std::int64_t viewers = running->metrics->ws_connections.get();
        for (const auto& g : running->metrics->feed_viewers) viewers += g.get();
        if (viewers == 0) break;
        wait.expires_after(std::chrono::milliseconds(50));
        co_await wait.async_wait(use_awaitable);
    }
    if (running->bus) co_await running->bus->stop();
    running->state->close();
    log->info("stopped");
    io.stop();
}

Response health(const Running& r) {
    const bool redis_down = (r.redis && !r.redis->connection()->connected()) || (r.bus && !r.bus->link_up());
    const bool media_down = r.sfu && !r.sfu->up();
    nlohmann::json body{{"status", redis_down || media_down ? "degraded" : "ok"},
                        {"instance", r.instance_id},
                        {"state", r.state->backend_name()},
                        {"screen_source", r.screen->source_name()},
                        {"capturing", r.screen->capturing()},
                        {"viewers", r.screen->hub().subscriber_count()}};
    if (r.redis) body["redis"] = redis_down ? "down" : "up";
    if (r.bus) body["cluster"] = {{"tag", r.bus->tag()}, {"link", r.bus->link_up() ? "up" : "down"}};
    if (r.sfu) {
        auto& janus = r.sfu->janus();
        body["media"] = {{"mode", "janus"},
                         {"janus", media_down ? "down" : "up"},
                         {"version", janus.server_version()},
                         {"detail", janus.status()}};
    } else {
        body["media"] = {{"mode", "p2p"}};
    }
    if (redis_down)
        body["message"] = "shared state (Redis) is unavailable";
    else if (media_down)
        body["message"] = "the media server (Janus) is unavailable: " + r.sfu->janus().status();
    return http_server::json_response(redis_down || media_down ? http::status::service_unavailable : http::status::ok,
                                      body);
}

Response metrics_text(const Metrics& metrics) {
    Response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics.render_prometheus();
    return res;
}

}  // namespace

// A random cluster tag in 1..2^20-1: the high bits of this process's connection ids (see ws::connection_tag).
static std::uint32_t cluster_tag() {
    const auto hex = random_hex(3);
    const auto tag = static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16)) & 0xFFFFFu;
    return tag == 0 ? 1 : tag;
}

live::CleanupThresholds cleanup_thresholds(const Config& config) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    live::CleanupThresholds t;
    t.max_live = duration_cast<seconds>(milliseconds(config.cleanup_max_live_ms));
    t.max_idle_without_viewers = duration_cast<seconds>(milliseconds(config.cleanup_idle_ms));
    t.publisher_grace = config.cleanup_streamer_gone_ms >= 0 ? milliseconds(config.cleanup_streamer_gone_ms)
                                                             : duration_cast<milliseconds>(seconds(config.publisher_grace_s));
    t.waiting_abandoned = duration_cast<seconds>(milliseconds(config.cleanup_waiting_ms));
    return t;
}

long raise_open_files_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<long>(limit.rlim_cur);
}

int run_server(const Config& config) {
    log::init_logging(config.log_level);
    auto log = log::get("app");
    if (auto problems = config.validate(); !problems.empty()) {
        for (const auto& p : problems) log->error("config: {}", p);
        return 2;
    }
    const long open_files = raise_open_files_limit();

    std::error_code fs_error;
    std::filesystem::create_directories(config.data_dir, fs_error);
    if (fs_error) {
        log->error("cannot create data directory path={} error={}", config.data_dir, fs_error.message());
        return 1;
    }

    HostPort listen;
    parse_host_port(config.listen, listen);
    const int threads = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    net::io_context io(threads);

    // Screen source: opened once, used only by the capture thread while a stream is live.
    screen::SourceOptions source_options;
    source_options.display = config.display;
    source_options.max_width = config.max_width;
    parse_size(config.pattern_size, source_options.pattern_width, source_options.pattern_height);
    const auto kind = *screen::parse_source_kind(config.screen_source);
    std::unique_ptr<screen::ScreenSource> source;
    if (kind != screen::SourceKind::None) {
        auto opened = screen::open_screen_source(kind, source_options);
        if (!opened) {
            log->error("screen source unavailable: {}", opened.error().message);
            return 1;
        }
        source = std::move(*opened);
    }

    auto running = std::make_shared<Running>();
    Metrics metrics;
    running->metrics = &metrics;
    running->instance_id = random_hex(6);

    http_server::Router router;
    http_server::StaticFiles static_files(config.web_root.empty() ? default_web_root(nullptr) : config.web_root);
    http_server::ServerLimits limits;
    limits.max_connections = static_cast<std::size_t>(config.max_connections);
    limits.body_limit_bytes = static_cast<std::size_t>(config.max_body_bytes);
    limits.header_timeout_ms = config.header_timeout_ms;
    limits.idle_timeout_ms = config.idle_timeout_ms;
    limits.write_timeout_ms = config.write_timeout_ms;

    std::shared_ptr<http_server::TlsContext> tls;
    if (!config.tls_cert.empty()) {
        auto loaded = http_server::TlsContext::load(config.tls_cert, config.tls_key);
        if (!loaded) {
            log->error("tls: {}", loaded.error().message);
            return 2;
        }
        tls = std::move(*loaded);
        log->info("tls certificate loaded file={} {}", config.tls_cert, tls->describe());
    }

    boost::system::error_code ec;
    auto address = net::ip::make_address(listen.host == "localhost" ? "127.0.0.1" : listen.host, ec);
    if (ec) {
        log->error("--listen host must be an IP address host={}", listen.host);
        return 2;
    }
    try {
        running->server = std::make_shared<http_server::Server>(io, tcp::endpoint(address, listen.port), limits, router,
                                                                &static_files, metrics, tls);
    } catch (const std::exception& e) {
        log->error("cannot listen address={} error={}", config.listen, e.what());
        return 1;
    }
    const auto bound = running->server->local_endpoint();
    const std::string advertised_host = bound.address().to_string();

    if (config.redis.empty()) {
        running->state = std::make_unique<state::memory::MemoryScreenState>();
    } else {
        auto endpoint = state::redis::parse_redis_url(config.redis);
        if (!endpoint) {
            log->error("--redis: {}", endpoint.error().message);
            return 2;
        }
        state::redis::RedisScreenStateOptions options;
        options.lease_ms = config.lease_ms;
        options.pending_claim_ms = std::max(config.lease_ms, 3 * config.tick_ms);
        options.host = advertised_host;
        options.port = bound.port();
        auto redis_state = std::make_unique<state::redis::RedisScreenState>(io.get_executor(), *endpoint,
                                                                            running->instance_id, options);
        running->redis = redis_state.get();
        running->state = std::move(redis_state);
    }

    screen::ScreenServiceOptions screen_options;
    screen_options.instance_id = running->instance_id;
    screen_options.host = advertised_host;
    screen_options.port = bound.port();
    screen_options.tick_ms = config.tick_ms;
    screen_options.key_frame_interval_ms = config.key_frame_interval_ms;
    running->screen = std::make_shared<screen::ScreenService>(io.get_executor(), metrics, *running->state,
                                                              std::move(source), screen_options);

    // The live platform: SQLite in the data directory (or PostgreSQL with --database), argon2id on its own
    // threads, rooms per stream.
    store::DatabaseOptions database_options;
    database_options.on_commit = [&metrics](std::chrono::microseconds elapsed, std::size_t jobs) {
        metrics.db_commit_seconds.observe_microseconds(static_cast<std::uint64_t>(elapsed.count()));
        metrics.db_write_jobs.add(jobs);
    };
    auto database = store::Database::open_any(config.database_location(), database_options);
    if (!database) {
        log->error("database unavailable: {}", database.error().message);
        return 1;
    }
    net::thread_pool blocking(2);
    auto auth = std::make_shared<http_server::AuthContext>(**database, blocking.get_executor());
    auth->secure_cookies = config.secure_cookies;
    auto live_ctx = std::make_shared<ws::LiveContext>(io, **database, metrics, auth);
    live_ctx->chat = ws::ChatLimits{config.chat_burst, config.chat_rate};
    live_ctx->rtc = ws::RtcConfig{config.stun_urls, config.turn_urls, config.turn_secret, config.turn_ttl};
    live_ctx->cleanup = cleanup_thresholds(config);
    live_ctx->ws_limits.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);  // pinged at half of it
    ws::RoomRegistry rooms(*live_ctx);
    live_ctx->rooms = &rooms;
    running->rooms = &rooms;
    http_server::add_auth_routes(router, auth);
    live_ctx->recordings_dir = config.recordings_location();
    live_ctx->max_recording_bytes = config.max_recording_bytes;
    http_server::add_live_routes(router, live_ctx);
    http_server::add_recording_routes(router, live_ctx);
    http_server::add_media_routes(router, live_ctx);
    live_ctx->max_whep_sessions = config.max_whep_sessions;
    if (*media::parse_media_mode(config.media) == media::MediaMode::Janus) {
        media::JanusOptions janus_options;
        janus_options.url = config.janus_url;
        janus_options.api_secret = config.janus_api_secret;
        auto janus = media::JanusClient::create(io.get_executor(), janus_options, metrics);
        media::SfuOptions sfu_options;
        sfu_options.admin_key = config.janus_admin_key;
        sfu_options.publisher_bitrate = config.publisher_bitrate;
        running->sfu = std::make_shared<media::Sfu>(janus, sfu_options);
        live_ctx->sfu = running->sfu;
        // Every room hears when the media server comes and goes (its handles die with the Janus session).
        janus->on_state_change([&rooms](bool up) {
            for (auto& room : rooms.all()) room->on_media_server(up);
        });
        janus->start();
    }
    if (!config.redis.empty() && running->sfu) {
        // Each process makes its own Janus rooms: viewers on one process cannot see a publication made through
        // another yet, so with the SFU a stream's clients must stay on one process (sticky load balancing).
        log->warn("--media janus with --redis: live rooms stay on one process each (the screen feed is shared); "
                  "route each stream's clients to one process");
    } else if (!config.redis.empty()) {
        // Rooms across processes: connection ids carry this process's tag; events go through Redis.
        const std::uint32_t tag = cluster_tag();
        ws::set_connection_tag(tag);
        state::redis::LiveBusOptions bus_options;
        bus_options.tag = tag;
        bus_options.instance_id = running->instance_id;
        bus_options.address = advertised_host + ":" + std::to_string(bound.port());
        running->bus = state::redis::LiveBus::create(io.get_executor(), *state::redis::parse_redis_url(config.redis),
                                                     bus_options, metrics);
        live_ctx->bus = running->bus;
        state::redis::LiveBusHandlers handlers;
        handlers.on_event = [&rooms](std::int64_t stream, std::uint32_t origin, std::uint64_t seq, nlohmann::json body) {
            if (auto room = rooms.find(stream)) room->on_event(origin, seq, std::move(body));
        };
        handlers.on_link = [&rooms](bool up) {
            for (auto& room : rooms.all()) room->on_bus_link(up);
        };
        handlers.on_instance_gone = [&rooms](std::uint32_t gone) {
            for (auto& room : rooms.all()) room->on_instance_gone(gone);
        };
        handlers.describe = [&rooms, &metrics] {
            return nlohmann::json{{"connections", metrics.ws_connections.get()}, {"rooms", rooms.all().size()}};
        };
        running->bus->start(std::move(handlers));
    }
    ws::start_sweeper(*live_ctx, std::chrono::milliseconds(config.cleanup_interval_ms));
    std::shared_ptr<webhooks::Deliverer> webhook_deliverer;
    if (!config.webhook_urls.empty()) {
        // Events are recorded with the facts they report (live_ctx->webhooks) and sent from the outbox.
        live_ctx->webhooks = webhooks::Targets{config.webhook_urls};
        webhooks::DelivererOptions hook_options;
        hook_options.urls = config.webhook_urls;
        hook_options.secret = config.webhook_secret;
        hook_options.max_backlog = config.webhook_max_backlog;
        hook_options.retry.first = std::chrono::milliseconds(config.webhook_retry_min_ms);
        hook_options.retry.max = std::chrono::milliseconds(config.webhook_retry_max_ms);
        hook_options.timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
        webhook_deliverer = webhooks::Deliverer::create(io.get_executor(), **database, metrics, std::move(hook_options),
                                                        running->bus);
        webhook_deliverer->start();
    }

    http_server::FeedLimits feed_limits;
    feed_limits.write_timeout_ms = config.write_timeout_ms;
    feed_limits.sse_keepalive_ms = config.sse_keepalive_ms;
    http_server::add_screen_routes(router, running->screen, metrics, feed_limits);
    router.add(http::verb::get, "/healthz", [running](const Request&, const PathParams&) -> net::awaitable<Response> {
        return [](std::shared_ptr<Running> r) -> net::awaitable<Response> { co_return health(*r); }(running);
    });
    router.add(http::verb::get, "/metrics", [&metrics](const Request&, const PathParams&) {
        return [](const Metrics* m) -> net::awaitable<Response> { co_return metrics_text(*m); }(&metrics);
    });

    running->screen->run();
    running->server->start();
    log->info("redred listening address={}:{} url={}://{}:{}/ instance={} state={} screen_source={} media={} "
              "threads={} open_files_limit={}",
              advertised_host, bound.port(), tls ? "https" : "http", advertised_host, bound.port(), running->instance_id,
              running->state->backend_name(), running->screen->source_name(),
              running->sfu ? "janus " + config.janus_url : std::string("p2p"), threads, open_files);

    net::signal_set signals(io, SIGINT, SIGTERM);
    bool shutting_down = false;
    std::function<void(const error_code&, int)> on_signal = [&](const error_code& error, int signal_number) {
        if (error) return;
        if (shutting_down) {
            log->warn("second signal: exiting now");
            std::_Exit(130);
        }
        shutting_down = true;
        log->info("signal received signal={}", signal_number);
        net::co_spawn(io, graceful_shutdown(io, running), net::detached);
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    ::signal(SIGPIPE, SIG_IGN);
    // SIGHUP: reload the TLS certificate and key (a renewal needs no restart). Connections accepted from now on
    // get the new ones; a file that does not load keeps the old ones.
    net::signal_set reload_signals(io, SIGHUP);
    std::function<void(const error_code&, int)> on_reload = [&](const error_code& error, int) {
        if (error) return;
        if (!tls) {
            log->info("SIGHUP received: nothing to reload (no --tls-cert)");
        } else if (auto reloaded = tls->reload(); !reloaded) {
            log->error("tls reload failed, keeping the previous certificate: {}", reloaded.error().message);
        } else {
            log->info("tls certificate reloaded file={} {}", config.tls_cert, tls->describe());
        }
        reload_signals.async_wait(on_reload);
    };
    reload_signals.async_wait(on_reload);

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    blocking.join();
    (*database)->close();
    return 0;
}

}  // namespace redred::app
