#include "http/screen_routes.hpp"

#include <sys/sendfile.h>

#include <array>
#include <cerrno>

#include "core/log.hpp"
#include "http/error_response.hpp"
#include "http/request_fields.hpp"
#include "screen/framing.hpp"

namespace redred::http_server {
namespace {

using redred::FeedTransport;
using screen::FramePtr;
using screen::FeedSubscription;
using screen::ScreenService;

auto logger() { return log::get("screen"); }

net::awaitable<Response> handle_start(std::shared_ptr<ScreenService> service, const Request& req) {
    auto request = screen::parse_start_request(req.body());
    if (!request) co_return error_response(request.error());
    auto started = co_await service->start_stream(*request);
    if (!started) co_return error_response(started.error());
    co_return json_response(http::status::ok,
                            {{"task_id", started->task_id}, {"fps", started->fps}, {"quality", started->quality}});
}

net::awaitable<Response> handle_stop(std::shared_ptr<ScreenService> service) {
    auto stopped = co_await service->stop_stream();
    if (!stopped) co_return error_response(stopped.error());
    co_return json_response(http::status::ok, {{"stopped", true},
                                               {"task_id", stopped->task_id},
                                               {"message", "stop signal sent; the stream has ended"}});
}

net::awaitable<Response> handle_status(std::shared_ptr<ScreenService> service) {
    auto status = co_await service->status();
    if (!status) co_return error_response(status.error());
    co_return json_response(http::status::ok, screen::status_json(*status));
}

void tune_socket(Connection& stream, const FeedLimits& limits) {
    error_code ec;
    stream.socket().set_option(net::socket_base::send_buffer_size(limits.socket_send_buffer_bytes), ec);
    stream.socket().set_option(tcp::no_delay(true), ec);
}

std::string peer_of(Connection& stream) {
    error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

// Writes `buffers` with the viewer's write deadline. Returns false if the viewer is gone or too slow.
template <class Buffers>
net::awaitable<bool> write_frame(Connection& stream, const Buffers& buffers, const FeedLimits& limits,
                                 Metrics& metrics) {
    error_code ec;
    stream.expires_after(std::chrono::milliseconds(limits.write_timeout_ms));
    co_await net::async_write(stream, buffers, net::redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) {
        metrics.slow_viewers_closed.add();
        logger()->warn("[STREAM-FEED] closing a viewer that stopped reading peer={}", peer_of(stream));
    }
    co_return !ec;
}

// Sends `size` bytes of the frame file `fd` with sendfile(): the kernel hands the socket references to the
// same pages for every viewer instead of copying them. Waits for writability (bounded by the write timeout)
// only when the socket buffer is full. Returns false if the viewer is gone or too slow.
net::awaitable<bool> send_frame_file(Connection& stream, int fd, std::size_t size, const FeedLimits& limits,
                                     Metrics& metrics) {
    auto& socket = stream.socket();
    off_t offset = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.write_timeout_ms);
    while (static_cast<std::size_t>(offset) < size) {
        const ssize_t n = ::sendfile(socket.native_handle(), fd, &offset, size - static_cast<std::size_t>(offset));
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || errno != EAGAIN) co_return false;
        net::steady_timer timer(socket.get_executor());
        timer.expires_at(deadline);
        timer.async_wait([&socket](const error_code& ec) {
            error_code ignored;
            if (!ec) socket.cancel(ignored);  // the viewer took nothing for the whole write timeout
        });
        error_code ec;
        co_await socket.async_wait(tcp::socket::wait_write, net::redirect_error(use_awaitable, ec));
        timer.cancel();
        if (ec) {
            if (ec == net::error::operation_aborted) {
                metrics.slow_viewers_closed.add();
                logger()->warn("[STREAM-FEED] closing a viewer that stopped reading peer={}", peer_of(stream));
            }
            co_return false;
        }
    }
    co_return true;
}

// The viewer's query (?max_kbps, ?mode); on bad input answers 400 and returns nullopt.
net::awaitable<std::optional<screen::FeedOptions>> feed_options(Connection& stream, const Request& req, bool websocket) {
    const std::string_view target(req.target().data(), req.target().size());
    auto options = screen::parse_feed_options(query_param(target, "max_kbps"), query_param(target, "mode"), websocket);
    if (options) co_return *options;
    auto res = error_response(options.error(), req.version(), false);
    error_code ec;
    co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
    co_await finish(stream);
    co_return std::nullopt;
}

// One viewer of the SSE or MJPEG feed; they differ only in framing. A frame goes out only when the screen
// changed; a viewer that was busy gets the newest picture, and one with ?max_kbps waits after each frame.
net::awaitable<void> serve_http_feed(std::shared_ptr<ScreenService> service, Metrics& metrics, FeedLimits limits,
                                     FeedTransport transport, Connection stream, Request req) {
    const auto options = co_await feed_options(stream, req, false);
    if (!options) co_return;
    tune_socket(stream, limits);
    // Plain TCP: frames go from the sealed frame file to the socket with sendfile() (zero copy), which must answer
    // EAGAIN rather than block the I/O thread. TLS encrypts per connection, so each viewer's bytes are copied
    // through OpenSSL (the cost is in docs/BENCHMARKS.md).
    const bool zero_copy = !stream.is_tls();
    error_code nb;
    if (zero_copy) stream.socket().non_blocking(true, nb);
    const bool sse = transport == FeedTransport::Sse;
    const std::string header = std::string("HTTP/1.1 200 OK\r\nContent-Type: ") +
                               (sse ? std::string("text/event-stream") : screen::mjpeg_content_type()) +
                               "\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n"
                               "Server: redred\r\n\r\n";
    auto subscription = co_await service->subscribe(co_await net::this_coro::executor, transport);
    const int t = static_cast<int>(transport);
    if (!co_await write_frame(stream, net::buffer(header), limits, metrics)) co_return;
    if (!subscription) {
        if (sse) co_await write_frame(stream, net::buffer(screen::kSseStreamStopped), limits, metrics);
        co_await finish(stream);
        co_return;
    }
    const std::string peer = peer_of(stream);
    logger()->info("[STREAM-FEED] new {} connection peer={}{}", sse ? "SSE" : "MJPEG", peer,
                   options->max_kbps > 0 ? fmt::format(" max_kbps={}", options->max_kbps) : std::string());
    static const std::string kCrlf = "\r\n";
    static const std::string kKeepAlive(screen::kSseKeepAlive);
    const screen::RateCap cap(options->max_kbps);
    // MJPEG has no comment syntax; its clients wait for the next part however long it takes.
    const auto idle = std::chrono::milliseconds(sse ? limits.sse_keepalive_ms : 3'600'000);
    bool viewer_alive = true;
    for (;;) {
        const auto wake = co_await subscription->wait(idle);
        if (wake == screen::FeedSubscription::Wake::Ended) break;
        if (wake == screen::FeedSubscription::Wake::Idle) {
            if (sse && !co_await write_frame(stream, net::buffer(kKeepAlive), limits, metrics)) {
                viewer_alive = false;
                break;
            }
            continue;
        }
        FramePtr frame = subscription->take_picture();
        if (!frame) continue;
        bool ok;
        std::size_t bytes;
        const int file = sse ? frame->sse_file : frame->mjpeg_file;
        if (file >= 0 && zero_copy) {
            bytes = sse ? frame->sse_event.size() : frame->mjpeg_header.size() + frame->jpeg.size() + 2;
            ok = co_await send_frame_file(stream, file, bytes, limits, metrics);
        } else if (sse) {
            ok = co_await write_frame(stream, net::buffer(frame->sse_event), limits, metrics);
            bytes = frame->sse_event.size();
        } else {
            const std::array<net::const_buffer, 3> part{net::buffer(frame->mjpeg_header), net::buffer(frame->jpeg),
                                                        net::buffer(kCrlf)};
            ok = co_await write_frame(stream, part, limits, metrics);
            bytes = frame->mjpeg_header.size() + frame->jpeg.size() + 2;
        }
        if (!ok) {
            viewer_alive = false;
            break;
        }
        metrics.frames_sent[t].add();
        metrics.bytes_sent[t].add(bytes);
        if (cap.capped() && !co_await subscription->pause(std::chrono::microseconds(cap.pause_after_us(bytes)))) break;
    }
    if (viewer_alive) {
        // The stream ended: tell the viewer, as the seed does, then close.
        const std::string ending = sse ? std::string(screen::kSseStreamStopped) : screen::mjpeg_closing();
        co_await write_frame(stream, net::buffer(ending), limits, metrics);
        logger()->info("[STREAM-FEED] stream inactive, closing {} connection peer={}", sse ? "SSE" : "MJPEG", peer);
        co_await finish(stream);
    }
}

// Keeps reading so control frames (ping, close) are answered. A tile viewer may ask for a key frame
// ({"type":"key_frame"}); anything else is ignored.
net::awaitable<void> read_websocket(std::shared_ptr<websocket::stream<Connection>> ws, std::shared_ptr<bool> closed,
                                    std::shared_ptr<screen::FeedSubscription> sub) {
    beast::flat_buffer message;
    for (;;) {
        error_code ec;
        co_await ws->async_read(message, net::redirect_error(use_awaitable, ec));
        if (ec) break;
        if (sub && ws->got_text()) {
            const auto body = beast::buffers_to_string(message.data());
            const auto parsed = nlohmann::json::parse(body, nullptr, false);
            if (parsed.is_object() && parsed.value("type", "") == "key_frame") sub->request_key_frame();
        }
        message.clear();
    }
    *closed = true;
    if (sub) sub->end();  // wakes the writer so it notices
}

// Writes one tile-mode message (pieces of shared tiles, no copy). Returns false if the viewer is gone.
net::awaitable<bool> write_tiles(websocket::stream<Connection>& ws, const screen::TileMessage& message,
                                 Metrics& metrics) {
    std::vector<net::const_buffer> buffers;
    buffers.reserve(message.parts.size());
    for (std::string_view part : message.parts) buffers.emplace_back(part.data(), part.size());
    error_code ec;
    co_await ws.async_write(buffers, net::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    constexpr int t = static_cast<int>(FeedTransport::Tiles);
    metrics.frames_sent[t].add();
    metrics.bytes_sent[t].add(message.bytes);
    if (message.key) metrics.key_frames_sent.add();
    metrics.tiles_sent.add(message.key ? message.tiles - 1 : message.tiles);
    co_return true;
}

net::awaitable<void> serve_ws_feed(std::shared_ptr<ScreenService> service, Metrics& metrics, FeedLimits limits,
                                   Connection stream, beast::flat_buffer buffer, Request req) {
    const auto options = co_await feed_options(stream, req, true);
    if (!options) co_return;
    tune_socket(stream, limits);
    auto ws = std::make_shared<websocket::stream<Connection>>(std::move(stream));
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::milliseconds(limits.write_timeout_ms);
    timeouts.keep_alive_pings = true;
    ws->set_option(timeouts);
    ws->read_message_max(4096);
    ws->set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "redred"); }));
    error_code ec;
    co_await ws->async_accept(req, net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const FeedTransport transport = options->tiles ? FeedTransport::Tiles : FeedTransport::WebSocket;
    auto subscription = co_await service->subscribe(co_await net::this_coro::executor, transport);
    auto closed = std::make_shared<bool>(false);
    net::co_spawn(co_await net::this_coro::executor, read_websocket(ws, closed, subscription), net::detached);
    const int t = static_cast<int>(transport);
    const screen::RateCap cap(options->max_kbps);
    bool ended = !subscription;
    if (subscription) {
        ws->binary(true);
        // One frame per message: Beast's default cuts messages into 4 KB frames, ~57 writes for a 720p picture.
        ws->auto_fragment(false);
        for (;;) {
            const auto wake = co_await subscription->wait(std::chrono::hours(1));
            if (wake == screen::FeedSubscription::Wake::Ended) {
                ended = true;
                break;
            }
            if (wake == screen::FeedSubscription::Wake::Idle) continue;
            std::size_t bytes = 0;
            if (options->tiles) {
                auto message = subscription->take_tiles();
                if (!message) continue;
                if (!co_await write_tiles(*ws, *message, metrics)) break;
                bytes = message->bytes;
            } else {
                FramePtr frame = subscription->take_picture();
                if (!frame) continue;
                co_await ws->async_write(net::buffer(frame->jpeg), net::redirect_error(use_awaitable, ec));
                if (ec) break;
                bytes = frame->jpeg.size();
                metrics.frames_sent[t].add();
                metrics.bytes_sent[t].add(bytes);
            }
            if (cap.capped() && !co_await subscription->pause(std::chrono::microseconds(cap.pause_after_us(bytes)))) {
                ended = true;
                break;
            }
        }
    }
    if (ended && !*closed) {
        ws->text(true);
        co_await ws->async_write(net::buffer(screen::kStreamStoppedText), net::redirect_error(use_awaitable, ec));
        if (!ec) co_await ws->async_close(websocket::close_code::normal, net::redirect_error(use_awaitable, ec));
    }
}

}  // namespace

