#include "ws/ws_session.hpp"

#include <atomic>

#include "core/log.hpp"

namespace redred::ws {
namespace {
std::atomic<std::uint64_t> g_next_id{1};
auto logger() { return log::get("ws"); }
}  // namespace

std::uint64_t new_connection_id() {
    return g_next_id.fetch_add(1);
}

void set_connection_tag(std::uint32_t tag) {
    g_next_id.store((static_cast<std::uint64_t>(tag) << 32) | 1);
}

void append_frame_header(std::string& out, std::uint8_t opcode, std::size_t size) {
    out.push_back(static_cast<char>(0x80 | opcode));
    if (size < 126) {
        out.push_back(static_cast<char>(size));
    } else if (size <= 0xFFFF) {
        out.push_back(static_cast<char>(126));
        out.push_back(static_cast<char>((size >> 8) & 0xFF));
        out.push_back(static_cast<char>(size & 0xFF));
    } else {
        out.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
    }
}

WsSession::WsSession(Connection stream, WsLimits limits, Metrics& metrics)
    : strand_(stream.get_executor()),
      strand_key_(stream.strand_key()),
      ws_(GatedConnection(std::move(stream))),
      limits_(limits),
      metrics_(metrics),
      id_(new_connection_id()),
      ping_timer_(strand_) {
    metrics_.ws_connections.add();
}

WsSession::~WsSession() { metrics_.ws_connections.sub(); }

net::awaitable<void> WsSession::run(std::shared_ptr<WsSession> self, http::request<http::string_body> upgrade,
                                    WsHandler handler) {
    auto& ws = self->ws_;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = self->limits_.handshake_timeout;
    // Idleness is ours too: Boost 1.74's idle timer is not reset by a pong (or any control frame), so a quiet
    // client that answers every ping was still cut off after idle_timeout. We note every frame we hear.
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;  // ours, see the header
    ws.set_option(timeouts);
    ws.control_callback([weak = std::weak_ptr<WsSession>(self)](websocket::frame_type, beast::string_view) {
        if (auto s = weak.lock()) s->last_heard_ = std::chrono::steady_clock::now();
    });
    ws.read_message_max(self->limits_.max_message_bytes);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "redred"); }));
    error_code ec;
    auto& socket = beast::get_lowest_layer(ws).socket();
    socket.set_option(tcp::no_delay(true), ec);
    co_await ws.async_accept(upgrade, net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (!ws.next_layer().next_layer().is_tls()) socket.non_blocking(true, ec);  // for the synchronous send in flush()
    ws.next_layer().on_beast_done = [weak = std::weak_ptr<WsSession>(self)] {
        if (auto s = weak.lock()) s->flush();  // a pong of Beast's went out: our frames may go on
    };
    self->open_ = true;
    self->last_heard_ = std::chrono::steady_clock::now();
    self->schedule_ping();
    if (handler.on_open) handler.on_open(self);
    beast::flat_buffer buffer;
    for (;;) {
        co_await ws.async_read(buffer, net::redirect_error(use_awaitable, ec));
        if (ec) break;
        self->last_heard_ = std::chrono::steady_clock::now();
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
    if (!self->closing_) self->mark_closed();
}

void WsSession::deliver(Message message) {
    net::post(strand_, [self = shared_from_this(), message = std::move(message)]() mutable {
        self->on_deliver(std::move(message), 1);
    });
}

void WsSession::deliver(Message messages, std::uint32_t count, std::shared_ptr<void> pass) {
    net::post(strand_, [self = shared_from_this(), messages = std::move(messages), count,
                        pass = std::move(pass)]() mutable { self->on_deliver(std::move(messages), count); });
}

void WsSession::deliver_here(const Message& messages, std::uint32_t count) {
    on_deliver(messages, count);
}

void WsSession::close(websocket::close_code code, std::string reason) {
    net::post(strand_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
        self->on_close_request(code, std::move(reason));
    });
}

void WsSession::mark_closed() {
    open_ = false;
    queue_.clear();
    queued_bytes_ = queued_messages_ = 0;
    ping_timer_.cancel();
    ws_.next_layer().end_own_write();  // a pong waiting for its turn fails on the closed socket, not hangs
}

