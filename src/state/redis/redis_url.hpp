// Where the Redis state backend connects: parsed once from the `redis://` URL in Config.
#pragma once
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace redred::state::redis {

// A Redis server address plus the AUTH and SELECT to send after connecting. Plain value type.
struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::string password;  // empty: no AUTH
    std::string username;  // Redis 6+ ACL user; empty: AUTH with the password only
};

// Parses `redis://[[user]:password@]host[:port][/db]`. Credentials may be percent-encoded; IPv6 hosts go in
// brackets (`redis://[::1]:6380`). Errors are BadInput with field "redis_url" and never echo the password.
Result<Endpoint> parse_redis_url(std::string_view url);

// "host:port/db" for logs and `doctor`; never includes credentials.
std::string endpoint_label(const Endpoint& endpoint);

}  // namespace redred::state::redis
