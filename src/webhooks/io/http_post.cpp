#include "webhooks/io/http_post.hpp"

namespace redred::webhooks {
namespace {
constexpr std::uint64_t kMaxReplyBytes = 64 * 1024;  // a receiver's answer is read and thrown away
}

net::awaitable<PostOutcome> post_json(WebhookUrl url, std::string body, Headers headers,
                                      std::chrono::milliseconds timeout) {
    PostOutcome out;
    if (url.tls) {
        out.error = "https:// is not supported by this build";
        co_return out;
    }
    auto executor = co_await net::this_coro::executor;
    error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "cannot resolve " + url.host + ": " + ec.message();
        co_return out;
    }
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);  // one deadline for connect, write and read together
    co_await stream.async_connect(endpoints, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "connect: " + ec.message();
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
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
}

}  // namespace redred::webhooks
