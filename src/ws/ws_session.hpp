// One WebSocket connection of the live platform. Lives on its own strand; everything it owns is touched only
// there. Other code calls deliver() or close(), which post.
//
// Outbound: a queue capped in bytes (STYLE §4). The writer drains everything queued into one frame per wake-up:
// one message goes out as itself, several as one JSON array of them (documented in docs/PROTOCOL.md), so a
// busy room costs one write per viewer per wake-up instead of one per message. A viewer whose queue passes the
// cap is closed with 1013 (try again later) and counted.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "core/net.hpp"

namespace redred::ws {

struct WsLimits {
    std::size_t max_message_bytes = 16 * 1024;        // larger client frames: closed with 1009
    std::size_t max_queued_bytes = 1024 * 1024;       // outbound cap per connection
    std::chrono::milliseconds handshake_timeout{10000};
    std::chrono::milliseconds idle_timeout{30000};    // no data from the peer (pings are sent meanwhile)
};

class WsSession;

// What a session reports to its owner (a room). Called on the session's strand.
struct WsHandler {
    std::function<void(std::shared_ptr<WsSession>)> on_open;
    std::function<void(std::shared_ptr<WsSession>, std::string)> on_message;
    std::function<void(std::shared_ptr<WsSession>)> on_close;
};

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    using Message = std::shared_ptr<const std::string>;

    WsSession(beast::tcp_stream stream, WsLimits limits, Metrics& metrics);
    ~WsSession();

    // Accepts the upgrade, then reads until the socket closes. `self` keeps the session alive.
    static net::awaitable<void> run(std::shared_ptr<WsSession> self, http::request<http::string_body> upgrade,
                                    WsHandler handler);

    void deliver(Message message);                          // any thread
    void close(websocket::close_code code, std::string reason);  // any thread; sends what is queued first
    std::uint64_t id() const { return id_; }
    net::any_io_executor executor() const { return strand_; }

private:
    static net::awaitable<void> write_loop(std::shared_ptr<WsSession> self);
    void on_deliver(Message message);
    void on_close_request(websocket::close_code code, std::string reason);

    net::any_io_executor strand_;
    websocket::stream<beast::tcp_stream> ws_;
    WsLimits limits_;
    Metrics& metrics_;
    const std::uint64_t id_;

    // Strand only.
    net::steady_timer wake_;
    std::deque<Message> queue_;
    std::size_t queued_bytes_ = 0;
    bool closing_ = false;
    bool closed_ = false;
    websocket::close_reason close_reason_;
    std::string batch_;  // reused buffer for coalesced writes
};

}  // namespace redred::ws
