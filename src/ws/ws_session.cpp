#include "ws/ws_session.hpp"

#include <atomic>

#include "core/log.hpp"

namespace redred::ws {
namespace {
std::atomic<std::uint64_t> g_next_id{1};
auto logger() { return log::get("ws"); }
}  // namespace

WsSession::WsSession(beast::tcp_stream stream, WsLimits limits, Metrics& metrics)
    : strand_(stream.get_executor()),
      ws_(std::move(stream)),
      limits_(limits),
      metrics_(metrics),
      id_(g_next_id.fetch_add(1)),
      wake_(strand_) {
    wake_.expires_at(net::steady_timer::time_point::max());
    metrics_.ws_connections.add();
}

WsSession::~WsSession() { metrics_.ws_connections.sub(); }

net::awaitable<void> WsSession::run(std::shared_ptr<WsSession> self, http::request<http::string_body> upgrade,
                                    WsHandler handler) {
    auto& ws = self->ws_;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = self->limits_.handshake_timeout;
    timeouts.idle_timeout = self->limits_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(self->limits_.max_message_bytes);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "redred"); }));
    error_code ec;
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ec);
    co_await ws.async_accept(upgrade, net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    ws.text(true);

    net::co_spawn(self->strand_, write_loop(self), net::detached);
    if (handler.on_open) handler.on_open(self);
    beast::flat_buffer buffer;
    for (;;) {
        co_await ws.async_read(buffer, net::redirect_error(use_awaitable, ec));
        if (ec) break;
        if (!ws.got_text()) {
            // Binary frames are not part of the protocol: protocol abuse.
            self->on_close_request(websocket::close_code::policy_error, "binary frames are not accepted");
            break;
        }
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (handler.on_message) handler.on_message(self, std::move(text));
        if (self->closing_) break;
    }
    if (ec == websocket::error::message_too_big) {
        self->metrics_.ws_oversize_closed.add();
        self->on_close_request(websocket::close_code::too_big, "message too big");
    }
    if (handler.on_close) handler.on_close(self);
    if (!self->closing_) {
        self->closed_ = true;
        self->wake_.cancel();
    }
}

void WsSession::deliver(Message message) {
    net::post(strand_, [self = shared_from_this(), message = std::move(message)]() mutable {
        self->on_deliver(std::move(message));
    });
}

void WsSession::close(websocket::close_code code, std::string reason) {
    net::post(strand_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
        self->on_close_request(code, std::move(reason));
    });
}

void WsSession::on_deliver(Message message) {
    if (closing_ || closed_) return;
    queued_bytes_ += message->size();
    queue_.push_back(std::move(message));
    if (queued_bytes_ > limits_.max_queued_bytes) {
        // This viewer takes messages slower than the room produces them: drop the backlog and close, rather than
        // hold unbounded memory for it.
        metrics_.ws_slow_closed.add();
        logger()->warn("closing a slow websocket client id={} queued_bytes={}", id_, queued_bytes_);
        queue_.clear();
        queued_bytes_ = 0;
        on_close_request(websocket::close_code::try_again_later, "too slow: messages are not being read");
        return;
    }
    wake_.cancel();
}

void WsSession::on_close_request(websocket::close_code code, std::string reason) {
    if (closing_ || closed_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(code, reason);
    wake_.cancel();
}

net::awaitable<void> WsSession::write_loop(std::shared_ptr<WsSession> self) {
    error_code ec;
    for (;;) {
        while (self->queue_.empty() && !self->closing_ && !self->closed_) {
            co_await self->wake_.async_wait(net::redirect_error(use_awaitable, ec));
            self->wake_.expires_at(net::steady_timer::time_point::max());
        }
        if (self->closed_) co_return;
        if (!self->queue_.empty()) {
            net::const_buffer payload;
            Message single;
            std::size_t count = self->queue_.size();
            if (count == 1) {
                single = std::move(self->queue_.front());
                payload = net::buffer(*single);
            } else {
                auto& batch = self->batch_;
                batch.clear();
                batch.reserve(self->queued_bytes_ + count + 2);
                batch.push_back('[');
                for (std::size_t i = 0; i < count; ++i) {
                    if (i) batch.push_back(',');
                    batch.append(*self->queue_[i]);
                }
                batch.push_back(']');
                payload = net::buffer(batch);
            }
            self->queue_.clear();
            self->queued_bytes_ = 0;
            co_await self->ws_.async_write(payload, net::redirect_error(use_awaitable, ec));
            if (ec) {
                self->closed_ = true;
                co_return;
            }
            self->metrics_.ws_messages_sent.add(count);
            self->metrics_.ws_writes.add();
            continue;
        }
        if (self->closing_) {
            co_await self->ws_.async_close(self->close_reason_, net::redirect_error(use_awaitable, ec));
            self->closed_ = true;
            co_return;
        }
    }
}

}  // namespace redred::ws
