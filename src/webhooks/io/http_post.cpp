#include "webhooks/io/http_post.hpp"

namespace redred::webhooks {
namespace {
constexpr std::uint64_t kMaxReplyBytes = 64 * 1024;  // a receiver's answer is read and thrown away

// For https:// receivers: the system's trusted certificates (OpenSSL's default paths, which SSL_CERT_FILE and
// SSL_CERT_DIR override), TLS 1.2 or newer, the peer's certificate and host name verified.
ssl::context& client_tls_context() {
    static ssl::context context = [] {
        ssl::context c(ssl::context::tls_client);
        c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        c.set_default_verify_paths();
        c.set_verify_mode(ssl::verify_peer);
        return c;
    }();
    return context;
}

// Writes the request and reads the status line on a connected (and, for TLS, handshaken) stream.
template <class Stream>
net::awaitable<PostOutcome> exchange(Stream& stream, http::request<http::string_body>& req) {
    PostOutcome out;
    error_code ec;
    co_await http::async_write(stream, req, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "write: " + ec.message();
        co_return out;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    // The status line is what counts: a reply whose body we would not take still said yes or no.
    if (parser.is_header_done()) {
        out.status = static_cast<int>(parser.get().result_int());
    } else {
        out.error = "read: " + (ec ? ec.message() : std::string("no reply"));
    }
    co_return out;
}

}  // namespace

net::awaitable<PostOutcome> post_json(WebhookUrl url, std::string body, Headers headers,
                                      std::chrono::milliseconds timeout) {
    PostOutcome out;
    auto executor = co_await net::this_coro::executor;
    error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "cannot resolve " + url.host + ": " + ec.message();
        co_return out;
    }
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::user_agent, "redred-webhooks/1");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();

    if (!url.tls) {
        beast::tcp_stream stream(executor);
        stream.expires_after(timeout);  // one deadline for connect, write and read together
        co_await stream.async_connect(endpoints, net::redirect_error(use_awaitable, ec));
        if (ec) {
            out.error = "connect: " + ec.message();
            co_return out;
        }
        out = co_await exchange(stream, req);
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return out;
    }
    beast::ssl_stream<beast::tcp_stream> stream(executor, client_tls_context());
    beast::get_lowest_layer(stream).expires_after(timeout);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
        out.error = "TLS: cannot set the server name";
        co_return out;
    }
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "connect: " + ec.message();
        co_return out;
    }
    co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "TLS handshake: " + ec.message();
        co_return out;
    }
    out = co_await exchange(stream, req);
    error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
}

}  // namespace redred::webhooks