void WsSession::on_deliver(Message messages, std::uint32_t count) {
    if (!open_ || closing_ || count == 0) return;
    queued_bytes_ += messages->size();
    queued_messages_ += count;
    queue_.push_back(Queued{std::move(messages), count});
    if (queued_bytes_ > limits_.max_queued_bytes) {
        // This viewer takes messages slower than the room produces them: drop the backlog and close, rather than
        // hold unbounded memory for it.
        metrics_.ws_slow_closed.add();
        logger()->warn("closing a slow websocket client id={} queued_bytes={}", id_, queued_bytes_);
        queue_.clear();
        queued_bytes_ = queued_messages_ = 0;
        on_close_request(websocket::close_code::try_again_later, "too slow: messages are not being read");
        return;
    }
    flush();
}

void WsSession::on_close_request(websocket::close_code code, std::string reason) {
    if (closing_ || !open_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(code, reason);
    ping_timer_.cancel();
    flush();  // what is already queued goes first, then the close
    // A peer that does not read takes neither the frame in flight nor our close frame: it gets the close
    // handshake's time, then the socket is dropped and everything the session holds is freed (without this, a
    // client closed with 1013 for not reading kept its socket and its last frame for as long as it stayed).
    if (open_) {
        ping_timer_.expires_after(limits_.handshake_timeout);
        ping_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
            auto self = weak.lock();
            if (ec || !self || !self->open_) return;
            error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
            self->mark_closed();
        });
    }
}

void WsSession::schedule_ping() {
    ping_timer_.expires_after(limits_.idle_timeout / 2);
    ping_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || !self->open_ || self->closing_) return;
        if (std::chrono::steady_clock::now() - self->last_heard_ > self->limits_.idle_timeout) {
            // Nothing at all from the peer (not even a pong) for idle_timeout: it is gone.
            error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
            self->mark_closed();
            return;
        }
        self->ping_due_ = true;
        self->flush();
        self->schedule_ping();
    });
}

void WsSession::flush() {
    auto& gate = ws_.next_layer();
    auto& connection = gate.next_layer();
    auto& socket = connection.socket();
    while (!writing_ && open_) {
        if (gate.beast_pending()) return;  // a pong of Beast's goes first; on_beast_done calls flush again
        if (queue_.empty() && !ping_due_) break;
        frame_.clear();
        std::size_t messages = 0;
        if (ping_due_) {
            ping_due_ = false;
            append_frame_header(frame_, 0x9, 0);
        }
        if (!queue_.empty()) {
            // Everything queued goes in one frame: one message as itself, several as one JSON array.
            messages = queued_messages_;
            const std::size_t pieces = queue_.size();
            const std::size_t payload = messages == 1 ? queued_bytes_ : queued_bytes_ + (pieces - 1) + 2;
            append_frame_header(frame_, 0x1, payload);
            if (messages > 1) frame_.push_back('[');
            for (std::size_t i = 0; i < pieces; ++i) {
                if (i) frame_.push_back(',');
                frame_.append(*queue_[i].text);
            }
            if (messages > 1) frame_.push_back(']');
            queue_.clear();
            queued_bytes_ = queued_messages_ = 0;
            metrics_.ws_messages_sent.add(messages);
        }
        metrics_.ws_writes.add();
        // Plain TCP: most of the time the socket takes the whole frame at once, with no asynchronous operation at
        // all. TLS: OpenSSL must own the writes, so they are always asynchronous (through the Connection).
        error_code ec = net::error::would_block;
        std::size_t sent = 0;
        if (!connection.is_tls()) {
            ec = {};
            sent = socket.write_some(net::buffer(frame_), ec);
            if (ec && ec != net::error::would_block) {
                mark_closed();
                return;
            }
            if (!ec && sent == frame_.size()) continue;
        }
        writing_ = true;
        gate.begin_own_write();
        net::async_write(connection, net::buffer(frame_.data() + (ec ? 0 : sent), frame_.size() - (ec ? 0 : sent)),
                         net::bind_executor(strand_, [self = shared_from_this()](const error_code& e, std::size_t) {
                             self->writing_ = false;
                             self->ws_.next_layer().end_own_write();
                             if (e) {
                                 self->mark_closed();
                                 return;
                             }
                             self->flush();
                         }));
        return;
    }
    if (!writing_ && open_ && closing_ && queue_.empty()) start_close();
}

void WsSession::start_close() {
    if (close_started_) return;
    close_started_ = true;
    ws_.async_close(close_reason_, net::bind_executor(strand_, [self = shared_from_this()](const error_code&) {
                        self->mark_closed();
                    }));
}

}  // namespace redred::ws
