#include "cli/doctor.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/config.hpp"
#include "core/log.hpp"
#include "core/net.hpp"
#include "media/io/sfu.hpp"
#include "media/videoroom.hpp"
#include "screen/jpeg_encoder.hpp"
#include "screen/screen_source.hpp"
#include "state/redis/keys.hpp"
#include "state/redis/live_bus.hpp"
#include "state/redis/redis_connection.hpp"
#include "state/redis/redis_url.hpp"
#include "store/migrations.hpp"
#include "store/postgres/connection.hpp"

namespace redred::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Report {
    int failures = 0;
    void pass(std::string_view check, std::string_view detail) { std::printf("  ok    %-14s %s\n", check.data(), std::string(detail).c_str()); }
    void fail(std::string_view check, std::string_view detail, std::string_view advice) {
        ++failures;
        std::printf("  FAIL  %-14s %s\n        -> %s\n", check.data(), std::string(detail).c_str(), std::string(advice).c_str());
    }
    void skip(std::string_view check, std::string_view why) { std::printf("  --    %-14s %s\n", check.data(), std::string(why).c_str()); }
};

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void check_jpeg(Report& report) {
    screen::Image image;
    image.resize(64, 64);
    screen::JpegEncoder encoder;
    auto jpeg = encoder.encode(image.view(), 75);
    if (jpeg) report.pass("libjpeg-turbo", fmt::format("encodes ({} bytes for a 64x64 test image)", jpeg->size()));
    else report.fail("libjpeg-turbo", jpeg.error().message, "install libturbojpeg0 (scripts/setup.sh does)");
}

void check_screen(Report& report, const DoctorOptions& options) {
    auto kind = screen::parse_source_kind(options.screen_source);
    if (!kind) {
        report.fail("screen source", kind.error().message, "use auto, x11, pattern or none");
        return;
    }
    if (*kind == screen::SourceKind::None) {
        report.skip("screen source", "none: this instance relays frames captured by another");
        return;
    }
    screen::SourceOptions source_options;
    source_options.display = options.display;
    auto source = screen::open_screen_source(*kind, source_options);
    if (!source) {
        report.fail("screen source", source.error().message,
                    "start an X server (e.g. Xvfb :99) and set DISPLAY, or use --screen-source pattern");
        return;
    }
    const auto start = Clock::now();
    auto capture = (*source)->grab(std::chrono::system_clock::now());
    const double grab_ms = ms_since(start);
    if (!capture) {
        report.fail("screen source", capture.error().message, "check the X server and its MIT-SHM extension");
        return;
    }
    screen::JpegEncoder encoder;
    const auto encode_start = Clock::now();
    auto jpeg = encoder.encode(capture->image, 75);
    const double encode_ms = ms_since(encode_start);
    if (!jpeg) {
        report.fail("screen source", jpeg.error().message, "check libjpeg-turbo");
        return;
    }
    report.pass("screen source", fmt::format("{} {}x{}: capture {:.1f} ms, encode {:.1f} ms, {:.0f} KB at quality 75",
                                             (*source)->name(), (*source)->width(), (*source)->height(), grab_ms,
                                             encode_ms, jpeg->size() / 1024.0));
}

template <class T>
T run_sync(net::io_context& io, net::awaitable<T> work) {
    auto future = net::co_spawn(io, std::move(work), net::use_future);
    return future.get();
}

