#include "http/auth.hpp"

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/async_db.hpp"
#include "http/error_response.hpp"
#include "live/validation.hpp"

namespace redred::http_server {
namespace {

using live::Clock;

auto logger() {
    return log::get("http");
}

std::string session_cookie(const AuthContext& ctx, std::string_view token, std::chrono::seconds max_age) {
    std::string c = std::string(kSessionCookie) + "=" + std::string(token) +
                    "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age.count());
    if (ctx.secure_cookies) c += "; Secure";
    return c;
}

nlohmann::json user_json(const store::User& u) {
    return {{"id", u.id}, {"username", u.username}, {"created_at", live::to_unix_seconds(u.created_at)}};
}

struct Credentials {
    std::string username;
    std::string password;
};

Result<Credentials> parse_credentials(const Request& req) {
    auto body = json_body(req);
    if (!body) return body.error();
    auto username = string_field(*body, "username");
    if (!username) return username.error();
    auto password = string_field(*body, "password");
    if (!password) return password.error();
    return Credentials{*username, *password};
}

net::awaitable<std::optional<std::string>> hash_on_pool(std::string password) {
    co_return crypto::hash_password(password);
}

net::awaitable<bool> verify_on_pool(std::string stored, std::string password) {
    co_return crypto::verify_password(stored, password);
}

// Issues a session for `user` and answers with it (cookie and body).
net::awaitable<Response> start_session(std::shared_ptr<AuthContext> ctx, store::User user, http::status status) {
    const std::string token = crypto::new_session_token();
    const auto now = Clock::now();
    const auto expires = now + ctx->session_ttl;
    auto hash = crypto::token_hash(token);
    auto create_session_job = [hash, user, now, expires](store::Store& s) -> Result<Ok> {
        s.create_session(hash, user.id, now, expires);
        return Ok{};
    };
    auto saved = co_await db::write<Ok>(ctx->database, create_session_job);
    if (!saved) co_return error_response(saved.error());
    auto res = json_response(
        status, {{"user", user_json(user)}, {"token", token}, {"expires_at", live::to_unix_seconds(expires)}});
    res.set(http::field::set_cookie, session_cookie(*ctx, token, ctx->session_ttl));
    co_return res;
}

net::awaitable<Response> handle_register(std::shared_ptr<AuthContext> ctx, const Request& req) {
    auto creds = parse_credentials(req);
    if (!creds) co_return error_response(creds.error());
    auto username = live::validate_username(creds->username);
    if (!username) co_return error_response(username.error());
    if (auto ok = live::validate_password(creds->password); !ok) co_return error_response(ok.error());
    auto hashing = hash_on_pool(creds->password);  // named: see http/async_db.hpp on GCC 12 and co_await
    auto hash = co_await net::co_spawn(ctx->blocking, std::move(hashing), use_awaitable);
    if (!hash) co_return error_response(make_error(Errc::Unavailable, "the server is out of memory, try again"));
    const auto now = Clock::now();
    std::string name = *username;
    std::string stored = *hash;
    auto create_user_job = [name, stored, now](store::Store& s) { return s.create_user(name, stored, now); };
    auto created = co_await db::write<store::User>(ctx->database, create_user_job);
    if (!created) co_return error_response(created.error());
    logger()->info("user registered id={} username={}", created->id, created->username);
    co_return co_await start_session(ctx, *created, http::status::created);
}

net::awaitable<Response> handle_login(std::shared_ptr<AuthContext> ctx, const Request& req) {
    auto creds = parse_credentials(req);
    if (!creds) co_return error_response(creds.error());
    std::string name = creds->username;
    auto find_credentials_job = [name](store::Store& s) -> Result<std::optional<store::Credentials>> {
        return s.find_credentials(name);
    };
    auto found = co_await db::read<std::optional<store::Credentials>>(ctx->database, find_credentials_job);
    if (!found) co_return error_response(found.error());
    // Unknown users cost the same argon2id verification, so timing does not tell which names exist.
    static const std::string kDummyHash = crypto::hash_password("redred-dummy-password").value_or("");
    const std::string stored = found->has_value() ? (*found)->password_hash : kDummyHash;
    auto verifying = verify_on_pool(stored, creds->password);
    const bool ok = co_await net::co_spawn(ctx->blocking, std::move(verifying), use_awaitable);
    if (!ok || !found->has_value())
        co_return error_response(make_error(Errc::Unauthenticated, "wrong username or password"));
    co_return co_await start_session(ctx, (*found)->user, http::status::ok);
}

net::awaitable<Response> handle_logout(std::shared_ptr<AuthContext> ctx, const Request& req) {
    bool via_cookie = false;
    auto token = session_token(req, false, &via_cookie);
    if (token) {
        Identity identity;
        auto who = co_await authenticate(*ctx, req);
        if (who) {
            if (auto same = check_same_origin(req, *who); !same) co_return error_response(same.error());
        }
        auto hash = crypto::token_hash(*token);
        auto delete_session_job = [hash](store::Store& s) -> Result<Ok> {
            s.delete_session(hash);
            return Ok{};
        };
        auto deleted = co_await db::write<Ok>(ctx->database, delete_session_job);
        if (!deleted) co_return error_response(deleted.error());
    }
    auto res = json_response(http::status::ok, {{"logged_out", true}});
    res.set(http::field::set_cookie, session_cookie(*ctx, "", std::chrono::seconds(0)));
    co_return res;
}

net::awaitable<Response> handle_me(std::shared_ptr<AuthContext> ctx, const Request& req) {
    auto who = co_await authenticate(*ctx, req);
    if (!who) co_return error_response(make_error(Errc::Unauthenticated, "not signed in"));
    co_return json_response(http::status::ok, {{"user", user_json(who->user)}});
}

}  // namespace

std::optional<std::string> session_token(const Request& req, bool allow_query, bool* via_cookie) {
    return session_token(req, kSessionCookie, allow_query, via_cookie);
}

net::awaitable<std::optional<Identity>> authenticate(const AuthContext& ctx, const Request& req, bool allow_query) {
    bool via_cookie = false;
    auto token = session_token(req, allow_query, &via_cookie);
    if (!token || token->empty() || token->size() > 256) co_return std::nullopt;
    auto hash = crypto::token_hash(*token);
    const auto now = Clock::now();
    auto find_session_user_job = [hash, now](store::Store& s) -> Result<std::optional<store::User>> {
        return s.find_session_user(hash, now);
    };
    auto user = co_await db::read<std::optional<store::User>>(ctx.database, find_session_user_job);
    if (!user || !user->has_value()) co_return std::nullopt;
    co_return Identity{**user, via_cookie};
}

Result<Ok> check_same_origin(const Request& req, const Identity& identity) {
    if (!identity.via_cookie) return Ok{};  // bearer tokens are not sent by browsers on their own
    const auto method = req.method();
    if (method == http::verb::get || method == http::verb::head || method == http::verb::options) return Ok{};
    const auto origin = req[http::field::origin];
    const auto host = req[http::field::host];
    if (!origin.empty()) {
        std::string_view o = origin;
        if (auto scheme = o.find("://"); scheme != std::string_view::npos) o.remove_prefix(scheme + 3);
        if (o != host) return make_error(Errc::Forbidden, "cross-site request refused (Origin does not match Host)");
        return Ok{};
    }
    // Browsers send Origin with every state-changing request; a cookie without one is not from our pages.
    return make_error(Errc::Forbidden, "request refused: a signed-in browser request must carry an Origin header");
}

net::awaitable<std::optional<Response>> require_user(const AuthContext& ctx, const Request& req, Identity& out) {
    auto who = co_await authenticate(ctx, req);
    if (!who) co_return error_response(make_error(Errc::Unauthenticated, "sign in first"));
    if (auto same = check_same_origin(req, *who); !same) co_return error_response(same.error());
    out = std::move(*who);
    co_return std::nullopt;
}

void add_auth_routes(Router& router, std::shared_ptr<AuthContext> ctx) {
    router.add(http::verb::post, "/api/auth/register/",
               [ctx](const Request& req, const PathParams&) { return handle_register(ctx, req); });
    router.add(http::verb::post, "/api/auth/login/",
               [ctx](const Request& req, const PathParams&) { return handle_login(ctx, req); });
    router.add(http::verb::post, "/api/auth/logout/",
               [ctx](const Request& req, const PathParams&) { return handle_logout(ctx, req); });
    router.add(http::verb::get, "/api/me/",
               [ctx](const Request& req, const PathParams&) { return handle_me(ctx, req); });
}

}  // namespace redred::http_server
