// HTTP message types shared by the server, router and handlers.
#pragma once
#include <functional>
#include <map>
#include <string>

#include "core/connection.hpp"
#include "core/net.hpp"

namespace redred::http_server {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using PathParams = std::map<std::string, std::string, std::less<>>;

// An ordinary handler: the session writes the response it returns.
using Handler = std::function<net::awaitable<Response>(const Request&, const PathParams&)>;
// A handler that takes the connection over (SSE, MJPEG, WebSocket) and owns it until it closes.
// `buffer` holds any bytes read past the request. The connection is plain TCP or TLS (Connection::is_tls()).
using StreamHandler = std::function<net::awaitable<void>(Connection, beast::flat_buffer, Request)>;

}  // namespace redred::http_server