// The media server as `serve --media janus` would use it: reachable, the plugins redred needs, and a room
// made and destroyed with the admin key (what going live does).
void check_janus(Report& report, const DoctorOptions& options) {
    if (options.media != "janus") {
        report.skip("media server", "--media p2p (browsers send to each other); pass --media janus to check Janus");
        return;
    }
    if (auto url = media::janus::parse_ws_url(options.janus_url); !url) {
        report.fail("media server", url.error().message, "use --janus-url ws://127.0.0.1:8188");
        return;
    }
    net::io_context io;
    auto guard = net::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    Metrics metrics;
    media::JanusOptions janus_options;
    janus_options.url = options.janus_url;
    janus_options.api_secret = options.janus_api_secret;
    janus_options.request_timeout = std::chrono::milliseconds(options.timeout_ms);
    auto janus = media::JanusClient::create(io.get_executor(), janus_options, metrics);
    janus->start();
    const auto start = Clock::now();
    while (!janus->up() && ms_since(start) < options.timeout_ms) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto finish = [&] {
        janus->stop();
        guard.reset();
        io.stop();
        runner.join();
    };
    if (!janus->up()) {
        report.fail("media server", fmt::format("{}: {}", options.janus_url, janus->status()),
                    "is Janus running with its WebSocket transport on that address, and is --janus-api-secret right? "
                    "(docs/DEPLOY.md)");
        finish();
        return;
    }
    const auto plugins = janus->plugins();
    auto has = [&plugins](std::string_view name) { return std::find(plugins.begin(), plugins.end(), name) != plugins.end(); };
    report.pass("media server", fmt::format("Janus {} at {} ({:.0f} ms)", janus->server_version(), options.janus_url,
                                            ms_since(start)));
    if (!has(media::janus::kVideoRoom))
        report.fail("videoroom", "Janus has no VideoRoom plugin", "install Debian's janus and load libjanus_videoroom.so");
    if (has(media::janus::kNoSip))
        report.pass("nosip", "loaded: WHEP playback available");
    else
        report.fail("nosip", "Janus has no NoSIP plugin: WHEP playback will answer 503",
                    "load libjanus_nosip.so (docs/DEPLOY.md)");
    if (has(media::janus::kVideoRoom)) {
        media::SfuOptions sfu_options;
        sfu_options.admin_key = options.janus_admin_key;
        media::Sfu sfu(janus, sfu_options);
        const std::uint64_t probe_room = (1ULL << 52) + static_cast<std::uint64_t>(std::time(nullptr) % 100000);
        auto made = run_sync(io, sfu.create_room(probe_room, "redred doctor"));
        if (!made) {
            report.fail("media rooms", made.error().message,
                        "pass the VideoRoom plugin's admin_key as --janus-admin-key (janus.plugin.videoroom.jcfg)");
        } else {
            auto destroyed = run_sync(io, sfu.control(media::videoroom::destroy_room(made->id, made->secret)));
            report.pass("media rooms", destroyed ? "a room was made and destroyed with the admin key"
                                                 : "made a room, but could not destroy it: " + destroyed.error().message);
        }
    }
    finish();
}

void check_database(Report& report, const DoctorOptions& options) {
    if (options.database.empty()) {
        report.skip("database", "embedded SQLite in --data-dir; pass --database postgres://... to check PostgreSQL");
        return;
    }
    if (!app::validate_database(options.database).empty()) {
        report.fail("database", "--database is not a postgres:// URL", "use postgres://user[:password]@host:port/dbname");
        return;
    }
    const std::string where = store::postgres::redact_url(options.database);
    try {
        auto conn = store::postgres::Connection::open(options.database);
        report.pass("database", fmt::format("PostgreSQL {} at {}", conn->server_version(), where));
        const int found = store::schema_version(*conn);
        const int expected = static_cast<int>(store::embedded_migrations(store::sql::Dialect::Postgres).size());
        if (found == expected) {
            report.pass("migrations", fmt::format("schema version {} (current)", found));
        } else if (found < expected) {
            report.fail("migrations", fmt::format("schema version {}, this redred expects {}", found, expected),
                        "start `redred serve --database ...` once: it applies the missing migrations");
        } else {
            report.fail("migrations", fmt::format("schema version {} is newer than this redred ({})", found, expected),
                        "upgrade this redred binary to the version that migrated the database");
        }
    } catch (const store::StoreError& e) {
        report.fail("database", e.what(), "is PostgreSQL running and reachable, and are the user, password and database right?");
    }
}