void add_screen_routes(Router& router, std::shared_ptr<ScreenService> service, Metrics& metrics, FeedLimits limits) {
    router.add(http::verb::post, "/stream/start",
               [service](const Request& req, const PathParams&) { return handle_start(service, req); });
    router.add(http::verb::post, "/stream/stop",
               [service](const Request&, const PathParams&) { return handle_stop(service); });
    router.add(http::verb::get, "/stream/status",
               [service](const Request&, const PathParams&) { return handle_status(service); });
    router.add_stream(http::verb::get, "/stream/feed",
                      [service, &metrics, limits](Connection stream, beast::flat_buffer, Request req) {
                          return serve_http_feed(service, metrics, limits, FeedTransport::Sse, std::move(stream),
                                                 std::move(req));
                      });
    router.add_stream(http::verb::get, "/stream/mjpeg",
                      [service, &metrics, limits](Connection stream, beast::flat_buffer, Request req) {
                          return serve_http_feed(service, metrics, limits, FeedTransport::Mjpeg, std::move(stream),
                                                 std::move(req));
                      });
    router.add_stream(http::verb::get, "/stream/ws",
                      [service, &metrics, limits](Connection stream, beast::flat_buffer buffer, Request req) {
                          return serve_ws_feed(service, metrics, limits, std::move(stream), std::move(buffer),
                                               std::move(req));
                      });
}

}  // namespace redred::http_server
