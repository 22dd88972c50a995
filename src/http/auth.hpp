// Accounts and sessions: who is asking. Session tokens (256 random bits) travel as an HttpOnly SameSite cookie
// for browsers, as `Authorization: Bearer` for API clients, and as `?token=` on WebSocket URLs; the database
// keeps only their hash. Cookie-authenticated state changes must come from our own origin (CSRF).
#pragma once
#include <optional>
#include <string>

#include "http/request_fields.hpp"
#include "http/router.hpp"
#include "store/database.hpp"
#include "store/store.hpp"

namespace redred::http_server {

inline constexpr std::string_view kSessionCookie = "redred_session";

struct AuthContext {
    AuthContext(store::Database& db, net::any_io_executor blocking_executor)
        : database(db), blocking(std::move(blocking_executor)) {}

    store::Database& database;
    net::any_io_executor blocking;  // a small thread pool for argon2id (never the I/O threads)
    std::chrono::seconds session_ttl{30 * 24 * 3600};
    bool secure_cookies = false;    // set the Secure attribute (behind HTTPS)
};

struct Identity {
    store::User user;
    bool via_cookie = false;
};

// The session token of a request: Bearer header, then cookie, then (if allowed) the `token` query parameter.
std::optional<std::string> session_token(const Request& req, bool allow_query, bool* via_cookie = nullptr);
net::awaitable<std::optional<Identity>> authenticate(const AuthContext& ctx, const Request& req, bool allow_query = false);

// Forbidden when a cookie-authenticated, state-changing request comes from another origin.
Result<Ok> check_same_origin(const Request& req, const Identity& identity);

// 401 unless signed in; 403 on a cross-site state change. On success `out` holds the user.
net::awaitable<std::optional<Response>> require_user(const AuthContext& ctx, const Request& req, Identity& out);

void add_auth_routes(Router& router, std::shared_ptr<AuthContext> ctx);

}  // namespace redred::http_server
