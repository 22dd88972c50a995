// Wire helpers shared by Connection and Subscriber: RESP formatting and parsing through hiredis (its reader
// and formatter only, never its blocking I/O), and opening an authenticated connection.
#pragma once
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/fwd.h>

#include "core/net.hpp"
#include "core/result.hpp"
#include "state/redis/redis_reply.hpp"
#include "state/redis/redis_url.hpp"

namespace redred::state::redis {

// Formats one command as RESP (binary-safe arguments). `args` must not be empty.
std::string format_command(const std::vector<std::string>& args);

// Incremental RESP parser. Feed bytes as they arrive, then take complete replies in order.
// Not thread-safe: owned by one connection session and used on its strand.
class ReplyReader {
public:
    ReplyReader();
    ~ReplyReader();
    ReplyReader(const ReplyReader&) = delete;
    ReplyReader& operator=(const ReplyReader&) = delete;

    // Returns false if the reader is already broken by a protocol error.
    bool feed(std::string_view bytes);
    // The next complete reply, nullopt if more bytes are needed, or Internal on a protocol error (after
    // which the connection must be dropped).
    Result<std::optional<Reply>> next();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "redis unavailable: <reason>", the one error callers of the Redis client see for transport trouble.
Error unavailable(std::string_view reason);

// Resolves and connects `stream` to `endpoint`, sets TCP_NODELAY and SO_KEEPALIVE, then sends AUTH and SELECT
// when the endpoint needs them, all within `timeout`. On success the stream has no expiry and `reader` has
// consumed exactly the handshake replies. Runs on the stream's executor (the caller's strand).
net::awaitable<Result<Ok>> open_connection(beast::tcp_stream& stream, tcp::resolver& resolver, ReplyReader& reader,
                                           const Endpoint& endpoint, std::chrono::milliseconds timeout);

// The logger for the state area ("state").
std::shared_ptr<spdlog::logger> state_logger();

// Completion handler for co_spawn: logs an exception that escaped the coroutine, naming `what`.
std::function<void(std::exception_ptr)> log_if_thrown(std::string what);

}  // namespace redred::state::redis
