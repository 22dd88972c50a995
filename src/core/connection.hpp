// A client's connection as the HTTP server, the feed writers and the WebSocket sessions see it: plain TCP, or
// TLS over TCP (--tls-cert). One type, so every handler is written once. It models Asio's AsyncReadStream and
// AsyncWriteStream by forwarding each operation to the layer in use, and Beast's WebSocket teardown.
// Owned by one session and used on that session's strand. Over TLS, bytes must go through async_read_some /
// async_write_some (never straight to socket()), and the TLS context stays alive as long as the connection.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "core/net.hpp"

namespace redred {

// The server spreads its connections over this many strands (round robin at accept) instead of giving each its
// own: code that serves thousands of connections at once, a room's fan-out, then posts one handler per strand
// and serves that strand's connections in it, instead of posting (and allocating) once per connection
// (docs/BENCHMARKS.md, live chat across processes). Enough that the I/O threads share the work evenly and a
// busy connection delays few others; each handler is short.
inline constexpr std::uint32_t kConnectionStrands = 256;
// Names one of those strands, unique in the process (servers number their strands from a shared counter):
// connections with the same key run on the same strand. 0: a strand of its own, shared with nobody.
using StrandKey = std::uint32_t;

class Connection {
public:
    using executor_type = beast::tcp_stream::executor_type;
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;

    // Plain TCP. `strand`: the key of the shared strand the stream's executor is (0: none).
    explicit Connection(beast::tcp_stream plain, StrandKey strand = 0) : plain_(std::move(plain)), strand_(strand) {}
    // TLS with `context` (kept alive here: a reload does not touch open connections). Handshake still to do.
    Connection(beast::tcp_stream transport, std::shared_ptr<ssl::context> context, StrandKey strand = 0)
        : context_(std::move(context)),
          tls_(std::make_unique<TlsStream>(std::move(transport), *context_)),
          strand_(strand) {}

    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;

    bool is_tls() const { return tls_ != nullptr; }
    StrandKey strand_key() const { return strand_; }
    executor_type get_executor() { return transport().get_executor(); }
    // The TCP layer: timeouts (expires_after applies to TLS records too) and socket options.
    beast::tcp_stream& transport() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
    tcp::socket& socket() { return transport().socket(); }
    TlsStream& tls() { return *tls_; }
    void expires_after(std::chrono::steady_clock::duration d) { transport().expires_after(d); }
    void expires_never() { transport().expires_never(); }
    void close() { transport().close(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
        return plain_->async_read_some(buffers, std::forward<Token>(token));
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        if (tls_) return tls_->async_write_some(buffers, std::forward<Token>(token));
        return plain_->async_write_some(buffers, std::forward<Token>(token));
    }

private:
    std::optional<beast::tcp_stream> plain_;
    std::shared_ptr<ssl::context> context_;  // before tls_: outlives it
    std::unique_ptr<TlsStream> tls_;
    StrandKey strand_ = 0;

    // Beast closes the lowest layer this way when a WebSocket times out.
    friend void beast_close_socket(Connection& c) { c.transport().close(); }
    friend void teardown(beast::role_type role, Connection& c, error_code& ec) {
        using beast::websocket::teardown;
        if (c.tls_) teardown(role, *c.tls_, ec);
        else teardown(role, *c.plain_, ec);
    }
    template <class TeardownHandler>
    friend void async_teardown(beast::role_type role, Connection& c, TeardownHandler&& handler) {
        using beast::websocket::async_teardown;
        if (c.tls_) async_teardown(role, *c.tls_, std::forward<TeardownHandler>(handler));
        else async_teardown(role, *c.plain_, std::forward<TeardownHandler>(handler));
    }
};

// Ends a connection politely once everything is written: over TLS a close_notify (waiting at most `timeout`
// for the peer's), then the TCP FIN. The socket is closed when the Connection is destroyed.
inline net::awaitable<void> finish(Connection& c, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
    error_code ec;
    if (c.is_tls()) {
        c.expires_after(timeout);
        co_await c.tls().async_shutdown(net::redirect_error(use_awaitable, ec));
    }
    c.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace redred
