#include "http/live_routes.hpp"

#include <charconv>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/async_db.hpp"
#include "http/error_response.hpp"
#include "live/permissions.hpp"
#include "live/validation.hpp"
#include "live/viewer_stats.hpp"
#include "ws/moderation_log.hpp"
#include "ws/protocol.hpp"
#include "ws/room_registry.hpp"

namespace redred::http_server {
namespace {

using live::Clock;
using live::Role;
using ws::Json;
using Ctx = std::shared_ptr<ws::LiveContext>;

auto logger() {
    return log::get("http");
}

}  // namespace

Result<live::StreamId> stream_id_param(const PathParams& params) {
    auto it = params.find("id");
    if (it == params.end()) return make_error(Errc::NotFound, "no such stream");
    live::StreamId id = 0;
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
        return make_error(Errc::NotFound, "no stream with id '" + text + "'");
    return id;
}

namespace {

Result<live::Page> page_of(const Request& req) {
    auto limit = query_param(req.target(), "limit");
    auto offset = query_param(req.target(), "offset");
    std::optional<std::string_view> l, o;
    if (limit) l = *limit;
    if (offset) o = *offset;
    return live::parse_page(l, o);
}

}  // namespace

net::awaitable<Result<store::StreamRow>> load_stream(const Ctx& ctx, live::StreamId id) {
    auto find_stream_job = [id](store::Store& s) -> Result<store::StreamRow> {
        auto row = s.find_stream(id);
        if (!row) return make_error(Errc::NotFound, "no stream with id " + std::to_string(id));
        return *row;
    };
    co_return co_await db::read<store::StreamRow>(ctx->database, find_stream_job);
}

namespace {

// The caller's role in a stream (Guest when not signed in).
net::awaitable<Role> role_in(const Ctx& ctx, const store::StreamRow& stream, const std::optional<Identity>& who) {
    if (!who) co_return Role::Guest;
    const auto id = stream.id;
    auto roles_job = [id](store::Store& s) -> Result<store::RoleLists> { return s.roles(id); };
    auto roles = co_await db::read<store::RoleLists>(ctx->database, roles_job);
    std::set<live::UserId> mods, vips;
    if (roles) {
        for (const auto& u : roles->moderators) mods.insert(u.id);
        for (const auto& u : roles->vips) vips.insert(u.id);
    }
    co_return live::role_of(who->user.id, stream.streamer_id, mods, vips, true);
}

Json roles_body(const store::RoleLists& roles) {
    Json mods = Json::array(), vips = Json::array();
    for (const auto& u : roles.moderators) mods.push_back(ws::user_json(u));
    for (const auto& u : roles.vips) vips.push_back(ws::user_json(u));
    return {{"moderators", mods}, {"vips", vips}};
}

net::awaitable<Response> create_stream(Ctx ctx, const Request& req) {
    Identity who;
    if (auto refused = co_await require_user(*ctx->auth, req, who)) co_return std::move(*refused);
    auto body = json_body(req);
    if (!body) co_return error_response(body.error());
    auto title_raw = string_field(*body, "title");
    if (!title_raw) co_return error_response(title_raw.error());
    auto description_raw = string_field(*body, "description", false);
    if (!description_raw) co_return error_response(description_raw.error());
    auto title = live::validate_title(*title_raw);
    if (!title) co_return error_response(title.error());
    auto description = live::validate_description(*description_raw);
    if (!description) co_return error_response(description.error());
    const auto now = Clock::now();
    const auto user = who.user.id;
    std::string t = *title, d = *description;
    auto create_stream_job = [user, t, d, now](store::Store& s) -> Result<store::StreamRow> {
        return s.create_stream(user, t, d, now);
    };
    auto row = co_await db::write<store::StreamRow>(ctx->database, create_stream_job);
    if (!row) co_return error_response(row.error());
    logger()->info("stream created id={} streamer={}", row->id, who.user.username);
    co_return json_response(http::status::created, {{"stream", ws::stream_json(*row)}});
}

net::awaitable<Response> list_streams(Ctx ctx, const Request& req) {
    std::optional<live::StreamStatus> status;
    if (auto s = query_param(req.target(), "status"); s && !s->empty()) {
        status = live::parse_status(*s);
        if (!status)
            co_return error_response(make_error(Errc::BadInput, "status must be waiting, live or ended", "status"));
    }
    auto page = page_of(req);
    if (!page) co_return error_response(page.error());
    const live::Page p = *page;
    auto list_streams_job = [status, p](store::Store& s) -> Result<std::pair<std::vector<store::StreamRow>, int>> {
        return std::make_pair(s.list_streams(status, p.limit, p.offset), s.count_streams(status));
    };
    auto rows = co_await db::read<std::pair<std::vector<store::StreamRow>, int>>(ctx->database, list_streams_job);
    if (!rows) co_return error_response(rows.error());
    Json results = Json::array();
    for (const auto& r : rows->first) results.push_back(ws::stream_json(r));
    co_return json_response(http::status::ok,
                            {{"results", results}, {"count", rows->second}, {"limit", p.limit}, {"offset", p.offset}});
}

net::awaitable<Response> recently_ended(Ctx ctx, const Request& req) {
    auto page = page_of(req);
    if (!page) co_return error_response(page.error());
    const int limit = page->limit;
    auto list_recently_ended_job = [limit](store::Store& s) -> Result<std::vector<store::StreamRow>> {
        return s.list_recently_ended(limit);
    };
    auto rows = co_await db::read<std::vector<store::StreamRow>>(ctx->database, list_recently_ended_job);
    if (!rows) co_return error_response(rows.error());
    Json results = Json::array();
    for (const auto& r : *rows) results.push_back(ws::stream_json(r));
    co_return json_response(http::status::ok, {{"results", results}, {"count", results.size()}});
}

net::awaitable<Response> get_stream(Ctx ctx, const PathParams& params) {
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    auto row = co_await load_stream(ctx, *id);
    if (!row) co_return error_response(row.error());
    if (auto room = ctx->rooms->find(*id)) {
        auto asking = ws::Room::facts(room);
        auto facts = co_await net::co_spawn(room->strand(), std::move(asking), use_awaitable);
        co_return json_response(http::status::ok, {{"stream", ws::stream_json(facts.stream)}});
    }
    co_return json_response(http::status::ok, {{"stream", ws::stream_json(*row)}});
}

}  // namespace

// Signs the caller in (401/403 as require_user), loads the stream named in the path (404), and checks that
// the caller's role there may do `action` (403). On success `stream` holds the row.
net::awaitable<std::optional<Response>> authorize(const Ctx& ctx, const Request& req, const PathParams& params,
                                                  live::Action action, store::StreamRow& stream, Identity* caller) {
    Identity who;
    if (auto refused = co_await require_user(*ctx->auth, req, who)) co_return refused;
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    auto row = co_await load_stream(ctx, *id);
    if (!row) co_return error_response(row.error());
    const Role role = co_await role_in(ctx, *row, who);
    if (auto ok = live::require(role, action); !ok) co_return error_response(ok.error());
    stream = std::move(*row);
    if (caller) *caller = who;
    co_return std::nullopt;
}

namespace {

net::awaitable<Response> end_stream(Ctx ctx, const Request& req, const PathParams& params) {
    store::StreamRow stream;
    if (auto refused = co_await authorize(ctx, req, params, live::Action::EndStream, stream))
        co_return std::move(*refused);
    if (stream.status == live::StreamStatus::Ended)
        co_return error_response(make_error(Errc::Conflict, "this stream has already ended"));
    const auto sid = stream.id;
    if (auto room = ctx->rooms->find(sid)) room->end("api");
    const auto now = Clock::now();
    auto set_stream_ended_job = [sid, now, hooks = ctx->webhooks](store::Store& s) -> Result<store::StreamRow> {
        // false when the room got there first: same outcome (and the room reported it)
        if (s.set_stream_ended(sid, now)) webhooks::record_stream_ended(s, hooks, sid, "api", now);
        return *s.find_stream(sid);
    };
    auto ended = co_await db::write<store::StreamRow>(ctx->database, set_stream_ended_job);
    if (!ended) co_return error_response(ended.error());
    // Processes holding the stream's clients end it too (with --redis; here the room did it already).
    if (ctx->bus && !ctx->rooms->find(sid)) ctx->rooms->publish(sid, ws::Room::ended_event(now, "api"));
    co_return json_response(http::status::ok, {{"stream", ws::stream_json(*ended)}});
}

net::awaitable<Response> list_comments(Ctx ctx, const Request& req, const PathParams& params) {
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    auto row = co_await load_stream(ctx, *id);
    if (!row) co_return error_response(row.error());
    auto page = page_of(req);
    if (!page) co_return error_response(page.error());
    const auto sid = *id;
    const live::Page p = *page;
    struct Listing {
        std::vector<store::CommentRow> comments;
        int count = 0;
        store::RoleLists roles;
    };
    auto list_comments_job = [sid, p](store::Store& s) -> Result<Listing> {
        return Listing{s.list_comments(sid, p.limit, p.offset), s.count_comments(sid), s.roles(sid)};
    };
    auto listing = co_await db::read<Listing>(ctx->database, list_comments_job);
    if (!listing) co_return error_response(listing.error());
    std::set<live::UserId> mods, vips;
    for (const auto& u : listing->roles.moderators) mods.insert(u.id);
    for (const auto& u : listing->roles.vips) vips.insert(u.id);
    Json results = Json::array();
    for (const auto& c : listing->comments) {
        Json j = ws::comment_json(c, live::role_of(c.user_id, row->streamer_id, mods, vips, true));
        j.erase("type");
        results.push_back(std::move(j));
    }
    co_return json_response(
        http::status::ok, {{"results", results}, {"count", listing->count}, {"limit", p.limit}, {"offset", p.offset}});
}

net::awaitable<Response> stream_stats(Ctx ctx, const PathParams& params) {
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    const auto sid = *id;
    struct Inputs {
        store::StreamRow stream;
        std::vector<store::ViewerSampleRow> samples;
        int comments = 0;
    };
    auto stats_inputs_job = [sid](store::Store& s) -> Result<Inputs> {
        auto row = s.find_stream(sid);
        if (!row) return make_error(Errc::NotFound, "no stream with id " + std::to_string(sid));
        return Inputs{*row, s.viewer_samples(sid), s.count_comments(sid)};
    };
    auto in = co_await db::read<Inputs>(ctx->database, stats_inputs_job);
    if (!in) co_return error_response(in.error());
    int current = in->stream.status == live::StreamStatus::Live ? in->stream.viewers_count : 0;
    int peak = in->stream.peak_viewers;
    if (auto room = ctx->rooms->find(sid)) {
        auto asking = ws::Room::facts(room);
        auto facts = co_await net::co_spawn(room->strand(), std::move(asking), use_awaitable);
        current = facts.viewers_count;
        peak = std::max(peak, facts.stream.peak_viewers);
    }
    std::vector<live::ViewerSample> samples;
    samples.reserve(in->samples.size());
    for (const auto& s : in->samples) samples.push_back(live::ViewerSample{s.at, s.viewers});
    auto stats = live::compute_stats(in->stream.started_at, in->stream.ended_at, Clock::now(), samples, current, peak,
                                     in->comments);
    Json body = stats;
    body.erase("duration_seconds");
    // The count holds until now (or the end): close the series there so a chart spans the whole live time.
    if (!body["series"].empty() && in->stream.started_at) {
        const double end = live::to_unix_seconds(in->stream.ended_at.value_or(Clock::now()));
        Json last = body["series"].back();
        if (last["at"].get<double>() < end) body["series"].push_back({{"at", end}, {"viewers", last["viewers"]}});
    }
    body["duration"] = stats.duration_seconds;
    body["stream_id"] = sid;
    body["status"] = live::status_name(in->stream.status);
    Json stream = ws::stream_json(in->stream);
    body["started_at"] = stream["started_at"];
    body["ended_at"] = stream["ended_at"];
    co_return json_response(http::status::ok, body);
}

net::awaitable<Response> stream_viewers(Ctx ctx, const Request& req, const PathParams& params) {
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    auto row = co_await load_stream(ctx, *id);
    if (!row) co_return error_response(row.error());
    auto who = co_await authenticate(*ctx->auth, req);
    const Role role = co_await role_in(ctx, *row, who);
    if (auto ok = live::require(role, live::Action::ViewViewerList); !ok) co_return error_response(ok.error());
    if (auto room = ctx->rooms->find(*id)) {
        auto asking = ws::Room::viewer_list(room);
        auto viewers = co_await net::co_spawn(room->strand(), std::move(asking), use_awaitable);
        co_return json_response(http::status::ok, viewers);
    }
    co_return json_response(http::status::ok, {{"viewers", Json::array()}, {"viewers_count", 0}});
}

net::awaitable<Response> get_roles(Ctx ctx, const PathParams& params) {
    auto id = stream_id_param(params);
    if (!id) co_return error_response(id.error());
    const auto sid = *id;
    auto stream_roles_job = [sid](store::Store& s) -> Result<store::RoleLists> {
        if (!s.find_stream(sid)) return make_error(Errc::NotFound, "no stream with id " + std::to_string(sid));
        return s.roles(sid);
    };
    auto roles = co_await db::read<store::RoleLists>(ctx->database, stream_roles_job);
    if (!roles) co_return error_response(roles.error());
    co_return json_response(http::status::ok, roles_body(*roles));
}

// POST /moderators/ {username}, DELETE /moderators/<username>/, and the same for vips. Recorded in the
// moderation log like the same change over the WebSocket.
net::awaitable<Response> change_role(Ctx ctx, const Request& req, const PathParams& params, bool moderator, bool add) {
    store::StreamRow stream;
    const auto action = moderator ? live::Action::AppointModerator : live::Action::GrantVip;
    Identity who;
    if (auto refused = co_await authorize(ctx, req, params, action, stream, &who)) co_return std::move(*refused);
    std::string username;
    if (add) {
        auto body = json_body(req);
        if (!body) co_return error_response(body.error());
        auto name = string_field(*body, "username");
        if (!name) co_return error_response(name.error());
        username = *name;
    } else {
        username = params.at("username");
    }
    const auto sid = stream.id;
    const auto streamer = stream.streamer_id;
    const auto now = Clock::now();
    auto find_user_job = [username, streamer](store::Store& s) -> Result<store::User> {
        auto user = s.find_user_by_name(username);
        if (!user) return make_error(Errc::NotFound, "no user named '" + username + "'", "username");
        if (user->id == streamer)
            return make_error(Errc::BadInput, "the streamer already has every permission", "username");
        return *user;
    };
    auto target = co_await db::read<store::User>(ctx->database, find_user_job);
    if (!target) co_return error_response(target.error());
    const auto user = target->id;
    auto roles = std::make_shared<store::RoleLists>();  // filled by the job, read once it committed
    ws::Room::ModerationChange change_role_job = [sid, user, now, moderator, add, roles](store::Store& s) -> Result<bool> {
        bool changed;
        if (moderator)
            changed = add ? s.add_moderator(sid, user, now) : s.remove_moderator(sid, user);
        else
            changed = add ? s.add_vip(sid, user, now) : s.remove_vip(sid, user);
        *roles = s.roles(sid);
        return changed;
    };
    store::ModerationActionRow entry;
    entry.stream_id = sid;
    entry.actor_id = who.user.id;
    entry.action = ws::Room::role_change_kind(moderator, add);
    entry.target_id = user;
    entry.created_at = now;
    auto recorded = co_await ws::Room::record_moderation_action(*ctx, entry, change_role_job);
    if (!recorded) co_return error_response(recorded.error());
    Json event = ws::Room::roles_event(*roles);
    if (recorded->has_value()) event["log"] = ws::moderation_action_json(**recorded);
    ctx->rooms->publish(sid, std::move(event));
    co_return json_response(http::status::ok, roles_body(*roles));
}

// GET /moderation/?limit=&offset=: the stream's moderation log, newest first, for its streamer and moderators.
net::awaitable<Response> moderation_log(Ctx ctx, const Request& req, const PathParams& params) {
    store::StreamRow stream;
    if (auto refused = co_await authorize(ctx, req, params, live::Action::ViewModerationLog, stream))
        co_return std::move(*refused);
    auto page = page_of(req);
    if (!page) co_return error_response(page.error());
    const auto sid = stream.id;
    const live::Page p = *page;
    using Listing = std::pair<std::vector<store::ModerationActionRow>, int>;
    auto list_job = [sid, p](store::Store& s) -> Result<Listing> {
        return std::make_pair(s.list_moderation_actions(sid, p.limit, p.offset), s.count_moderation_actions(sid));
    };
    auto listing = co_await db::read<Listing>(ctx->database, list_job);
    if (!listing) co_return error_response(listing.error());
    Json results = Json::array();
    for (const auto& row : listing->first) {
        Json j = ws::moderation_action_json(row);
        j.erase("type");
        results.push_back(std::move(j));
    }
    co_return json_response(
        http::status::ok, {{"results", results}, {"count", listing->second}, {"limit", p.limit}, {"offset", p.offset}});
}

net::awaitable<Response> rtc_config(Ctx ctx, const Request& req) {
    std::string name = "guest";
    if (!ctx->rtc.turn_urls.empty()) {
        auto who = co_await authenticate(*ctx->auth, req);
        if (who) name = who->user.username;
    }
    co_return json_response(http::status::ok, {{"iceServers", ice_servers(ctx->rtc, name)},
                                               {"ttl", ctx->rtc.turn_ttl_seconds},
                                               {"media", ctx->sfu ? "janus" : "p2p"}});
}

// The upgrade: checked as plain HTTP (404 for an unknown stream) before the socket becomes a WebSocket.
net::awaitable<void> open_stream_socket(Ctx ctx, Connection stream, Request req, live::StreamId id) {
    auto who = co_await authenticate(*ctx->auth, req, /*allow_query=*/true);
    auto room = co_await ctx->rooms->get(id);
    if (!room || !websocket::is_upgrade(req)) {
        auto res =
            room ? error_response(http::status::upgrade_required, "bad_input", "this endpoint speaks WebSocket only")
                 : error_response(room.error());
        res.keep_alive(false);
        res.prepare_payload();
        error_code ec;
        co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
        co_await finish(stream);
        co_return;
    }
    auto session = std::make_shared<ws::WsSession>(std::move(stream), ctx->ws_limits, ctx->metrics);
    std::optional<store::User> user;
    if (who) user = who->user;
    ws::WsHandler handler;
    std::weak_ptr<ws::Room> weak_room = *room;
    handler.on_open = [weak_room, user](std::shared_ptr<ws::WsSession> s) {
        if (auto r = weak_room.lock()) r->join(std::move(s), user);
    };
    // Messages and leaving go to the room registered now (a fresh room after an empty one was dropped).
    handler.on_message = [ctx, id](std::shared_ptr<ws::WsSession> s, std::string text) {
        if (auto r = ctx->rooms->find(id)) r->receive(s->id(), std::move(text));
    };
    handler.on_close = [ctx, id](std::shared_ptr<ws::WsSession> s) {
        if (auto r = ctx->rooms->find(id)) r->leave(s->id());
    };
    co_await ws::WsSession::run(session, std::move(req), std::move(handler));
}

}  // namespace

Json ice_servers(const ws::RtcConfig& rtc, const std::string& name) {
    Json servers = Json::array();
    if (!rtc.stun_urls.empty()) servers.push_back({{"urls", rtc.stun_urls}});
    if (!rtc.turn_urls.empty() && !rtc.turn_secret.empty()) {
        const auto expires = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count() +
                             rtc.turn_ttl_seconds;
        auto credential = crypto::turn_credential(rtc.turn_secret, name, expires);
        servers.push_back(
            {{"urls", rtc.turn_urls}, {"username", credential.username}, {"credential", credential.credential}});
    }
    return servers;
}

void add_live_routes(Router& router, Ctx ctx) {
    const auto get = http::verb::get, post = http::verb::post, del = http::verb::delete_;
    router.add(post, "/api/live/create/", [ctx](const Request& r, const PathParams&) { return create_stream(ctx, r); });
    router.add(get, "/api/live/", [ctx](const Request& r, const PathParams&) { return list_streams(ctx, r); });
    router.add(get, "/api/live/ended/recent/",
               [ctx](const Request& r, const PathParams&) { return recently_ended(ctx, r); });
    router.add(get, "/api/live/:id/", [ctx](const Request&, const PathParams& p) { return get_stream(ctx, p); });
    router.add(post, "/api/live/:id/end/",
               [ctx](const Request& r, const PathParams& p) { return end_stream(ctx, r, p); });
    router.add(get, "/api/live/:id/comments/",
               [ctx](const Request& r, const PathParams& p) { return list_comments(ctx, r, p); });
    router.add(get, "/api/live/:id/stats/",
               [ctx](const Request&, const PathParams& p) { return stream_stats(ctx, p); });
    router.add(get, "/api/live/:id/viewers/",
               [ctx](const Request& r, const PathParams& p) { return stream_viewers(ctx, r, p); });
    router.add(get, "/api/live/:id/moderation/",
               [ctx](const Request& r, const PathParams& p) { return moderation_log(ctx, r, p); });
    router.add(get, "/api/live/:id/roles/", [ctx](const Request&, const PathParams& p) { return get_roles(ctx, p); });
    router.add(post, "/api/live/:id/moderators/",
               [ctx](const Request& r, const PathParams& p) { return change_role(ctx, r, p, true, true); });
    router.add(del, "/api/live/:id/moderators/:username/",
               [ctx](const Request& r, const PathParams& p) { return change_role(ctx, r, p, true, false); });
    router.add(post, "/api/live/:id/vips/",
               [ctx](const Request& r, const PathParams& p) { return change_role(ctx, r, p, false, true); });
    router.add(del, "/api/live/:id/vips/:username/",
               [ctx](const Request& r, const PathParams& p) { return change_role(ctx, r, p, false, false); });
    router.add(get, "/api/rtc/config", [ctx](const Request& r, const PathParams&) { return rtc_config(ctx, r); });
    router.add_stream(get, "/ws/live/:id/",
                      [ctx](Connection stream, beast::flat_buffer, Request req) -> net::awaitable<void> {
                          return [](Ctx c, Connection s, Request r) -> net::awaitable<void> {
                              const std::string target(r.target());
                              const auto path = target.substr(0, target.find('?'));
                              auto segments = split_path(path);
                              PathParams params{{"id", segments.size() >= 3 ? segments[2] : ""}};
                              auto id = stream_id_param(params);
                              if (!id) {
                                  auto res = error_response(id.error(), 11, false);
                                  error_code ec;
                                  co_await http::async_write(s, res, net::redirect_error(use_awaitable, ec));
                                  co_return;
                              }
                              co_await open_stream_socket(c, std::move(s), std::move(r), *id);
                          }(ctx, std::move(stream), std::move(req));
                      });
}

}  // namespace redred::http_server
