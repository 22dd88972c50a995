#include "http/media_routes.hpp"

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/async_db.hpp"
#include "http/auth.hpp"
#include "http/error_response.hpp"
#include "http/live_routes.hpp"
#include "media/sdp.hpp"
#include "ws/room_registry.hpp"

namespace redred::http_server {
namespace {

using Ctx = std::shared_ptr<ws::LiveContext>;
using ws::Json;

auto logger() {
    return log::get("http");
}

constexpr std::string_view kSdpType = "application/sdp";
constexpr std::string_view kFragmentType = "application/trickle-ice-sdpfrag";

// WHIP and WHEP clients may be web pages on other origins (RFC 9725 §4.1): open CORS on these paths. The
// stream key travels in Authorization, never in a cookie, so this opens nothing a cookie would guard.
void allow_cross_origin(Response& res) {
    res.set(http::field::access_control_allow_origin, "*");
    res.set(http::field::access_control_expose_headers, "Location, Link, ETag, Accept-Patch");
}

Response with_cors(Response res) {
    allow_cross_origin(res);
    return res;
}

Response preflight() {
    Response res{http::status::no_content, 11};
    allow_cross_origin(res);
    res.set(http::field::access_control_allow_methods, "POST, PATCH, DELETE, OPTIONS");
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type, If-Match");
    res.set(http::field::access_control_max_age, "86400");
    res.set(http::field::accept_post, kSdpType);
    return res;
}

bool has_content_type(const Request& req, std::string_view type) {
    auto value = req[http::field::content_type];
    auto semicolon = value.find(';');
    auto bare = value.substr(0, semicolon);
    while (!bare.empty() && bare.back() == ' ') bare.remove_suffix(1);
    return bare.size() == type.size() &&
           std::equal(bare.begin(), bare.end(), type.begin(), [](char a, char b) { return std::tolower(a) == b; });
}

std::optional<std::string> bearer(const Request& req) {
    auto value = req[http::field::authorization];
    constexpr std::string_view kPrefix = "Bearer ";
    if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    return std::string(value.substr(kPrefix.size()));
}

// `Link: <url>; rel="ice-server"` per STUN/TURN URL (RFC 9725 §4.6), with TURN credentials.
void add_ice_links(Response& res, const ws::RtcConfig& rtc, const std::string& name) {
    auto quote = [](const std::string& s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        return out + "\"";
    };
    for (const auto& server : ice_servers(rtc, name)) {
        const auto urls = server["urls"];
        for (const auto& url : urls) {
            std::string link = "<" + url.get<std::string>() + ">; rel=\"ice-server\"";
            if (server.contains("username"))
                link += "; username=" + quote(server["username"].get<std::string>()) +
                        "; credential=" + quote(server["credential"].get<std::string>()) +
                        "; credential-type=\"password\"";
            res.insert(http::field::link, link);
        }
    }
}

Response created(const std::string& kind, live::StreamId id, const ws::MediaSessionAnswer& answer, const Ctx& ctx) {
    Response res{http::status::created, 11};
    allow_cross_origin(res);
    res.set(http::field::content_type, kSdpType);
    res.set(http::field::location, "/" + kind + "/" + std::to_string(id) + "/" + answer.session);
    res.set(http::field::etag, "\"" + answer.session + "\"");
    res.set(http::field::accept_patch, kFragmentType);
    add_ice_links(res, ctx->rtc, kind == "whip" ? "whip" : "guest");
    res.body() = answer.sdp;
    return res;
}

Error not_janus(const char* what) {
    return make_error(Errc::Conflict,
                      std::string(what) + " needs --media janus: this server sends media peer-to-peer");
}

// The checks WHIP and WHEP POSTs share: the media mode, the content type, the stream; then the room.
net::awaitable<Result<std::shared_ptr<ws::Room>>> room_for_offer(const Ctx& ctx, const Request& req,
                                                                 const PathParams& params, const char* what) {
    if (!ctx->sfu) co_return not_janus(what);
    if (!has_content_type(req, kSdpType))
        co_return make_error(Errc::BadInput, "Content-Type must be application/sdp (the body is an SDP offer)");
    auto id = stream_id_param(params);
    if (!id) co_return id.error();
    auto room = co_await ctx->rooms->get(*id);
    co_return room;
}

template <class T, class Job>
net::awaitable<Result<T>> on_room(std::shared_ptr<ws::Room> room, Job job) {
    co_return co_await net::co_spawn(room->strand(), std::move(job), use_awaitable);
}

// ---- stream key ----

net::awaitable<Response> get_key(Ctx ctx, const Request& req, const PathParams& params) {
    store::StreamRow stream;
    if (auto refused = co_await authorize(ctx, req, params, live::Action::StartStream, stream))
        co_return std::move(*refused);
    const auto sid = stream.id;
    auto find_key_job = [sid](store::Store& s) -> Result<std::optional<store::StreamKeyRow>> {
        return s.find_stream_key(sid);
    };
    auto key = co_await db::read<std::optional<store::StreamKeyRow>>(ctx->database, find_key_job);
    if (!key) co_return error_response(key.error());
    co_return json_response(http::status::ok,
                            {{"has_key", key->has_value()},
                             {"whip_url", "/whip/" + std::to_string(sid)},
                             {"media", ctx->sfu ? "janus" : "p2p"},
                             {"created_at", key->has_value() ? Json(live::to_unix_seconds((*key)->created_at)) : Json()}});
}

net::awaitable<Response> new_key(Ctx ctx, const Request& req, const PathParams& params) {
    store::StreamRow stream;
    if (auto refused = co_await authorize(ctx, req, params, live::Action::StartStream, stream))
        co_return std::move(*refused);
    if (!ctx->sfu) co_return error_response(not_janus("A stream key (WHIP)"));
    if (stream.status == live::StreamStatus::Ended)
        co_return error_response(make_error(Errc::Conflict, "this stream has ended"));
    const std::string key = crypto::new_session_token();
    const std::string hash = crypto::token_hash(key);
    const auto sid = stream.id;
    const auto now = live::Clock::now();
    auto set_key_job = [sid, hash, now](store::Store& s) -> Result<Ok> {
        s.set_stream_key(sid, hash, now);
        return Ok{};
    };
    auto saved = co_await db::write<Ok>(ctx->database, set_key_job);
    if (!saved) co_return error_response(saved.error());
    logger()->info("stream key made stream={}", sid);
    co_return json_response(http::status::created, {{"stream_key", key},
                                                    {"whip_url", "/whip/" + std::to_string(sid)},
                                                    {"created_at", live::to_unix_seconds(now)}});
}

// ---- WHIP ----

net::awaitable<Response> whip_post(Ctx ctx, const Request& req, const PathParams& params) {
    auto room = co_await room_for_offer(ctx, req, params, "WHIP");
    if (!room) co_return with_cors(error_response(room.error()));
    const auto sid = (*room)->id();
    auto key = bearer(req);
    if (!key) co_return with_cors(error_response(make_error(Errc::Unauthenticated, "WHIP needs Authorization: Bearer <stream key>")));
    auto find_key_job = [sid](store::Store& s) -> Result<std::optional<store::StreamKeyRow>> {
        return s.find_stream_key(sid);
    };
    auto stored = co_await db::read<std::optional<store::StreamKeyRow>>(ctx->database, find_key_job);
    if (!stored) co_return with_cors(error_response(stored.error()));
    if (!stored->has_value() || !crypto::equal_constant_time((*stored)->key_hash, crypto::token_hash(*key)))
        co_return with_cors(error_response(make_error(Errc::Unauthenticated, "wrong stream key for this stream")));
    auto job = ws::Room::whip_publish(*room, req.body());
    auto answer = co_await on_room<ws::MediaSessionAnswer>(*room, std::move(job));
    if (!answer) co_return with_cors(error_response(answer.error()));
    logger()->info("whip session started stream={} session={}", sid, answer->session);
    co_return created("whip", sid, *answer, ctx);
}

// PATCH and DELETE on /whip|whep/<id>/<session>: the session id (128 random bits) is the capability.
net::awaitable<Response> session_request(Ctx ctx, const Request& req, const PathParams& params, bool whip, bool remove) {
    const char* what = whip ? "WHIP" : "WHEP";
    if (!ctx->sfu) co_return with_cors(error_response(not_janus(what)));
    auto id = stream_id_param(params);
    if (!id) co_return with_cors(error_response(id.error()));
    auto room = ctx->rooms->find(*id);
    const std::string session = params.at("session");
    if (!room) co_return with_cors(error_response(make_error(Errc::NotFound, std::string("no such ") + what + " session")));
    if (remove) {
        auto job = whip ? ws::Room::whip_stop(room, session) : ws::Room::whep_stop(room, session);
        auto done = co_await on_room<Ok>(room, std::move(job));
        if (!done) co_return with_cors(error_response(done.error()));
        logger()->info("{} session ended stream={} session={}", whip ? "whip" : "whep", *id, session);
        co_return with_cors(json_response(http::status::ok, {{"ended", true}}));
    }
    if (!has_content_type(req, kFragmentType))
        co_return with_cors(error_response(
            make_error(Errc::BadInput, "Content-Type must be application/trickle-ice-sdpfrag")));
    auto fragment = media::sdp::parse_fragment(req.body());
    if (!fragment) co_return with_cors(error_response(fragment.error()));
    auto job = whip ? ws::Room::whip_trickle(room, session, std::move(*fragment))
                    : ws::Room::whep_trickle(room, session, std::move(*fragment));
    auto done = co_await on_room<Ok>(room, std::move(job));
    if (!done) co_return with_cors(error_response(done.error()));
    co_return with_cors(Response{http::status::no_content, 11});
}

// ---- WHEP ----

net::awaitable<Response> whep_post(Ctx ctx, const Request& req, const PathParams& params) {
    auto room = co_await room_for_offer(ctx, req, params, "WHEP");
    if (!room) co_return with_cors(error_response(room.error()));
    const auto sid = (*room)->id();
    auto job = ws::Room::whep_play(*room, req.body());
    auto answer = co_await on_room<ws::MediaSessionAnswer>(*room, std::move(job));
    if (!answer) co_return with_cors(error_response(answer.error()));
    logger()->info("whep session started stream={} session={}", sid, answer->session);
    co_return created("whep", sid, *answer, ctx);
}

}  // namespace

void add_media_routes(Router& router, std::shared_ptr<ws::LiveContext> ctx) {
    const auto get = http::verb::get, post = http::verb::post, patch = http::verb::patch, del = http::verb::delete_,
               options = http::verb::options;
    router.add(get, "/api/live/:id/key/", [ctx](const Request& r, const PathParams& p) { return get_key(ctx, r, p); });
    router.add(post, "/api/live/:id/key/", [ctx](const Request& r, const PathParams& p) { return new_key(ctx, r, p); });
    for (const char* kind : {"whip", "whep"}) {
        const bool whip = std::string_view(kind) == "whip";
        const std::string base = std::string("/") + kind + "/:id";
        const std::string session = base + "/:session";
        auto cors = [](const Request&, const PathParams&) -> net::awaitable<Response> {
            return []() -> net::awaitable<Response> { co_return preflight(); }();
        };
        router.add(options, base, cors);
        router.add(options, session, cors);
        if (whip)
            router.add(post, base, [ctx](const Request& r, const PathParams& p) { return whip_post(ctx, r, p); });
        else
            router.add(post, base, [ctx](const Request& r, const PathParams& p) { return whep_post(ctx, r, p); });
        router.add(patch, session,
                   [ctx, whip](const Request& r, const PathParams& p) { return session_request(ctx, r, p, whip, false); });
        router.add(del, session,
                   [ctx, whip](const Request& r, const PathParams& p) { return session_request(ctx, r, p, whip, true); });
    }
}

}  // namespace redred::http_server
