#include "http/server.hpp"

#include <array>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/error_response.hpp"

namespace redred::http_server {
namespace {

auto logger() { return log::get("http"); }

struct ConnectionCount {
    Metrics& metrics;
    explicit ConnectionCount(Metrics& m) : metrics(m) {
        metrics.connections_active.add();
        metrics.connections_total.add();
    }
    ~ConnectionCount() { metrics.connections_active.sub(); }
};

bool is_disconnect(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::connection_reset ||
           ec == net::error::eof || ec == net::error::broken_pipe || ec == net::error::operation_aborted ||
           ec == http::error::partial_message;
}

// After refusing a request early (413, 400), read and discard what the client is still sending, bounded in
// bytes and time, so it can read our answer instead of failing on a reset connection.
net::awaitable<void> linger(Connection& stream) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16 * 1024> discard;
    std::size_t total = 0;
    while (!ec && total < 16 * 1024 * 1024) {
        total += co_await stream.async_read_some(net::buffer(discard), net::redirect_error(use_awaitable, ec));
    }
}

}  // namespace

Server::Server(net::io_context& io, tcp::endpoint endpoint, ServerLimits limits, const Router& router,
               const StaticFiles* static_files, Metrics& metrics, std::shared_ptr<TlsContext> tls)
    : acceptor_(net::make_strand(io)),
      limits_(limits),
      router_(router),
      static_files_(static_files),
      metrics_(metrics),
      tls_(std::move(tls)) {
    static std::atomic<StrandKey> strand_keys{1};
    first_strand_key_ = strand_keys.fetch_add(kConnectionStrands);
    for (std::uint32_t i = 0; i < kConnectionStrands; ++i) connection_strands_.push_back(net::make_strand(io));
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    local_endpoint_ = acceptor_.local_endpoint();
}

void Server::start() {
    net::co_spawn(acceptor_.get_executor(), accept_loop(shared_from_this()), [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            logger()->error("accept loop ended error={}", ex.what());
        }
    });
}

void Server::stop() {
    stopped_ = true;
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ec;
        self->acceptor_.close(ec);
    });
}

net::awaitable<void> Server::accept_loop(std::shared_ptr<Server> self) {
    net::steady_timer backoff(self->acceptor_.get_executor());
    while (!self->stopped_) {
        error_code ec;
        const std::uint32_t strand_index = self->next_strand_;
        tcp::socket socket = co_await self->acceptor_.async_accept(self->connection_strands_[strand_index],
                                                                   net::redirect_error(use_awaitable, ec));
        if (ec) {
            if (self->stopped_ || ec == net::error::operation_aborted) break;
            // Out of file descriptors or similar: back off briefly instead of spinning.
            logger()->warn("accept failed error={}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(net::redirect_error(use_awaitable, ec));
            continue;
        }
        if (static_cast<std::size_t>(self->metrics_.connections_active.get()) >= self->limits_.max_connections) {
            self->metrics_.connections_rejected.add();
            static constexpr std::string_view kBusy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                "Content-Length: 71\r\n\r\n{\"error\":\"unavailable\",\"message\":\"too many connections, retry later\"}\n";
            socket.non_blocking(true, ec);
            socket.send(net::buffer(kBusy), 0, ec);
            socket.close(ec);
            continue;
        }
        self->next_strand_ = (strand_index + 1) % kConnectionStrands;
        auto executor = socket.get_executor();
        const StrandKey key = self->first_strand_key_ + strand_index;
        net::co_spawn(executor, session(self, std::move(socket), key), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                logger()->warn("session ended with error={}", ex.what());
            }
        });
    }
}