void check_redis(Report& report, const DoctorOptions& options) {
    if (options.redis.empty()) {
        report.skip("redis", "not configured (embedded state); pass --redis redis://host:port/db to check it");
        return;
    }
    auto endpoint = state::redis::parse_redis_url(options.redis);
    if (!endpoint) {
        report.fail("redis", endpoint.error().message, "use redis://host:port/db");
        return;
    }
    net::io_context io;
    auto guard = net::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    auto connection = state::redis::Connection::create(io.get_executor(), *endpoint, "doctor");
    connection->start();
    auto command = [&](std::vector<std::string> args) {
        return run_sync(io, connection->command(std::move(args), std::chrono::milliseconds(2000)));
    };
    // The connection dials in the background: give it a moment before the first command.
    for (int i = 0; i < 40 && !connection->connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto pong = command({"PING"});
    if (!pong || pong->str != "PONG") {
        report.fail("redis", pong ? pong->str : pong.error().message,
                    fmt::format("is redis-server running at {}:{}? (redis-cli -h {} -p {} ping)", endpoint->host,
                                endpoint->port, endpoint->host, endpoint->port));
    } else {
        auto info = command({"INFO", "server"});
        std::string version = "?";
        if (info) {
            auto pos = info->str.find("redis_version:");
            if (pos != std::string::npos) version = info->str.substr(pos + 14, info->str.find('\r', pos) - pos - 14);
        }
        report.pass("redis", fmt::format("PONG from {}:{} (redis {})", endpoint->host, endpoint->port, version));

        auto state = command({"HGETALL", state::redis::keys::kStreamingState});
        auto stop = command({"GET", state::redis::keys::kStreamingStopRequested});
        std::string summary = "streaming:state is empty (no stream yet)";
        if (state && !state->elements.empty()) {
            summary = "streaming:state {";
            for (std::size_t i = 0; i + 1 < state->elements.size(); i += 2)
                summary += fmt::format("{}{}={}", i ? ", " : "", state->elements[i].str, state->elements[i + 1].str);
            summary += "}";
        }
        if (stop && !stop->is_nil()) summary += ", stop_requested=" + stop->str;
        report.pass("stream state", summary);

        std::vector<std::string> alive;
        std::string cursor = "0";
        for (int rounds = 0; rounds < 100; ++rounds) {
            auto page = command({"SCAN", cursor, "MATCH", state::redis::keys::kInstancePattern, "COUNT", "200"});
            if (!page || page->elements.size() != 2) break;
            for (const auto& key : page->elements[1].elements) {
                auto value = command({"GET", key.str});
                if (!value || value->is_nil()) continue;
                auto doc = nlohmann::json::parse(value->str, nullptr, false);
                if (doc.is_discarded()) continue;
                alive.push_back(fmt::format("{} at {}:{} (source {}{})", doc.value("id", "?"), doc.value("host", "?"),
                                            doc.value("port", 0), doc.value("screen_source", "?"),
                                            doc.value("capturing", false) ? ", capturing" : ""));
            }
            cursor = page->elements[0].str;
            if (cursor == "0") break;
        }
        if (alive.empty()) {
            report.fail("instances", "no redred server is registered on this Redis",
                        "start one: redred serve --redis " + options.redis);
        } else {
            report.pass("instances", fmt::format("{} alive", alive.size()));
            for (const auto& line : alive) std::printf("        - %s\n", line.c_str());
        }

        // The live platform's processes: each renews a heartbeat key with its connection counts.
        auto processes = run_sync(io, state::redis::LiveBus::instances(connection));
        if (!processes) {
            report.fail("cluster", processes.error().message, "check the Redis connection above");
        } else {
            std::int64_t connections = 0;
            for (const auto& p : *processes) connections += p.value("connections", std::int64_t{0});
            report.pass("cluster", fmt::format("{} live process(es), {} stream connection(s)", processes->size(),
                                               connections));
            for (const auto& p : *processes)
                std::printf("        - tag %s instance %s at %s: %lld connection(s), %lld room(s)\n",
                            p.value("tag", nlohmann::json()).dump().c_str(), p.value("instance", "?").c_str(),
                            p.value("address", "?").c_str(), static_cast<long long>(p.value("connections", 0LL)),
                            static_cast<long long>(p.value("rooms", 0LL)));
        }
    }
    connection->stop();
    guard.reset();
    io.stop();
    runner.join();
}

// A tiny blocking HTTP(S) client: enough for the doctor's requests; every read is bounded by SO_RCVTIMEO.
struct HttpTarget {
    std::string host;
    int port = 0;
    bool tls = false;  // https://: the certificate is verified (system store, plus --tls-ca)
    std::string tls_ca;
};

bool parse_url(const std::string& url, HttpTarget& out) {
    std::string rest = url;
    bool tls = false;
    if (rest.rfind("http://", 0) == 0) {
        rest = rest.substr(7);
    } else if (rest.rfind("https://", 0) == 0) {
        rest = rest.substr(8);
        tls = true;
    }
    rest = rest.substr(0, rest.find('/'));
    app::HostPort hp;
    if (!app::parse_host_port(rest, hp)) return false;
    out = HttpTarget{hp.host, hp.port, tls, {}};
    return true;
}

struct Connected {
    net::io_context io;
    tcp::socket socket{io};
    ssl::context context{ssl::context::tls_client};
    std::optional<ssl::stream<tcp::socket&>> tls;
    std::string error;  // why the connection failed
};

// Calls `f` with the byte stream to use: the TLS stream or the socket.
template <class F>
auto with_stream(Connected& c, F&& f) {
    if (c.tls) return f(*c.tls);
    return f(c.socket);
}

std::unique_ptr<Connected> connect_to(const HttpTarget& target, int timeout_ms) {
    auto c = std::make_unique<Connected>();
    error_code ec;
    const std::string host = target.host == "localhost" ? "127.0.0.1" : target.host;
    auto address = net::ip::make_address(host, ec);
    if (ec) {
        tcp::resolver resolver(c->io);
        auto found = resolver.resolve(host, std::to_string(target.port), ec);
        if (ec || found.empty()) {
            c->error = fmt::format("cannot resolve {}", target.host);
            return c;
        }
        address = found.begin()->endpoint().address();
    }
    c->socket.connect(tcp::endpoint(address, static_cast<unsigned short>(target.port)), ec);
    if (ec) {
        c->error = fmt::format("cannot connect to {}:{}", target.host, target.port);
        return c;
    }
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(c->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(c->socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (target.tls) {
        c->context.set_default_verify_paths(ec);
        if (!target.tls_ca.empty()) {
            c->context.load_verify_file(target.tls_ca, ec);
            if (ec) {
                c->error = fmt::format("--tls-ca {}: {}", target.tls_ca, ec.message());
                return c;
            }
        }
        c->context.set_verify_mode(ssl::verify_peer);
        c->tls.emplace(c->socket, c->context);
        c->tls->set_verify_callback(ssl::host_name_verification(target.host));
        SSL_set_tlsext_host_name(c->tls->native_handle(), target.host.c_str());
        c->tls->handshake(ssl::stream_base::client, ec);
        if (ec) {
            c->error = fmt::format("TLS handshake with {}:{} failed: {}", target.host, target.port, ec.message());
            return c;
        }
    }
    return c;
}

struct SimpleResponse {
    int status = 0;
    std::string body;
    std::string error;
};

SimpleResponse request(const HttpTarget& target, http::verb method, const std::string& path, const std::string& body,
                       int timeout_ms) {
    SimpleResponse out;
    auto c = connect_to(target, timeout_ms);
    if (!c->error.empty()) {
        out.error = c->error;
        return out;
    }
    http::request<http::string_body> req{method, path, 11};
    req.set(http::field::host, target.host);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    error_code ec;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    with_stream(*c, [&](auto& stream) {
        http::write(stream, req, ec);
        if (!ec) http::read(stream, buffer, res, ec);
    });
    if (ec) {
        out.error = ec.message();
        return out;
    }
    out.status = res.result_int();
    out.body = res.body();
    return out;
}

void check_server(Report& report, const DoctorOptions& options, const HttpTarget& target) {
    auto health = request(target, http::verb::get, "/healthz", "", options.timeout_ms);
    if (!health.error.empty()) {
        report.fail("server", health.error,
                    target.tls ? "is `redred serve --tls-cert ...` running there? A self-signed certificate needs "
                                 "--tls-ca CERT.pem"
                               : "is `redred serve` running there? (--url http://HOST:PORT, https:// with --tls-cert)");
        return;
    }
    if (health.status == 200) report.pass("server", health.body);
    else report.fail("server", fmt::format("/healthz answered {}: {}", health.status, health.body), "see the server's log");
}

void check_cycle(Report& report, const DoctorOptions& options, const HttpTarget& target) {
    const auto start = Clock::now();
    auto started = request(target, http::verb::post, "/stream/start", R"({"fps":10,"quality":60})", options.timeout_ms);
    if (started.status != 200) {
        report.fail("cycle: start", started.error.empty() ? fmt::format("{} {}", started.status, started.body) : started.error,
                    started.status == 409 ? "a stream is already live; the doctor will not interrupt it"
                                          : "see the server's log ([STREAM-API] lines)");
        return;
    }
    report.pass("cycle: start", started.body);

    auto feed = connect_to(target, options.timeout_ms);
    if (!feed->error.empty()) feed.reset();
    int frames = 0;
    bool stopped_seen = false;
    std::string buffer;
    auto read_events = [&](int wanted_frames, bool until_stopped) {
        char chunk[65536];
        const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
        while (Clock::now() < deadline) {
            std::size_t end;
            while ((end = buffer.find("\n\n")) != std::string::npos) {
                std::string event = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                if (event.find("data: stream_stopped") != std::string::npos) stopped_seen = true;
                else if (event.rfind("data: ", 0) == 0 && event.size() > 100) ++frames;
            }
            if (!until_stopped && frames >= wanted_frames) return;
            if (until_stopped && stopped_seen) return;
            error_code ec;
            const std::size_t n =
                with_stream(*feed, [&](auto& stream) { return stream.read_some(net::buffer(chunk), ec); });
            if (ec) return;
            buffer.append(chunk, n);
        }
    };
    if (feed) {
        const std::string get = fmt::format("GET /stream/feed HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n", target.host);
        error_code ec;
        with_stream(*feed, [&](auto& stream) { net::write(stream, net::buffer(get), ec); });
        read_events(options.frames, false);
    }
    if (frames >= options.frames)
        report.pass("cycle: frames", fmt::format("{} frames received from /stream/feed in {:.0f} ms", frames, ms_since(start)));
    else
        report.fail("cycle: frames", fmt::format("only {} of {} frames within {} ms", frames, options.frames, options.timeout_ms),
                    "check the screen source (redred doctor --screen-source ...) and the server's [STREAM-FEED] log");

    auto stopped = request(target, http::verb::post, "/stream/stop", "", options.timeout_ms);
    if (stopped.status == 200) report.pass("cycle: stop", stopped.body);
    else report.fail("cycle: stop", stopped.error.empty() ? fmt::format("{} {}", stopped.status, stopped.body) : stopped.error,
                     "stop it by hand: redis-cli SET streaming:stop_requested true");
    if (feed) {
        read_events(0, true);
        if (stopped_seen) report.pass("cycle: feed end", "the feed sent stream_stopped and closed");
        else report.fail("cycle: feed end", "no stream_stopped event after stop", "see the server's [STREAM-FEED] log");
    }
}

}  // namespace

void add_doctor_options(CLI::App& cmd, DoctorOptions& o) {
    cmd.add_option("--redis", o.redis, "Redis to check (redis://host:port/db)")->envname("REDRED_REDIS");
    cmd.add_option("--database", o.database, "PostgreSQL to check (postgres://user[:password]@host:port/dbname)")
        ->envname("REDRED_DATABASE");
    cmd.add_option("--screen-source", o.screen_source, "auto | x11 | pattern | none")->envname("REDRED_SCREEN_SOURCE")
        ->capture_default_str();
    cmd.add_option("--display", o.display, "X display (default: $DISPLAY)")->envname("REDRED_DISPLAY");
    cmd.add_option("--url", o.url, "A running server to check, e.g. http://127.0.0.1:8080 or https://example.org:8443");
    cmd.add_option("--tls-ca", o.tls_ca, "With an https:// --url: also trust this PEM certificate (self-signed or own CA)");
    cmd.add_flag("--cycle", o.cycle, "Start a stream, receive frames, stop it (against --url)");
    cmd.add_option("--frames", o.frames, "Frames to receive during --cycle")->capture_default_str();
    cmd.add_option("--timeout-ms", o.timeout_ms, "Time allowed for each network step")->capture_default_str();
    cmd.add_option("--media", o.media, "p2p | janus: with janus, check the media server")->envname("REDRED_MEDIA")
        ->capture_default_str();
    cmd.add_option("--janus-url", o.janus_url, "Janus WebSocket API")->envname("REDRED_JANUS_URL")->capture_default_str();
    cmd.add_option("--janus-api-secret", o.janus_api_secret, "Janus's api_secret")->envname("REDRED_JANUS_API_SECRET");
    cmd.add_option("--janus-admin-key", o.janus_admin_key, "The VideoRoom admin_key")->envname("REDRED_JANUS_ADMIN_KEY");
}

int run_doctor(const DoctorOptions& options) {
    log::init_logging("off");
    Report report;
    std::printf("redred doctor\n");
    check_jpeg(report);
    check_screen(report, options);
    check_database(report, options);
    check_redis(report, options);
    check_janus(report, options);
    std::string url = options.url;
    if (url.empty() && options.cycle) url = "http://127.0.0.1:8080";
    if (!url.empty()) {
        HttpTarget target;
        if (!parse_url(url, target)) {
            report.fail("server", "bad --url " + url, "use http://HOST:PORT or https://HOST:PORT");
        } else {
            target.tls_ca = options.tls_ca;
            check_server(report, options, target);
            if (options.cycle) check_cycle(report, options, target);
        }
    } else {
        report.skip("server", "no --url given");
    }
    std::printf(report.failures ? "%d check(s) failed\n" : "all checks passed\n", report.failures);
    return report.failures ? 1 : 0;
}

}  // namespace redred::cli
