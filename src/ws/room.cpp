#include "ws/room.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "http/async_db.hpp"
#include "live/chat_rules.hpp"
#include "live/stream_lifecycle.hpp"
#include "ws/moderation_log.hpp"
#include "webhooks/moderation_event.hpp"
#include "ws/room_registry.hpp"

namespace redred::ws {
namespace {

using live::Action;
using live::Clock;
using live::Role;
using PresenceOp = state::redis::LiveBus::PresenceOp;

// How long an event may take to come back from Redis before this process applies it by itself.
constexpr auto kEchoTimeout = std::chrono::seconds(2);

auto logger() {
    return log::get("ws");
}

void log_if_thrown(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        logger()->error("room task failed error={}", ex.what());
    }
}

Json permissions_json(Role role) {
    Json list = Json::array();
    for (auto action : live::kAllActions)
        if (live::can(role, action)) list.push_back(live::action_name(action));
    return list;
}

std::optional<std::uint64_t> connection_field(const Json& msg, const char* name) {
    auto it = msg.find(name);
    if (it == msg.end() || !it->is_number_integer() || it->get<long long>() <= 0) return std::nullopt;
    return it->get<std::uint64_t>();
}

std::int64_t to_unix_ms(live::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
live::TimePoint from_unix_ms(std::int64_t ms) {
    return live::TimePoint(std::chrono::milliseconds(ms));
}

// Who is on a connection, as room events and the cluster's presence hash carry it.
Json viewer_value(const live::Viewer& v) {
    return {{"u", v.user ? Json(*v.user) : Json(nullptr)}, {"n", v.username}, {"r", live::role_name(v.role)}};
}
std::optional<live::Viewer> parse_viewer(const Json& j) {
    if (!j.is_object()) return std::nullopt;
    auto role = live::parse_role(j.value("r", ""));
    if (!role) return std::nullopt;
    live::Viewer v;
    if (auto u = j.find("u"); u != j.end() && u->is_number_integer()) v.user = u->get<live::UserId>();
    v.username = j.value("n", "");
    v.role = *role;
    return v;
}

Json users_value(const std::vector<store::User>& users) {
    Json out = Json::array();
    for (const auto& u : users) out.push_back(Json::array({u.id, u.username}));
    return out;
}
std::vector<store::User> parse_users(const Json& j) {
    std::vector<store::User> out;
    if (!j.is_array()) return out;
    for (const auto& pair : j)
        if (pair.is_array() && pair.size() == 2 && pair[0].is_number_integer() && pair[1].is_string())
            out.push_back(store::User{pair[0].get<live::UserId>(), pair[1].get<std::string>(), {}});
    return out;
}

std::uint64_t event_connection(const Json& event, const char* field) {
    auto it = event.find(field);
    return it != event.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

Room::Room(LiveContext& ctx, store::StreamRow stream, store::RoleLists roles, std::vector<store::SanctionRow> sanctions)
    : ctx_(ctx),
      stream_id_(stream.id),
      strand_(net::make_strand(ctx.io)),
      stream_(std::move(stream)),
      presence_(stream_.peak_viewers),
      chat_limiter_(ctx.chat.burst, ctx.chat.per_second),
      grace_timer_(strand_),
      bus_(ctx.bus),
      synced_(!ctx.bus),
      synced_signal_(strand_),
      pass_timer_(strand_),
      update_timer_(strand_) {
    apply_roles(std::move(roles));
    if (ctx_.sfu) media_ = std::make_unique<RoomMedia>(*this, ctx_.sfu, ctx_.metrics);
    add_stored_sanctions(sanctions);
    ended_ = end_applied_ = stream_.status == live::StreamStatus::Ended;
}

void Room::add_stored_sanctions(const std::vector<store::SanctionRow>& rows) {
    for (const auto& s : rows)
        sanctions_.add(live::Sanction{
            s.user_id, s.kind == store::SanctionKind::Kick ? live::SanctionKind::Kick : live::SanctionKind::Timeout,
            s.until});
}

void Room::start(std::shared_ptr<Room> self) {
    if (!self->bus_) return;
    auto strand = self->strand_;
    net::co_spawn(strand, sync(std::move(self), false), log_if_thrown);
}

void Room::join(std::shared_ptr<WsSession> session, std::optional<store::User> user) {
    net::co_spawn(strand_, do_join(shared_from_this(), std::move(session), std::move(user)), log_if_thrown);
}

void Room::leave(std::uint64_t connection_id) {
    net::co_spawn(strand_, do_leave(shared_from_this(), connection_id), log_if_thrown);
}

void Room::receive(std::uint64_t connection_id, std::string text) {
    net::co_spawn(strand_, do_receive(shared_from_this(), connection_id, std::move(text)), log_if_thrown);
}

void Room::end(std::string reason) {
    net::co_spawn(strand_, do_end(shared_from_this(), std::move(reason)), log_if_thrown);
}

void Room::on_media_server(bool up) {
    net::post(strand_, [self = shared_from_this(), up] {
        if (self->media_) self->media_->on_server_state(up);
    });
}

void Room::release_if_unused() {
    net::post(strand_, [self = shared_from_this()] { self->forget_if_unused(); });
}

store::ModerationKind Room::role_change_kind(bool moderator, bool add) {
    if (moderator) return add ? store::ModerationKind::AddModerator : store::ModerationKind::RemoveModerator;
    return add ? store::ModerationKind::AddVip : store::ModerationKind::RemoveVip;
}

Json Room::roles_event(const store::RoleLists& roles) {
    return {{"k", "roles"}, {"moderators", users_value(roles.moderators)}, {"vips", users_value(roles.vips)}};
}

Json Room::ended_event(live::TimePoint at, const std::string& reason) {
    return {{"k", "ended"}, {"at", to_unix_ms(at)}, {"reason", reason}};
}

// ---- Events: one path for every change clients see, on one process or many ----

void Room::on_event(std::uint32_t origin, std::uint64_t seq, Json body) {
    net::post(strand_, [self = shared_from_this(), origin, seq, body = std::move(body)]() mutable {
        if (!self->synced_) {
            self->early_.emplace_back(origin, seq, std::move(body));
            return;
        }
        self->handle_event(origin, seq, body);
    });
}

void Room::handle_event(std::uint32_t origin, std::uint64_t seq, const Json& body) {
    if (bus_ && origin == bus_->tag()) {
        if (auto it = pending_.find(seq); it != pending_.end()) {
            auto waiter = it->second;
            pending_.erase(it);
            apply(body);
            waiter->cancel();  // emit() returns
            return;
        }
        if (applied_early_.erase(seq)) return;  // applied when Redis was away; this is its late echo
    }
    if (body.value("k", "") == "resync") {
        // Another process is back from a lost link and restored its connections: read them again.
        if (!bus_ || origin == bus_->tag()) return;
        net::co_spawn(strand_, sync(shared_from_this(), false), log_if_thrown);
        return;
    }
    apply(body);
}

void Room::on_bus_link(bool up) {
    net::post(strand_, [self = shared_from_this(), up] {
        if (!up) {
            // Our own events will not come back: emit() applies each here, in order.
            for (auto& [seq, waiter] : self->pending_) waiter->cancel();
            return;
        }
        self->applied_early_.clear();
        auto strand = self->strand_;
        net::co_spawn(strand, sync(self, true), log_if_thrown);
    });
}

void Room::on_instance_gone(std::uint32_t tag) {
    net::post(strand_, [self = shared_from_this(), tag] {
        std::vector<std::uint64_t> gone;
        for (const auto& [connection, viewer] : self->presence_.connections())
            if (connection_tag(connection) == tag) gone.push_back(connection);
        for (auto c : gone) self->apply_leave(c);
        if (gone.empty() || !self->bus_) return;
        logger()->info("connections of a gone process left stream={} count={}", self->stream_id_, gone.size());
        auto forget = [](std::shared_ptr<state::redis::LiveBus> bus, live::StreamId id,
                         std::vector<std::uint64_t> connections) -> net::awaitable<void> {
            co_await bus->forget_connections(id, std::move(connections));
        };
        net::co_spawn(self->strand_, forget(self->bus_, self->stream_id_, std::move(gone)), log_if_thrown);
    });
}

net::awaitable<void> Room::wait_synced() {
    while (!synced_) {
        synced_signal_.expires_at(net::steady_timer::time_point::max());
        error_code ec;
        co_await synced_signal_.async_wait(net::redirect_error(use_awaitable, ec));
    }
}

net::awaitable<void> Room::sync(std::shared_ptr<Room> self, bool restore_mine) {
    self->synced_ = false;
    const auto id = self->stream_id_;
    const auto mine_tag = self->bus_->tag();
    net::steady_timer retry(self->strand_);
    for (int attempt = 0; restore_mine && attempt < 20; ++attempt) {
        std::vector<state::redis::PresenceEntry> mine;
        for (const auto& [connection, viewer] : self->presence_.connections())
            if (connection_tag(connection) == mine_tag) mine.push_back({connection, viewer_value(viewer).dump()});
        if (co_await self->bus_->restore_presence(id, std::move(mine))) break;
        retry.expires_after(std::chrono::milliseconds(250));  // Redis is still coming back
        co_await retry.async_wait(use_awaitable);
    }
    if (restore_mine) {
        // Back from a lost link: this process's connections were put back above (its joins and leaves of the
        // outage reached nobody); reread roles and sanctions (other processes' changes did not reach us).
        const auto now = Clock::now();
        auto reload_job = [id, now](store::Store& s) -> Result<std::pair<store::RoleLists, std::vector<store::SanctionRow>>> {
            return std::make_pair(s.roles(id), s.active_sanctions(id, now));
        };
        auto reloaded = co_await db::read<std::pair<store::RoleLists, std::vector<store::SanctionRow>>>(
            self->ctx_.database, reload_job);
        if (reloaded) {
            self->apply_roles(std::move(reloaded->first));
            self->add_stored_sanctions(reloaded->second);
            self->broadcast(serialize(self->roles_json()));
        }
    }
    auto snapshot = co_await self->bus_->presence(id);
    for (int attempt = 0; !snapshot && restore_mine && attempt < 20; ++attempt) {
        retry.expires_after(std::chrono::milliseconds(250));
        co_await retry.async_wait(use_awaitable);
        snapshot = co_await self->bus_->presence(id);
    }
    if (snapshot) {
        // This process's own connections are known here; everyone else's come from Redis.
        live::Presence fresh(self->presence_.peak_viewers());
        for (const auto& [connection, viewer] : self->presence_.connections())
            if (connection_tag(connection) == mine_tag) fresh.join(connection, viewer);
        for (const auto& entry : snapshot->entries) {
            if (connection_tag(entry.connection) == mine_tag) continue;  // stale: not open here
            if (auto viewer = parse_viewer(Json::parse(entry.value, nullptr, false)))
                fresh.join(entry.connection, *viewer);
        }
        const bool changed = fresh.viewers_count() != self->presence_.viewers_count();
        self->presence_ = std::move(fresh);
        if (snapshot->streamer_left_ms && !self->streamer())
            self->streamer_last_seen_ = from_unix_ms(*snapshot->streamer_left_ms);
        if (changed || restore_mine) self->schedule_viewers_update();
    } else {
        logger()->warn("cluster presence unavailable stream={} error={}: this process's connections only", id,
                       snapshot.error().message);
    }
    self->synced_ = true;
    auto early = std::move(self->early_);
    self->early_.clear();
    for (const auto& [origin, seq, body] : early) self->handle_event(origin, seq, body);  // in order, before newer
    self->synced_signal_.cancel();
    if (restore_mine) {
        Json resync{{"k", "resync"}};
        const auto seq = self->bus_->next_seq();
        co_await self->bus_->publish(id, seq, resync);
    }
}

net::awaitable<void> Room::emit(Json event, PresenceWrite write, std::uint64_t connection) {
    if (!bus_) {
        apply(event);
        co_return;
    }
    const auto seq = bus_->next_seq();
    auto waiter = std::make_shared<net::steady_timer>(strand_, net::steady_timer::time_point::max());
    pending_[seq] = waiter;
    const bool link_up = bus_->link_up();
    PresenceOp op = PresenceOp::None;
    std::string value;
    if (write == PresenceWrite::Add) {
        op = PresenceOp::Add;
        value = event["v"].dump();
    } else if (write == PresenceWrite::Remove) {
        op = PresenceOp::Remove;
    } else if (write == PresenceWrite::RemoveStreamer) {
        op = PresenceOp::RemoveStreamer;
    }
    const bool sent = co_await bus_->publish(stream_id_, seq, event, op, connection, value);
    if (sent && link_up && pending_.count(seq)) {
        waiter->expires_after(kEchoTimeout);
        error_code ec;
        co_await waiter->async_wait(net::redirect_error(use_awaitable, ec));
    }
    if (auto it = pending_.find(seq); it != pending_.end()) {
        // Not back from Redis (down, or our subscription is): apply it here so this process's clients see it.
        pending_.erase(it);
        if (sent && applied_early_.size() < 100000) applied_early_.insert(seq);
        apply(event);
    }
}

void Room::apply(const Json& event) {
    const std::string kind = event.value("k", "");
    if (kind == "join") {
        if (auto viewer = parse_viewer(event.value("v", Json())))
            apply_join(event_connection(event, "c"), *viewer);
    } else if (kind == "leave") {
        apply_leave(event_connection(event, "c"));
    } else if (kind == "say") {
        // Everyone but the sender gets one shared frame; the sender gets its acknowledgement with its ref.
        const auto sender = event_connection(event, "from");
        std::vector<std::uint64_t> except;
        if (sender) except.push_back(sender);
        broadcast(serialize(event["m"]), std::move(except));
        if (sender && is_local(sender)) {
            Json ack = event["m"];
            if (auto ref = event.find("ref"); ref != event.end() && !ref->is_null()) ack["ref"] = *ref;
            send(sender, ack);
        }
    } else if (kind == "timeout") {
        const auto user = event.value("u", live::UserId{0});
        sanctions_.add(live::Sanction{user, live::SanctionKind::Timeout,
                                      from_unix_ms(event.value("until", std::int64_t{0}))});
        broadcast(serialize(event["m"]));
        if (auto notice = event.find("notice"); notice != event.end()) {  // the user's own copy, with the reason
            auto frame = serialize(*notice);
            for (auto& [c, m] : members_)
                if (m.user && m.user->id == user) send_message(c, frame);
        }
    } else if (kind == "kick") {
        apply_kick(event);
    } else if (kind == "warn") {
        apply_warn(event);
    } else if (kind == "roles") {
        apply_roles(store::RoleLists{parse_users(event.value("moderators", Json())),
                                     parse_users(event.value("vips", Json()))});
        broadcast(serialize(roles_json()));
    } else if (kind == "signal") {
        const auto to = event_connection(event, "to");
        if (is_local(to)) send(to, event["m"]);
    } else if (kind == "live") {
        if (stream_.status == live::StreamStatus::Waiting) {
            stream_.status = live::StreamStatus::Live;
            stream_.started_at = from_unix_ms(event.value("at", std::int64_t{0}));
        }
    } else if (kind == "ended") {
        apply_ended(event);
    }
    // A recorded moderation action: the streamer's and moderators' moderation log, live.
    if (auto log = event.find("log"); log != event.end() && log->is_object()) send_to_moderators(serialize(*log));
}

void Room::apply_join(std::uint64_t connection, const live::Viewer& viewer) {
    if (viewer.role == Role::Streamer) {
        // One streamer connection per stream, wherever it is: the newest (in event order) replaces the others.
        for (auto old : presence_.streamer_connections()) {
            if (old == connection || !is_local(old)) continue;
            Json replaced = error_json(make_error(Errc::Conflict, "this stream was opened in another window"));
            replaced["error"] = "replaced";
            send(old, replaced);
            close_member(old, kCloseReplaced, "replaced by a newer connection");
        }
    }
    auto change = presence_.join(connection, viewer);
    if (!change.applied) return;
    if (bus_ && connection_tag(connection) != bus_->tag()) bus_->watch_tag(connection_tag(connection));
    if (viewer.role == Role::Streamer) end_grace(connection);
    if (viewer.role != Role::Streamer) {
        auto s = streamer();
        if (s && is_local(*s) && members_[*s].established)
            send(*s, {{"type", "user_joined"},
                      {"connection_id", connection},
                      {"username", viewer.user ? Json(viewer.username) : Json(nullptr)},
                      {"role", live::role_name(viewer.role)}});
    }
    if (change.count_changed || change.peak_changed) schedule_viewers_update();
}

void Room::apply_leave(std::uint64_t connection) {
    auto viewer = presence_.viewer_on(connection);
    if (!viewer) return;
    auto change = presence_.leave(connection);
    if (viewer->role == Role::Streamer) {
        if (!streamer()) {
            streamer_last_seen_ = Clock::now();
            begin_grace(*streamer_last_seen_);
        }
    } else if (auto s = streamer(); s && is_local(*s)) {
        send(*s, {{"type", "user_left"},
                  {"connection_id", connection},
                  {"username", viewer->user ? Json(viewer->username) : Json(nullptr)}});
    }
    if (change.count_changed) schedule_viewers_update();
}

void Room::apply_kick(const Json& event) {
    const auto user = event.value("u", live::UserId{0});
    sanctions_.add(live::Sanction{user, live::SanctionKind::Kick, from_unix_ms(event.value("until", std::int64_t{0}))});
    auto notice = serialize(event["notice"]);
    std::vector<std::uint64_t> kicked;
    for (auto& [c, m] : members_)
        if (m.user && m.user->id == user) kicked.push_back(c);
    broadcast(serialize(event["m"]), kicked);
    for (auto c : kicked) {
        if (media_) media_->on_kicked(c);  // the video stops now, not when the socket closes
        send_message(c, notice);
        close_member(c, kCloseKicked, "kicked");
    }
}

void Room::apply_warn(const Json& event) {
    const auto user = event.value("u", live::UserId{0});
    auto notice = serialize(event["notice"]);
    for (auto& [c, m] : members_)
        if (m.user && m.user->id == user) send_message(c, notice);
    send_to_moderators(serialize(event["m"]), user);
}

void Room::send_to_moderators(const Message& message, std::optional<live::UserId> except_user) {
    for (auto& [c, m] : members_) {
        if (m.role != Role::Streamer && m.role != Role::Moderator) continue;
        if (except_user && m.user && m.user->id == *except_user) continue;
        send_message(c, message);
    }
}

void Room::apply_ended(const Json& event) {
    if (end_applied_) return;
    end_applied_ = ended_ = true;
    grace_since_.reset();
    grace_timer_.cancel();
    const auto at = from_unix_ms(event.value("at", to_unix_ms(Clock::now())));
    const std::string reason = event.value("reason", "ended");
    stream_.status = live::StreamStatus::Ended;
    stream_.ended_at = at;
    if (media_) media_->on_stream_ended();
    logger()->info("stream ended id={} reason={} viewers={}", stream_id_, reason, presence_.viewers_count());
    broadcast(serialize({{"type", "stream_ended"},
                         {"stream_id", stream_id_},
                         {"ended_at", live::to_unix_seconds(at)},
                         {"reason", reason}}));
    close_all(websocket::close_code::normal, "stream ended");
    forget_if_unused();  // a room with nobody on a WebSocket (WHIP only) goes now
}

bool Room::records_here() const {
    if (!bus_) return true;
    if (auto s = streamer()) return connection_tag(*s) == bus_->tag();
    if (auto first = presence_.first_connection()) return connection_tag(*first) == bus_->tag();
    return true;  // nobody anywhere: every replica writes the same zero
}

// ---- This process's sockets ----

Json Room::media_json() const {
    if (media_) return media_->state_json();
    return {{"mode", "p2p"}, {"server", nullptr}, {"source", nullptr}};
}

void Room::forget_if_unused() {
    if (!members_.empty() || !ctx_.rooms || forgotten_ || (media_ && media_->holds_room()) || !pending_.empty())
        return;
    if (grace_since_ && !ended_) return;  // kept for the streamer's return; the grace timer ends the stream
    flush_viewers_update();
    forgotten_ = true;
    ctx_.rooms->forget(stream_id_, this);
}

net::awaitable<bool> Room::go_live(const std::string& by) {
    const auto now = Clock::now();
    live::StreamTimes times{stream_.status, stream_.started_at, stream_.ended_at};
    auto next = live::apply(times, live::StreamEvent::StreamerConnected, now);
    if (!next || next->status == stream_.status) co_return true;
    const auto id = stream_id_;
    const auto started = *next->started_at;
    auto set_stream_live_job = [id, started, hooks = ctx_.webhooks](store::Store& s) -> Result<bool> {
        const auto before = s.find_stream(id);
        const bool live = s.set_stream_live(id, started);
        if (live && before && before->status == live::StreamStatus::Waiting)
            webhooks::record_stream_live(s, hooks, id, started);
        return live;
    };
    auto saved = co_await db::write<bool>(ctx_.database, set_stream_live_job);
    if (!saved || !*saved) co_return false;
    Json live_event{{"k", "live"}, {"at", to_unix_ms(started)}};
    co_await emit(live_event);
    // The statistics series starts at go-live with the count then (viewers may have been waiting).
    const int waiting = presence_.viewers_count();
    ctx_.database.write([id, started, waiting](store::Store& s) { s.add_viewer_sample(id, started, waiting); },
                        [](bool, std::string) {});
    logger()->info("stream live id={} by={}", id, by);
    co_return true;
}

void Room::on_whip_gone() {
    if (!streamer()) {
        streamer_last_seen_ = Clock::now();
        begin_grace(*streamer_last_seen_);
    }
    forget_if_unused();
}

// ---- The publisher grace ----

bool Room::publisher_present() const {
    return streamer().has_value() || (media_ && media_->whip_publishing());
}

Json Room::streamer_disconnected_json() const {
    const auto until = live::publisher_grace_end(grace_since_.value_or(Clock::now()), ctx_.cleanup);
    return {{"type", "streamer_disconnected"},
            {"grace_s", std::chrono::duration<double>(ctx_.cleanup.publisher_grace).count()},
            {"until", live::to_unix_seconds(until)}};
}

void Room::begin_grace(live::TimePoint left_at) {
    if (ended_ || grace_since_ || stream_.status != live::StreamStatus::Live || publisher_present()) return;
    grace_since_ = left_at;
    if (ctx_.cleanup.publisher_grace.count() > 0) {
        broadcast(serialize(streamer_disconnected_json()));
        logger()->info("streamer disconnected stream={} grace_ms={}", stream_id_, ctx_.cleanup.publisher_grace.count());
    }
    arm_grace_timer(live::publisher_grace_end(left_at, ctx_.cleanup));
}

void Room::end_grace(std::uint64_t streamer_connection) {
    if (!grace_since_) return;
    grace_since_.reset();
    grace_timer_.cancel();
    // Braced: the streamer's own connection (0 for a WHIP encoder: nobody) does not get it.
    broadcast(serialize({{"type", "streamer_reconnected"}}), {streamer_connection});
    logger()->info("streamer reconnected stream={}", stream_id_);
}

void Room::arm_grace_timer(live::TimePoint at) {
    // The system clock says when; the steady timer waits (a millisecond past the end: the window is inclusive).
    const auto wait = std::max(std::chrono::steady_clock::duration::zero(),
                               std::chrono::duration_cast<std::chrono::steady_clock::duration>(at - Clock::now()));
    grace_timer_.expires_after(wait + std::chrono::milliseconds(1));
    grace_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->on_grace_timer();
    });
}

void Room::on_grace_timer() {
    if (!grace_since_ || ended_) return;
    if (publisher_present()) {
        grace_since_.reset();
        return;
    }
    if (!live::publisher_grace_over(*grace_since_, Clock::now(), ctx_.cleanup)) {
        arm_grace_timer(live::publisher_grace_end(*grace_since_, ctx_.cleanup));  // the clock was set back
        return;
    }
    net::co_spawn(strand_, end_after_grace(shared_from_this()), log_if_thrown);
}

net::awaitable<void> Room::end_after_grace(std::shared_ptr<Room> self) {
    co_await self->wait_synced();
    if (self->ended_ || !self->grace_since_ || self->publisher_present()) co_return;
    if (self->bus_ && self->bus_->link_up()) {
        // Every replica of the room runs this timer: one process ends the stream. It asks Redis first whether
        // the streamer is back on another process (its join may still be on the way here).
        const auto id = self->stream_id_;
        auto snapshot = co_await self->bus_->presence(id);
        bool streamer_back = !snapshot;  // Redis did not answer: look again shortly
        if (snapshot)
            for (const auto& entry : snapshot->entries) {
                auto viewer = parse_viewer(Json::parse(entry.value, nullptr, false));
                if (viewer && viewer->role == Role::Streamer) streamer_back = true;
            }
        const std::string lock = "grace:" + std::to_string(id);
        const auto retry = std::chrono::seconds(2);
        const bool mine = !streamer_back && co_await self->bus_->try_lock(lock, std::chrono::seconds(10));
        if (!mine) {
            // Another process ends it (its stream_ended reaches us), or the streamer's join does: look again
            // later in case neither comes (that process died meanwhile).
            if (!self->ended_ && self->grace_since_) self->arm_grace_timer(Clock::now() + retry);
            co_return;
        }
        if (self->ended_ || !self->grace_since_ || self->publisher_present()) co_return;
    }
    // Without Redis (or while it is away: then each process ends it for its own clients, stored once).
    logger()->info("publisher grace over stream={} grace_ms={}: ending", self->stream_id_,
                   self->ctx_.cleanup.publisher_grace.count());
    std::string reason = "streamer_gone";
    co_await do_end(self, reason);
}

net::awaitable<void> Room::on_whep_gone(std::shared_ptr<Room> self, std::uint64_t connection_id) {
    Json leave{{"k", "leave"}, {"c", connection_id}};
    co_await self->emit(leave, PresenceWrite::Remove, connection_id);
    self->forget_if_unused();
}

void Room::disconnect_all() {
    net::post(strand_, [self = shared_from_this()] {
        self->close_all(websocket::close_code::service_restart, "server restarting");
    });
}

Role Room::role_for(const std::optional<store::User>& user) const {
    if (!user) return Role::Guest;
    return live::role_of(user->id, stream_.streamer_id, moderators_, vips_, true);
}

void Room::apply_roles(store::RoleLists roles) {
    moderators_.clear();
    vips_.clear();
    role_names_.clear();
    for (const auto& u : roles.moderators) {
        moderators_.insert(u.id);
        role_names_[u.id] = u.username;
    }
    for (const auto& u : roles.vips) {
        vips_.insert(u.id);
        role_names_[u.id] = u.username;
    }
    for (auto& [id, member] : members_) {
        const Role role = role_for(member.user);
        if (role != member.role && member.user) member.role = role;
    }
    // Every connection in the cluster shows its account's new role in the viewer list.
    for (const auto& [connection, viewer] : presence_.connections())
        if (viewer.user && viewer.role != Role::Streamer) {
            store::User user{*viewer.user, viewer.username, {}};
            presence_.set_role(*viewer.user, role_for(user));
        }
}

Json Room::roles_json() const {
    Json mods = Json::array(), vips = Json::array();
    for (auto id : moderators_) mods.push_back(role_names_.at(id));
    for (auto id : vips_) vips.push_back(role_names_.at(id));
    return {{"type", "roles_update"}, {"moderators", mods}, {"vips", vips}};
}

Json Room::you_json(const Member& m) const {
    Json until = nullptr;
    if (m.user)
        if (auto t = sanctions_.timed_out_until(m.user->id, Clock::now())) until = live::to_unix_seconds(*t);
    return {{"user_id", m.user ? Json(m.user->id) : Json(nullptr)},
            {"username", m.user ? Json(m.user->username) : Json(nullptr)},
            {"role", live::role_name(m.role)},
            {"permissions", permissions_json(m.role)},
            {"timed_out_until", until}};
}

void Room::send_message(std::uint64_t connection_id, const Message& message) {
    if (members_.count(connection_id)) enqueue(fanout::Outgoing::to_one(connection_id, message));
}

void Room::send(std::uint64_t connection_id, const Json& message) {
    send_message(connection_id, serialize(message));
}

void Room::broadcast(const Message& message, std::vector<std::uint64_t> except) {
    enqueue(fanout::Outgoing::to_all(message, std::move(except)));
}

void Room::reply_error(std::uint64_t connection_id, const Error& error, const Json& ref) {
    send(connection_id, error_json(error, ref));
}

void Room::close_member(std::uint64_t connection_id, std::uint16_t code, std::string reason) {
    if (members_.count(connection_id)) enqueue(fanout::Outgoing::close(connection_id, code, std::move(reason)));
}

void Room::close_all(websocket::close_code code, std::string reason) {
    enqueue(fanout::Outgoing::close(0, static_cast<std::uint16_t>(code), std::move(reason)));
}

void Room::enqueue(fanout::Outgoing outgoing) {
    outbox_.push_back(std::move(outgoing));
    if (!pass_running_ && !pass_waiting_) start_pass_when_due();
}

// Passes of a big room start at least fanout::pass_spacing apart: each write then carries several messages, at
// the price of that much added wait. Small rooms send at once.
void Room::start_pass_when_due() {
    const auto spacing = fanout::pass_spacing(members_.size());
    const auto due = last_pass_at_ + spacing;
    const auto now = std::chrono::steady_clock::now();
    if (spacing.count() > 0 && now < due) {
        pass_waiting_ = true;
        pass_timer_.expires_after(due - now);
        pass_timer_.async_wait([weak = weak_from_this()](const error_code&) {
            auto self = weak.lock();
            if (!self) return;
            self->pass_waiting_ = false;
            if (!self->pass_running_ && !self->outbox_.empty()) self->start_pass_when_due();
        });
        return;
    }
    last_pass_at_ = now;
    auto batch = std::move(outbox_);
    outbox_.clear();
    run_pass(std::move(batch));
}

void Room::run_pass(std::vector<fanout::Outgoing> batch) {
    // Every socket's share is handed over now: the common share in one handler per connection strand, the others
    // (named sockets, sockets not yet established, closes) one by one; the pass ends when all of those have run,
    // which the last copy of `pass` reports. Sockets that no entry names share one joined text.
    const auto named = fanout::named_in(batch);
    pass_running_ = true;
    std::shared_ptr<void> pass(nullptr, [weak = weak_from_this(), strand = strand_](void*) {
        net::post(strand, [weak] {
            if (auto self = weak.lock()) self->on_pass_done();
        });
    });
    auto hand_over = [&](Member& member, const std::shared_ptr<WsSession>& session, const fanout::Share& share) {
        if (!member.established) {
            if (!share.close) {
                if (share.count) hold(member, *session, share.text, share.count);
                return;
            }
            // Closed before it was established (kicked, replaced): what was held goes first, then the close.
            hand_over_held(member, *session, pass);
        }
        if (share.count) session->deliver(share.text, share.count, pass);
        if (share.close)
            session->close(static_cast<websocket::close_code>(share.close->close_code), share.close->close_reason);
    };
    if (fanout::reaches_everyone(batch)) {
        // The common share of established sockets goes out by connection strand: one handler per strand serves all
        // of its sockets (WsSession::deliver_here), instead of one post per socket.
        std::optional<fanout::Share> common;
        std::vector<std::vector<std::shared_ptr<WsSession>>> by_strand(kConnectionStrands);
        for (auto& [id, member] : members_) {
            auto session = member.session.lock();
            if (!session) continue;
            if (named.count(id)) {
                hand_over(member, session, fanout::share_for(id, batch));
                continue;
            }
            if (!common) common = fanout::share_for(id, batch);
            const auto key = session->strand_key();
            auto& group = by_strand[key % kConnectionStrands];
            if (!member.established || common->close || !common->count || key == 0 ||
                (!group.empty() && group.front()->strand_key() != key)) {
                hand_over(member, session, *common);
                continue;
            }
            group.push_back(std::move(session));
        }
        for (auto& sessions : by_strand) {
            if (sessions.empty()) continue;
            auto strand = sessions.front()->strand();
            net::post(strand, [sessions = std::move(sessions), text = common->text, count = common->count, pass] {
                for (const auto& session : sessions) session->deliver_here(text, count);
            });
        }
    } else {
        for (auto id : named) {
            auto it = members_.find(id);
            if (it == members_.end()) continue;
            if (auto session = it->second.session.lock()) hand_over(it->second, session, fanout::share_for(id, batch));
        }
    }
}

void Room::hold(Member& member, WsSession& session, const fanout::Text& text, std::uint32_t count) {
    // Bounded like a socket's queue: a join whose history read takes that long is dropped, not buffered forever.
    member.held_bytes += text->size();
    if (member.held_bytes > kMaxHeldBytes) {
        member.held.clear();
        member.held_bytes = 0;
        session.close(websocket::close_code::try_again_later, "too slow: joining took too long");
        return;
    }
    member.held.emplace_back(text, count);
}

void Room::hand_over_held(Member& member, WsSession& session, const std::shared_ptr<void>& pass) {
    for (auto& [text, count] : member.held) session.deliver(std::move(text), count, pass);
    member.held.clear();
    member.held_bytes = 0;
}

void Room::establish(Member& member, WsSession& session, const Json& connection_established) {
    session.deliver(serialize(connection_established));
    hand_over_held(member, session, nullptr);
    member.established = true;
}

void Room::on_pass_done() {
    pass_running_ = false;
    if (!outbox_.empty() && !pass_waiting_) start_pass_when_due();
}

net::awaitable<void> Room::do_join(std::shared_ptr<Room> self, std::shared_ptr<WsSession> session,
                                   std::optional<store::User> user) {
    co_await self->wait_synced();
    const auto conn = session->id();
    const auto now = Clock::now();
    if (self->forgotten_ && self->ctx_.rooms) {
        auto fresh = co_await self->ctx_.rooms->get(self->stream_id_);
        if (fresh)
            (*fresh)->join(std::move(session), std::move(user));
        else
            session->close(websocket::close_code::normal, "stream gone");
        co_return;
    }
    if (self->ended_) {
        session->deliver(serialize({{"type", "stream_ended"},
                                    {"stream_id", self->stream_id_},
                                    {"ended_at", live::to_unix_seconds(self->stream_.ended_at.value_or(now))},
                                    {"reason", "ended"}}));
        session->close(websocket::close_code::normal, "stream ended");
        co_return;
    }
    const Role role = self->role_for(user);
    if (user) {
        if (auto until = self->sanctions_.kicked_until(user->id, now)) {
            session->deliver(serialize({{"type", "kicked"},
                                        {"reason", "removed from this stream"},
                                        {"until", live::to_unix_seconds(*until)},
                                        {"by", nullptr}}));
            session->close(static_cast<websocket::close_code>(kCloseKicked), "kicked");
            co_return;
        }
    }
    if (role == Role::Streamer) {
        const std::string by = user->username;
        const bool live_now = co_await self->go_live(by);
        if (!live_now) {
            session->deliver(serialize(error_json(make_error(Errc::Unavailable, "could not start the stream"))));
            session->close(websocket::close_code::internal_error, "storage");
            co_return;
        }
        if (self->ended_) {  // ended while we were storing
            session->close(websocket::close_code::normal, "stream ended");
            co_return;
        }
    }
    self->members_[conn] = Member{session, user, role, false, {}, 0};
    live::Viewer viewer{user ? std::optional<live::UserId>(user->id) : std::nullopt, user ? user->username : "", role};
    Json join_event{{"k", "join"}, {"c", conn}, {"v", viewer_value(viewer)}};
    co_await self->emit(join_event, PresenceWrite::Add, conn);

    // The last 50 comments, with the roles their authors have now.
    const auto id = self->stream_id_;
    auto recent_comments_job = [id](store::Store& s) -> Result<std::vector<store::CommentRow>> {
        return s.recent_comments(id, 50);
    };
    auto recent = co_await db::read<std::vector<store::CommentRow>>(self->ctx_.database, recent_comments_job);
    Json comments = Json::array();
    if (recent)
        for (const auto& c : *recent)
            comments.push_back(comment_json(
                c, live::role_of(c.user_id, self->stream_.streamer_id, self->moderators_, self->vips_, true)));
    auto it = self->members_.find(conn);
    if (it == self->members_.end()) co_return;  // left while we were reading
    Json roles = self->roles_json();
    roles.erase("type");
    Json emotes = Json::array();
    for (const auto& e : live::vip_emotes()) emotes.push_back(e);
    // Straight to the socket, then what was held for it: whatever the room sent it since the join (a streamer
    // who saw the join may already have offered) comes after, never before (the client starts afresh on it).
    const Json established{{"type", "connection_established"},
                           {"connection_id", conn},
                           {"stream", stream_json(self->stream_)},
                           {"you", self->you_json(it->second)},
                           {"viewers_count", self->presence_.viewers_count()},
                           {"peak_viewers", self->presence_.peak_viewers()},
                           {"comments", comments},
                           {"roles", roles},
                           {"emotes", emotes},
                           {"media", self->media_json()}};
    self->establish(it->second, *session, established);
    if (role == Role::Streamer && self->streamer() == conn) {
        // Every viewer connection in the stream, on any process: the streamer offers to each.
        for (const auto& [other, v] : self->presence_.connections())
            if (other != conn && v.role != Role::Streamer)
                self->send(conn, {{"type", "user_joined"},
                                  {"connection_id", other},
                                  {"username", v.user ? Json(v.username) : Json(nullptr)},
                                  {"role", live::role_name(v.role)}});
    }
    if (role != Role::Streamer) {
        // A live stream nobody publishes to (its streamer left before this room was loaded here): the same
        // grace, counted from when they left if known. A viewer who arrives during the grace is told so.
        if (!self->grace_since_ && !self->publisher_present())
            self->begin_grace(std::max(self->stream_.started_at.value_or(now), self->streamer_last_seen_.value_or(now)));
        else if (self->grace_since_ && self->ctx_.cleanup.publisher_grace.count() > 0)
            self->send(conn, self->streamer_disconnected_json());
    }
    if (self->media_ && role != Role::Streamer) self->media_->on_viewer_joined(conn);
}

net::awaitable<void> Room::do_leave(std::shared_ptr<Room> self, std::uint64_t connection_id) {
    auto it = self->members_.find(connection_id);
    if (it == self->members_.end()) co_return;
    const bool was_streamer = it->second.role == Role::Streamer;
    self->members_.erase(it);
    if (self->media_) self->media_->on_left(connection_id);
    Json leave_event{{"k", "leave"}, {"c", connection_id}};
    const auto write = was_streamer ? PresenceWrite::RemoveStreamer : PresenceWrite::Remove;
    co_await self->emit(leave_event, write, connection_id);
    self->forget_if_unused();
}

void Room::schedule_viewers_update() {
    if (update_pending_) return;
    update_pending_ = true;
    // Every update goes to every socket: big rooms get them less often (1 s at 10,000 connections), so a join
    // storm costs a bounded number of messages per viewer.
    const auto by_size = std::chrono::milliseconds(presence_.connection_count() / 10);
    update_timer_.expires_after(std::max(ctx_.viewers_update_interval, by_size));
    update_timer_.async_wait([self = shared_from_this()](const error_code&) { self->flush_viewers_update(); });
}

void Room::flush_viewers_update() {
    if (!update_pending_) return;
    update_pending_ = false;
    const int count = presence_.viewers_count();
    const int peak = presence_.peak_viewers();
    broadcast(serialize({{"type", "viewers_update"}, {"viewers_count", count}, {"peak_viewers", peak}}));
    stream_.viewers_count = count;
    stream_.peak_viewers = peak;
    if (!records_here()) return;  // another process of the cluster stores this stream's counts
    const auto now = Clock::now();
    auto sample = timeline_.record(count, now);
    const auto id = stream_id_;
    const bool live_now = stream_.status == live::StreamStatus::Live;
    ctx_.database.write(
        [id, count, peak, now, sample, live_now](store::Store& s) {
            s.set_viewers(id, count, peak, now);
            if (sample && live_now) s.add_viewer_sample(id, sample->at, sample->viewers);
        },
        [id](bool ok, std::string error) {
            if (!ok) logger()->warn("viewer count not stored stream={} error={}", id, error);
        });
}
net::awaitable<void> Room::do_receive(std::shared_ptr<Room> self, std::uint64_t from, std::string text) {
    co_await self->wait_synced();
    if (!self->members_.count(from)) co_return;
    // The same decoding the ws_message fuzz target runs.
    ClientMessage decoded = decode_client_message(text);
    Json ref = std::move(decoded.ref);
    if (decoded.error) {
        self->reply_error(from, *decoded.error, ref);
        co_return;
    }
    const std::string type = std::move(decoded.type);
    Json msg = std::move(decoded.body);
    if (self->ended_) {
        self->reply_error(from, make_error(Errc::Conflict, "this stream has ended"), ref);
        co_return;
    }
    if (type == "offer" || type == "answer" || type == "ice_candidate") {
        auto peer = msg.find("peer");
        const bool to_server = peer != msg.end() && peer->is_string() && peer->get<std::string>() == "server";
        if (self->media_ && !to_server) {
            self->reply_error(from, make_error(Errc::Conflict, "this stream's media goes through the server: "
                                                               "send \"peer\": \"server\""), ref);
        } else if (self->media_) {
            const bool from_streamer = self->streamer() == from;
            co_await self->media_->on_signal(from, from_streamer, type, std::move(msg), ref);
        } else if (to_server) {
            self->reply_error(from, make_error(Errc::Conflict, "this server sends media peer-to-peer (--media p2p)"), ref);
        } else {
            co_await self->on_signal(from, type, std::move(msg), ref);
        }
    } else if (type == "set_quality" || type == "media_report") {
        if (!self->media_) {
            self->reply_error(from, make_error(Errc::Conflict, "quality choice needs --media janus (this server "
                                                               "sends media peer-to-peer)"), ref);
        } else if (type == "set_quality") {
            self->media_->on_set_quality(from, msg, ref);
        } else {
            self->media_->on_media_report(from, msg);
        }
    } else if (type == "comment") {
        co_await self->on_comment(from, std::move(msg), ref);
    } else if (type == "delete_comment") {
        co_await self->on_delete_comment(from, std::move(msg), ref);
    } else if (type == "timeout_user") {
        co_await self->on_sanction(from, std::move(msg), ref, Action::TimeoutUser);
    } else if (type == "kick_user") {
        co_await self->on_sanction(from, std::move(msg), ref, Action::KickUser);
    } else if (type == "warn_user") {
        co_await self->on_warn(from, std::move(msg), ref);
    } else if (type == "add_moderator" || type == "remove_moderator" || type == "add_vip" || type == "remove_vip") {
        co_await self->on_role_change(from, std::move(msg), ref, type);
    } else if (type == "get_viewers") {
        const Role role = self->members_[from].role;
        if (auto ok = live::require(role, Action::ViewViewerList); !ok) {
            self->reply_error(from, ok.error(), ref);
            co_return;
        }
        Json viewers = Json::array();
        for (const auto& v : self->presence_.list()) viewers.push_back(v);
        self->send(from,
                   {{"type", "viewer_list"}, {"viewers", viewers}, {"viewers_count", self->presence_.viewers_count()}});
    } else if (type == "end_stream") {
        const Role role = self->members_[from].role;
        if (auto ok = live::require(role, Action::EndStream); !ok) {
            self->reply_error(from, ok.error(), ref);
            co_return;
        }
        std::string reason = "streamer";
        co_await do_end(self, reason);
    } else {
        self->reply_error(from, make_error(Errc::BadInput, "unknown message type '" + type + "'", "type"), ref);
    }
}

net::awaitable<void> Room::on_signal(std::uint64_t from, const std::string& type, Json msg, const Json& ref) {
    const bool from_streamer = streamer() == from;
    const char* payload_field = type == "ice_candidate" ? "candidate" : "sdp";
    if (!msg.contains(payload_field)) {
        reply_error(from, make_error(Errc::BadInput, type + " needs \"" + payload_field + "\"", payload_field), ref);
        co_return;
    }
    // Relayed as they are, but of the shape a browser's RTCPeerConnection takes: a string SDP, a candidate object
    // (RTCIceCandidateInit) or null (the end of candidates).
    if (const Json& payload = msg[payload_field];
        type == "ice_candidate" ? !(payload.is_object() || payload.is_null()) : !payload.is_string()) {
        reply_error(from,
                    make_error(Errc::BadInput,
                               type == "ice_candidate" ? "candidate must be an object or null" : "sdp must be a string",
                               payload_field),
                    ref);
        co_return;
    }
    std::uint64_t target;
    if (from_streamer) {
        if (type == "answer") {
            reply_error(from, make_error(Errc::Forbidden, "the streamer sends offers, not answers"), ref);
            co_return;
        }
        // Any viewer connection of the stream, on this process or another.
        auto named = connection_field(msg, "target");
        auto target_viewer = named ? presence_.viewer_on(*named) : std::nullopt;
        if (!named || *named == from || !target_viewer || target_viewer->role == Role::Streamer) {
            reply_error(from, make_error(Errc::NotFound, "target is not a viewer connection in this stream", "target"),
                        ref);
            co_return;
        }
        target = *named;
    } else {
        // A viewer signals only the streamer, whatever it names.
        if (type == "offer") {
            reply_error(from, make_error(Errc::Forbidden, "only the streamer sends offers"), ref);
            co_return;
        }
        if (!streamer()) {
            reply_error(from, make_error(Errc::NotFound, "the streamer is not connected"), ref);
            co_return;
        }
        target = *streamer();
    }
    Json relayed{{"type", type}, {"from", from}, {payload_field, std::move(msg[payload_field])}};
    if (is_local(target)) {
        send(target, relayed);
        co_return;
    }
    // On another process: through the bus, to that process only (`from` is set here, never by the client).
    Json signal{{"k", "signal"}, {"to", target}, {"m", std::move(relayed)}};
    co_await emit(signal);
}

net::awaitable<void> Room::on_comment(std::uint64_t from, Json msg, Json ref) {
    const Member member = members_[from];
    const auto now = Clock::now();
    if (auto ok = live::require(member.role, Action::Comment); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    const auto user = *member.user;
    if (auto until = sanctions_.timed_out_until(user.id, now)) {
        Json err = error_json(make_error(Errc::Forbidden, "you are timed out and cannot comment yet"), ref);
        err["until"] = live::to_unix_seconds(*until);
        send(from, err);
        co_return;
    }
    auto content_it = msg.find("content");
    if (content_it == msg.end() || !content_it->is_string()) {
        reply_error(from, make_error(Errc::BadInput, "content must be a string", "content"), ref);
        co_return;
    }
    auto content = live::validate_comment(content_it->get<std::string>());
    if (!content) {
        reply_error(from, content.error(), ref);
        co_return;
    }
    if (auto ok = live::check_emotes(*content, member.role); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    // The limit holds per user across the cluster (a token bucket in Redis); this process's own bucket when
    // there is no Redis or it is away.
    std::optional<std::chrono::milliseconds> retry_after;
    bool limited_in_redis = false;
    if (bus_) {
        auto taken = co_await bus_->take_chat_token(stream_id_, user.id, ctx_.chat.burst, ctx_.chat.per_second);
        if (taken) {
            limited_in_redis = true;
            retry_after = *taken;
        }
    }
    if (!limited_in_redis && !chat_limiter_.try_take(user.id, now))
        retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(chat_limiter_.retry_after(user.id, now));
    if (retry_after) {
        Json err = error_json(make_error(Errc::RateLimited, "slow down: too many comments"), ref);
        err["retry_after_ms"] = retry_after->count();
        send(from, err);
        co_return;
    }
    const auto id = stream_id_;
    std::string text = std::move(*content);
    auto add_comment_job = [id, user, text, now, role = member.role,
                            hooks = ctx_.webhooks](store::Store& s) -> Result<store::CommentRow> {
        auto row = s.add_comment(id, user.id, text, now);
        webhooks::record_comment_created(s, hooks, row, live::role_name(role));
        return row;
    };
    auto row = co_await db::write<store::CommentRow>(ctx_.database, add_comment_job);
    if (!row) {
        reply_error(from, make_error(Errc::Unavailable, "the comment could not be stored, try again"), ref);
        co_return;
    }
    // Everyone gets it, the sender as its acknowledgement (with its ref and the id it got).
    Json say{{"k", "say"}, {"m", comment_json(*row, member.role)}, {"from", from}, {"ref", ref}};
    co_await emit(say);
}

net::awaitable<void> Room::on_delete_comment(std::uint64_t from, Json msg, Json ref) {
    const Member member = members_[from];
    if (auto ok = live::require(member.role, Action::DeleteComment); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    auto it = msg.find("comment_id");
    if (it == msg.end() || !it->is_number_integer()) {
        reply_error(from, make_error(Errc::BadInput, "comment_id must be an integer", "comment_id"), ref);
        co_return;
    }
    const live::CommentId comment = it->get<live::CommentId>();
    const auto id = stream_id_;
    const auto by = member.user->id;
    const auto now = Clock::now();
    // Whose comment is it? The streamer's cannot be moderated, nor a moderator's by another moderator.
    auto find_author = [comment](store::Store& s) -> Result<std::optional<store::CommentRow>> {
        return s.find_comment(comment);
    };
    auto found = co_await db::read<std::optional<store::CommentRow>>(ctx_.database, find_author);
    if (!found || !found->has_value() || (*found)->stream_id != id) {
        reply_error(from, make_error(Errc::NotFound, "no such comment in this stream", "comment_id"), ref);
        co_return;
    }
    const auto author = (*found)->user_id;
    if (author != by) {
        store::User author_user{author, (*found)->username, {}};
        if (auto ok = live::check_moderation(member.role, Action::DeleteComment, role_for(author_user), false); !ok) {
            reply_error(from, ok.error(), ref);
            co_return;
        }
    }
    ModerationChange delete_it = [id, comment, by, now](store::Store& s) -> Result<bool> {
        return s.delete_comment(id, comment, by, now);
    };
    store::ModerationActionRow entry;
    entry.stream_id = id;
    entry.actor_id = by;
    entry.action = store::ModerationKind::DeleteComment;
    entry.target_id = author;
    entry.comment_id = comment;
    entry.created_at = now;
    auto recorded = co_await record_moderation_action(ctx_, entry, delete_it);
    if (!recorded) {
        reply_error(from, recorded.error(), ref);
        co_return;
    }
    if (!recorded->has_value()) {
        reply_error(from, make_error(Errc::NotFound, "no such comment in this stream", "comment_id"), ref);
        co_return;
    }
    Json say{{"k", "say"},
             {"m", {{"type", "comment_deleted"}, {"comment_id", comment}, {"by", member.user->username}}},
             {"log", moderation_action_json(**recorded)}};
    co_await emit(say);
}

net::awaitable<Result<std::pair<store::User, Role>>> Room::target_user(const Json& msg) {
    auto it = msg.find("username");
    if (it == msg.end() || !it->is_string() || it->get<std::string>().empty())
        co_return make_error(Errc::BadInput, "username is required", "username");
    std::string name = it->get<std::string>();
    auto find_user_by_name_job = [name](store::Store& s) -> Result<std::optional<store::User>> {
        return s.find_user_by_name(name);
    };
    auto found = co_await db::read<std::optional<store::User>>(ctx_.database, find_user_by_name_job);
    if (!found) co_return found.error();
    if (!found->has_value()) co_return make_error(Errc::NotFound, "no user named '" + name + "'", "username");
    store::User user = **found;
    const Role role = role_for(user);
    co_return std::make_pair(user, role);
}

net::awaitable<void> Room::on_sanction(std::uint64_t from, Json msg, Json ref, Action action) {
    const Member member = members_[from];
    if (auto ok = live::require(member.role, action); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    std::chrono::seconds duration = ctx_.kick_ban;
    if (action == Action::TimeoutUser) {
        auto sec = msg.find("seconds");
        if (sec == msg.end() || !sec->is_number_integer()) {
            reply_error(from, make_error(Errc::BadInput, "seconds must be an integer", "seconds"), ref);
            co_return;
        }
        auto valid = live::validate_timeout_seconds(sec->get<long long>());
        if (!valid) {
            reply_error(from, valid.error(), ref);
            co_return;
        }
        duration = *valid;
    }
    auto reason = reason_field(msg);
    if (!reason) {
        reply_error(from, reason.error(), ref);
        co_return;
    }
    auto target = co_await target_user(msg);
    if (!target) {
        reply_error(from, target.error(), ref);
        co_return;
    }
    auto [user, target_role] = *target;
    if (auto ok = live::check_moderation(member.role, action, target_role, user.id == member.user->id); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    const auto now = Clock::now();
    const auto until = now + duration;
    const bool kick = action == Action::KickUser;
    const auto id = stream_id_;
    const auto by = member.user->id;
    const auto kind = kick ? store::SanctionKind::Kick : store::SanctionKind::Timeout;
    ModerationChange add_sanction_job = [id, user, kind, until, by, now](store::Store& s) -> Result<bool> {
        s.add_sanction(id, user.id, kind, until, by, now);
        return true;
    };
    store::ModerationActionRow entry;
    entry.stream_id = id;
    entry.actor_id = by;
    entry.action = kick ? store::ModerationKind::Kick : store::ModerationKind::Timeout;
    entry.target_id = user.id;
    entry.reason = *reason;
    entry.seconds = duration.count();
    entry.created_at = now;
    auto recorded = co_await record_moderation_action(ctx_, entry, add_sanction_job);
    if (!recorded || !recorded->has_value()) {
        reply_error(from, recorded ? make_error(Errc::Unavailable, "the action could not be stored, try again")
                                   : recorded.error(), ref);
        co_return;
    }
    const Json log = moderation_action_json(**recorded);
    const Json reason_json = *reason ? Json(**reason) : Json(nullptr);
    const std::string& by_name = member.user->username;
    if (!kick) {
        Json timeout{{"k", "timeout"},
                     {"u", user.id},
                     {"until", to_unix_ms(until)},
                     {"m",
                      {{"type", "user_timed_out"},
                       {"username", user.username},
                       {"seconds", duration.count()},
                       {"until", live::to_unix_seconds(until)},
                       {"by", by_name}}},
                     {"notice",
                      {{"type", "timed_out"},
                       {"reason", reason_json},
                       {"seconds", duration.count()},
                       {"until", live::to_unix_seconds(until)},
                       {"by", by_name}}},
                     {"log", log}};
        co_await emit(timeout);
        co_return;
    }
    // Every process closes the kicked account's sockets it holds and tells the others.
    Json kick_event{{"k", "kick"},
                    {"u", user.id},
                    {"until", to_unix_ms(until)},
                    {"notice",
                     {{"type", "kicked"},
                      {"reason", *reason ? Json(**reason) : Json("removed from this stream")},
                      {"until", live::to_unix_seconds(until)},
                      {"by", by_name}}},
                    {"m", {{"type", "user_kicked"}, {"username", user.username}, {"by", by_name}}},
                    {"log", log}};
    co_await emit(kick_event);
    logger()->info("user kicked stream={} user={} by={}", stream_id_, user.username, by_name);
}

net::awaitable<void> Room::on_warn(std::uint64_t from, Json msg, Json ref) {
    const Member member = members_[from];
    if (auto ok = live::require(member.role, Action::WarnUser); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    auto reason = reason_field(msg);
    if (!reason) {
        reply_error(from, reason.error(), ref);
        co_return;
    }
    auto target = co_await target_user(msg);
    if (!target) {
        reply_error(from, target.error(), ref);
        co_return;
    }
    auto [user, target_role] = *target;
    if (auto ok = live::check_moderation(member.role, Action::WarnUser, target_role, user.id == member.user->id);
        !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    store::ModerationActionRow entry;
    entry.stream_id = stream_id_;
    entry.actor_id = member.user->id;
    entry.action = store::ModerationKind::Warn;
    entry.target_id = user.id;
    entry.reason = *reason;
    entry.created_at = Clock::now();
    ModerationChange nothing_else = [](store::Store&) -> Result<bool> { return true; };  // the log row is the warning
    auto recorded = co_await record_moderation_action(ctx_, entry, nothing_else);
    if (!recorded || !recorded->has_value()) {
        reply_error(from, recorded ? make_error(Errc::Unavailable, "the warning could not be stored, try again")
                                   : recorded.error(), ref);
        co_return;
    }
    const std::string& by_name = member.user->username;
    const Json reason_json = *reason ? Json(**reason) : Json(nullptr);
    // To the warned account's connections wherever they are, and to the streamer and moderators.
    Json warn_event{{"k", "warn"},
                    {"u", user.id},
                    {"notice", {{"type", "warned"}, {"reason", reason_json}, {"by", by_name}}},
                    {"m", {{"type", "user_warned"}, {"username", user.username}, {"reason", reason_json}, {"by", by_name}}},
                    {"log", moderation_action_json(**recorded)}};
    co_await emit(warn_event);
    logger()->info("user warned stream={} user={} by={}", stream_id_, user.username, by_name);
}

net::awaitable<Result<std::optional<store::ModerationActionRow>>> Room::record_moderation_action(
    LiveContext& ctx, store::ModerationActionRow entry, ModerationChange change) {
    auto record_job = [entry, change, hooks = ctx.webhooks](store::Store& s)
        -> Result<std::optional<store::ModerationActionRow>> {
        auto changed = change(s);
        if (!changed) return changed.error();
        if (!*changed) return std::optional<store::ModerationActionRow>();
        auto row = s.add_moderation_action(entry);
        webhooks::record_moderation_action(s, hooks, row);  // moderation.action, in the same transaction
        return std::optional<store::ModerationActionRow>(std::move(row));
    };
    co_return co_await db::write<std::optional<store::ModerationActionRow>>(ctx.database, record_job);
}

net::awaitable<void> Room::on_role_change(std::uint64_t from, Json msg, Json ref, std::string type) {
    const Member member = members_[from];
    const bool moderator = type.find("moderator") != std::string::npos;
    const bool add = type.rfind("add_", 0) == 0;
    if (auto ok = live::require(member.role, moderator ? Action::AppointModerator : Action::GrantVip); !ok) {
        reply_error(from, ok.error(), ref);
        co_return;
    }
    auto target = co_await target_user(msg);
    if (!target) {
        reply_error(from, target.error(), ref);
        co_return;
    }
    const store::User user = target->first;
    if (user.id == stream_.streamer_id) {
        reply_error(from, make_error(Errc::BadInput, "the streamer already has every permission", "username"), ref);
        co_return;
    }
    const auto id = stream_id_;
    const auto now = Clock::now();
    auto roles = std::make_shared<store::RoleLists>();  // filled by the job, read once it committed
    ModerationChange change_role_job = [id, user, now, moderator, add, roles](store::Store& s) -> Result<bool> {
        bool changed;
        if (moderator)
            changed = add ? s.add_moderator(id, user.id, now) : s.remove_moderator(id, user.id);
        else
            changed = add ? s.add_vip(id, user.id, now) : s.remove_vip(id, user.id);
        *roles = s.roles(id);
        return changed;
    };
    store::ModerationActionRow entry;
    entry.stream_id = id;
    entry.actor_id = member.user->id;
    entry.action = role_change_kind(moderator, add);
    entry.target_id = user.id;
    entry.created_at = now;
    auto recorded = co_await record_moderation_action(ctx_, entry, change_role_job);
    if (!recorded) {
        reply_error(from, recorded.error(), ref);
        co_return;
    }
    Json roles_changed = roles_event(*roles);
    if (recorded->has_value()) roles_changed["log"] = moderation_action_json(**recorded);
    co_await emit(roles_changed);
}

net::awaitable<void> Room::do_end(std::shared_ptr<Room> self, std::string reason) {
    co_await self->wait_synced();
    if (self->ended_) co_return;
    const auto now = Clock::now();
    live::StreamTimes times{self->stream_.status, self->stream_.started_at, self->stream_.ended_at};
    auto next = live::apply(times, live::StreamEvent::EndRequested, now);
    if (!next) co_return;
    self->ended_ = true;  // before awaiting: no second end, no new joins
    const auto id = self->stream_id_;
    auto set_stream_ended_job = [id, now, reason, hooks = self->ctx_.webhooks](store::Store& s) -> Result<bool> {
        const bool ended = s.set_stream_ended(id, now);
        if (ended) webhooks::record_stream_ended(s, hooks, id, reason, now);
        return ended;
    };
    auto saved = co_await db::write<bool>(self->ctx_.database, set_stream_ended_job);
    if (!saved) logger()->error("stream end not stored id={} error={}", id, saved.error().message);
    Json ended = ended_event(now, reason);
    co_await self->emit(ended);
}

net::awaitable<Json> Room::viewer_list(std::shared_ptr<Room> self) {
    co_await self->wait_synced();
    Json viewers = Json::array();
    for (const auto& v : self->presence_.list()) viewers.push_back(v);
    co_return Json{{"viewers", viewers}, {"viewers_count", self->presence_.viewers_count()}};
}

net::awaitable<RoomFacts> Room::facts(std::shared_ptr<Room> self) {
    co_await self->wait_synced();
    RoomFacts f;
    f.stream = self->stream_;
    f.viewers_count = self->presence_.viewers_count();
    f.streamer_connected = self->streamer().has_value() || (self->media_ && self->media_->whip_publishing());
    f.streamer_last_seen = self->streamer_last_seen_;
    f.in_publisher_grace = self->grace_since_.has_value() && !self->ended_;
    co_return f;
}

// ---- WHIP and WHEP ----

namespace {
Error no_media_server(const char* what) {
    return make_error(Errc::Conflict, std::string(what) + " needs --media janus: this server sends media peer-to-peer");
}
}  // namespace

net::awaitable<Result<MediaSessionAnswer>> Room::whip_publish(std::shared_ptr<Room> self, std::string offer) {
    if (!self->media_) co_return no_media_server("WHIP");
    if (self->forgotten_ && self->ctx_.rooms) {  // emptied and dropped meanwhile: go to the registered room
        auto fresh = co_await self->ctx_.rooms->get(self->stream_id_);
        if (!fresh) co_return fresh.error();
        auto job = whip_publish(*fresh, std::move(offer));
        co_return co_await net::co_spawn((*fresh)->strand_, std::move(job), use_awaitable);
    }
    if (self->ended_) co_return make_error(Errc::Conflict, "this stream has ended");
    const std::string by = "whip";
    const bool live_now = co_await self->go_live(by);
    if (!live_now) co_return make_error(Errc::Unavailable, "could not start the stream; try again");
    if (self->ended_) co_return make_error(Errc::Conflict, "this stream has ended");
    auto answer = co_await self->media_->whip_publish(std::move(offer));
    if (answer) self->end_grace(0);  // an encoder took over from a studio that left: the stream is back
    co_return answer;
}

net::awaitable<Result<Ok>> Room::whip_trickle(std::shared_ptr<Room> self, std::string session,
                                              media::sdp::Fragment fragment) {
    if (!self->media_) co_return no_media_server("WHIP");
    co_return self->media_->whip_trickle(session, fragment);
}

net::awaitable<Result<Ok>> Room::whip_stop(std::shared_ptr<Room> self, std::string session) {
    if (!self->media_) co_return no_media_server("WHIP");
    auto stopped = self->media_->whip_stop(session);
    if (!stopped) co_return stopped.error();
    std::string reason = "whip";
    co_await do_end(self, reason);
    co_return Ok{};
}

net::awaitable<Result<MediaSessionAnswer>> Room::whep_play(std::shared_ptr<Room> self, std::string offer) {
    if (!self->media_) co_return no_media_server("WHEP");
    if (self->ended_ || self->stream_.status != live::StreamStatus::Live)
        co_return make_error(Errc::Conflict, "this stream is not live");
    const auto connection = new_connection_id();
    auto answer = co_await self->media_->whep_play(std::move(offer), connection);
    if (!answer) co_return answer;
    live::Viewer guest{std::nullopt, "", Role::Guest};
    Json join_event{{"k", "join"}, {"c", connection}, {"v", viewer_value(guest)}};
    co_await self->emit(join_event, PresenceWrite::Add, connection);
    co_return answer;
}

net::awaitable<Result<Ok>> Room::whep_trickle(std::shared_ptr<Room> self, std::string session,
                                              media::sdp::Fragment fragment) {
    if (!self->media_) co_return no_media_server("WHEP");
    co_return self->media_->whep_trickle(session, fragment);
}

net::awaitable<Result<Ok>> Room::whep_stop(std::shared_ptr<Room> self, std::string session) {
    if (!self->media_) co_return no_media_server("WHEP");
    auto connection = self->media_->whep_stop(session);
    if (!connection) co_return connection.error();
    co_await on_whep_gone(self, *connection);
    co_return Ok{};
}

}  // namespace redred::ws
