// The HTTP listener and its sessions: one coroutine per connection, on one of kConnectionStrands strands
// (core/connection.hpp), with limits set where the socket is made (header and body size, header/idle/write
// timeouts, a cap on open connections).
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/connection.hpp"
#include "core/metrics.hpp"
#include "core/net.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "http/tls.hpp"

namespace redred::http_server {

struct ServerLimits {
    std::size_t max_connections = 10000;
    std::size_t header_limit_bytes = 16 * 1024;
    std::size_t body_limit_bytes = 1024 * 1024;
    int header_timeout_ms = 10000;  // a client must send a whole request header within this
    int idle_timeout_ms = 30000;    // keep-alive connection with no request
    int write_timeout_ms = 15000;   // a response (or one feed frame) must be taken within this
};

class Server : public std::enable_shared_from_this<Server> {
public:
    // With `tls`, every connection is TLS (HTTPS and WSS on the same port; plain HTTP is refused).
    Server(net::io_context& io, tcp::endpoint endpoint, ServerLimits limits, const Router& router,
           const StaticFiles* static_files, Metrics& metrics, std::shared_ptr<TlsContext> tls = nullptr);

    tcp::endpoint local_endpoint() const { return local_endpoint_; }
    void start();  // begins accepting
    void stop();   // stops accepting; open sessions finish on their own

private:
    static net::awaitable<void> accept_loop(std::shared_ptr<Server> self);
    static net::awaitable<void> session(std::shared_ptr<Server> self, tcp::socket socket, StrandKey strand);
    net::awaitable<Response> dispatch(Request& req, bool& handled_as_stream, Connection& stream,
                                      beast::flat_buffer& buffer);

    tcp::acceptor acceptor_;
    std::vector<net::strand<net::io_context::executor_type>> connection_strands_;  // kConnectionStrands
    StrandKey first_strand_key_ = 0;  // connection_strands_[i] has key first_strand_key_ + i
    std::uint32_t next_strand_ = 0;   // acceptor's strand only
    tcp::endpoint local_endpoint_;
    ServerLimits limits_;
    const Router& router_;
    const StaticFiles* static_files_;
    Metrics& metrics_;
    std::shared_ptr<TlsContext> tls_;  // null: plain HTTP
    std::atomic<bool> stopped_{false};
};

}  // namespace redred::http_server
