// A dedicated Redis connection in SUBSCRIBE mode that delivers published messages to one handler.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/net.hpp"
#include "state/redis/redis_url.hpp"

namespace redred::state::redis {

class ReplyReader;

// Subscribes to a fixed set of channels and keeps that subscription alive: on loss it reports the link down,
// reconnects with backoff (100 ms doubling to 2 s), subscribes again and reports the link up. Owns a strand;
// the socket and timers are touched only on it, and both handlers are called on it, one call at a time
// (handlers must not block; post heavy work elsewhere). Messages published while the link is down are lost,
// as with any Redis pub/sub. Call stop() before dropping it: the reconnect loop keeps it alive until then.
class Subscriber : public std::enable_shared_from_this<Subscriber> {
public:
    // `payload` is the exact published bytes (binary-safe, any size Redis accepts).
    using MessageHandler = std::function<void(const std::string& channel, std::string payload)>;
    // up=true once every channel is subscribed (after each (re)connect); up=false when such a link is lost.
    // Not called by stop().
    using LinkHandler = std::function<void(bool up)>;

    static std::shared_ptr<Subscriber> create(net::any_io_executor executor, Endpoint endpoint,
                                              std::vector<std::string> channels, MessageHandler on_message,
                                              LinkHandler on_link);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // Spawns the connect/subscribe/read loop on the strand. Calling it again is a no-op.
    void start();
    // Closes the socket and stops reconnecting. Any thread; idempotent. Once it returns no new handler call
    // starts (one already running on the strand finishes).
    void stop();

private:
    using Strand = net::strand<net::any_io_executor>;

    Subscriber(net::any_io_executor executor, Endpoint endpoint, std::vector<std::string> channels,
               MessageHandler on_message, LinkHandler on_link);

    static net::awaitable<void> run(std::shared_ptr<Subscriber> self);
    net::awaitable<std::string> listen();  // subscribes, then delivers until the link ends; returns why
    void report_link(bool up);
    void shut_down();

    // Owned; touched only on strand_.
    Strand strand_;
    const Endpoint endpoint_;
    const std::vector<std::string> channels_;
    MessageHandler on_message_;
    LinkHandler on_link_;
    tcp::resolver resolver_;
    std::optional<beast::tcp_stream> stream_;  // recreated for every connection attempt
    std::unique_ptr<ReplyReader> reader_;      // recreated with stream_
    net::steady_timer retry_;                  // backoff between connection attempts
    bool link_up_ = false;

    // Shared with any thread.
    std::atomic<bool> started_{false};
    std::atomic<bool> stopped_{false};
};

}  // namespace redred::state::redis