net::awaitable<void> Server::session(std::shared_ptr<Server> self, tcp::socket socket, StrandKey strand) {
    ConnectionCount counted(self->metrics_);
    const auto& limits = self->limits_;
    std::optional<Connection> connection;
    if (self->tls_) {
        // The context current at accept time: a reload (SIGHUP) affects the connections accepted after it.
        connection.emplace(beast::tcp_stream(std::move(socket)), self->tls_->current(), strand);
        connection->expires_after(std::chrono::milliseconds(limits.header_timeout_ms));
        error_code ec;
        co_await connection->tls().async_handshake(ssl::stream_base::server, net::redirect_error(use_awaitable, ec));
        if (ec) {
            // Plain HTTP on the TLS port, a client that distrusts the certificate, a scanner: nothing to answer.
            self->metrics_.tls_handshake_failures.add();
            logger()->debug("tls handshake failed error={}", ec.message());
            co_return;
        }
    } else {
        connection.emplace(beast::tcp_stream(std::move(socket)), strand);
    }
    Connection& stream = *connection;
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.header_limit_bytes));
        parser.body_limit(limits.body_limit_bytes);
        stream.expires_after(std::chrono::milliseconds(first ? limits.header_timeout_ms : limits.idle_timeout_ms));
        error_code ec;
        co_await http::async_read_header(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
        std::optional<Response> early;
        if (!ec) {
            const auto length = parser.content_length();
            if (length && *length > limits.body_limit_bytes) {
                ec = http::error::body_limit;
            } else if (parser.get()[http::field::expect] == "100-continue") {
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                stream.expires_after(std::chrono::milliseconds(limits.write_timeout_ms));
                co_await net::async_write(stream, net::buffer(kContinue), net::redirect_error(use_awaitable, ec));
            }
            if (!ec && !parser.is_done()) {
                stream.expires_after(std::chrono::milliseconds(limits.header_timeout_ms));
                co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
            }
        }
        if (ec == http::error::body_limit) {
            early = error_response(http::status::payload_too_large, "too_large",
                                   "request body is larger than " + std::to_string(limits.body_limit_bytes) + " bytes",
                                   11, false);
        } else if (ec == http::error::header_limit) {
            early = error_response(http::status::request_header_fields_too_large, "too_large",
                                   "request header is too large", 11, false);
        } else if (ec && is_disconnect(ec)) {
            break;
        } else if (ec) {
            early = error_response(http::status::bad_request, "bad_input", "malformed HTTP request: " + ec.message(), 11,
                                   false);
        }
        if (early) {
            self->metrics_.http_client_errors.add();
            stream.expires_after(std::chrono::milliseconds(limits.write_timeout_ms));
            co_await http::async_write(stream, *early, net::redirect_error(use_awaitable, ec));
            if (!ec) co_await linger(stream);
            break;
        }

        Request req = parser.release();
        self->metrics_.http_requests.add();
        bool streamed = false;
        Response res;
        try {
            res = co_await self->dispatch(req, streamed, stream, buffer);
        } catch (const std::exception& ex) {
            const std::string request_id = random_hex(6);
            logger()->error("handler failed request_id={} method={} target={} error={}", request_id,
                            std::string(req.method_string()), std::string(req.target()), ex.what());
            res = error_response(http::status::internal_server_error, "internal",
                                 "internal error (request id " + request_id + ")");
        }
        if (streamed) co_return;  // the handler owned and closed the connection
        const unsigned code = res.result_int();
        if (code >= 500) self->metrics_.http_server_errors.add();
        else if (code >= 400) self->metrics_.http_client_errors.add();
        res.version(req.version());
        res.keep_alive(req.keep_alive() && res.keep_alive());
        res.set(http::field::server, "redred");
        if (req.method() == http::verb::head) {
            const auto size = res.body().size();
            res.body().clear();
            res.content_length(size);
        } else {
            res.prepare_payload();
        }
        stream.expires_after(std::chrono::milliseconds(limits.write_timeout_ms));
        co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
        if (ec || !res.keep_alive()) break;
        first = false;
    }
    co_await finish(stream);
    stream.close();
}

net::awaitable<Response> Server::dispatch(Request& req, bool& handled_as_stream, Connection& stream,
                                          beast::flat_buffer& buffer) {
    std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    auto match = router_.match(req.method(), path);
    if (match.stream_handler) {
        handled_as_stream = true;
        stream.expires_never();
        co_await (*match.stream_handler)(std::move(stream), std::move(buffer), std::move(req));
        co_return Response{};
    }
    if (match.handler) co_return co_await (*match.handler)(req, match.params);
    if (match.path_known) {
        auto res = error_response(http::status::method_not_allowed, "method_not_allowed",
                                  std::string(req.method_string()) + " is not allowed on " + std::string(path) +
                                      " (allowed: " + match.allowed + ")");
        res.set(http::field::allow, match.allowed);
        co_return res;
    }
    if (static_files_) {
        if (auto file = static_files_->serve(req)) co_return std::move(*file);
    }
    co_return error_response(http::status::not_found, "not_found",
                             "no such endpoint: " + std::string(req.method_string()) + " " + std::string(path));
}

}  // namespace redred::http_server
