// A pipelined Redis client for Asio coroutines: one TCP connection shared by any number of callers.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/net.hpp"
#include "core/result.hpp"
#include "state/redis/redis_reply.hpp"
#include "state/redis/redis_url.hpp"

namespace redred::state::redis {

class ReplyReader;

// Builds command arguments: strings as bytes, integers in decimal. Use it instead of a braced list inside
// co_await: GCC 12 rejects `co_await conn->command({"GET", key})` with "array used as initializer".
//   auto reply = co_await conn->command(cmd("SET", key, frame_bytes, "PX", 5000));
template <class... Parts>
std::vector<std::string> cmd(Parts&&... parts) {
    std::vector<std::string> args;
    args.reserve(sizeof...(parts));
    auto append = [&args](auto&& part) {
        using Part = std::decay_t<decltype(part)>;
        if constexpr (std::is_integral_v<Part> && !std::is_same_v<Part, char> && !std::is_same_v<Part, bool>) {
            args.push_back(std::to_string(part));
        } else {
            args.emplace_back(std::forward<decltype(part)>(part));
        }
    };
    (append(std::forward<Parts>(parts)), ...);
    return args;
}

// One Redis connection that reconnects by itself (backoff 100 ms doubling to 2 s) from start() until stop().
// command() may be called from any thread and any coroutine; requests are pipelined and coalesced into one
// write when several are queued. The connection owns a strand: the socket, both queues and all timers are
// touched only on it. Invariant: `awaiting_` holds the written requests in write order, so each reply
// belongs to its front. Owned by whoever created it (the Redis StateBus); call stop() before dropping it,
// because the reconnect loop keeps the object alive until then.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    static std::shared_ptr<Connection> create(net::any_io_executor executor, Endpoint endpoint, std::string log_name);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Spawns the connect loop on the strand: connect, AUTH/SELECT if needed, then read until the link is lost;
    // on loss fail every pending request and reconnect with backoff, until stop(). Calling it again is a no-op.
    void start();
    // Closes the socket, fails pending requests with Unavailable and stops reconnecting. Any thread; idempotent.
    void stop();
    // True between a successful handshake and the loss of that link. Any thread.
    bool connected() const { return connected_.load(); }

    // Sends one command (binary-safe args) and returns its reply. A Redis error reply comes back as a Reply of
    // type Error. Returns Unavailable ("redis unavailable: <reason>") when not connected, when the link drops
    // before the reply, after `timeout`, or after stop(); BadInput for an empty command or a command that
    // would put the connection in push mode (SUBSCRIBE, MONITOR, ...: use Subscriber). Resumes the caller on
    // the caller's own executor. The caller must hold a shared_ptr to the connection when awaiting.
    net::awaitable<Result<Reply>> command(std::vector<std::string> args,
                                          std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

private:
    struct Pending;
    using Strand = net::strand<net::any_io_executor>;

    Connection(net::any_io_executor executor, Endpoint endpoint, std::string log_name);

    static net::awaitable<void> run(std::shared_ptr<Connection> self);
    static net::awaitable<void> write_loop(std::shared_ptr<Connection> self, std::uint64_t session);
    net::awaitable<std::string> read_loop();  // returns why the link ended

    // Strand only.
    void enqueue(std::shared_ptr<Pending> pending, std::chrono::milliseconds timeout);
    void end_session(const std::string& reason);
    void fail_all(const std::string& reason);
    void shut_down();

    // Any thread.
    void set_down_reason(std::string reason);
    std::string down_reason() const;

    // Owned; touched only on strand_.
    Strand strand_;
    const Endpoint endpoint_;
    const std::string log_name_;
    tcp::resolver resolver_;
    std::optional<beast::tcp_stream> stream_;  // recreated for every connection attempt
    std::unique_ptr<ReplyReader> reader_;      // recreated with stream_
    net::steady_timer wake_;                   // the writer sleeps here while queued_ is empty
    net::steady_timer writer_done_;            // run() sleeps here until the old writer has exited
    net::steady_timer retry_;                  // backoff between connection attempts
    std::deque<std::shared_ptr<Pending>> queued_;    // accepted, not yet written
    std::deque<std::shared_ptr<Pending>> awaiting_;  // written, reply not yet read
    std::uint64_t session_ = 0;                      // bumped per successful connect; ends stale writers
    bool link_up_ = false;
    bool writer_running_ = false;
    std::string write_error_;  // set by the writer when a write fails, reported as the loss reason

    // Shared with callers on any thread.
    std::atomic<bool> started_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> connected_{false};
    mutable std::mutex down_reason_mutex_;
    std::string down_reason_ = "not connected yet";  // why connected() is false, for error messages
};

}  // namespace redred::state::redis
