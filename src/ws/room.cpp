#include "ws/room.hpp"

#include "core/log.hpp"
#include "http/async_db.hpp"
#include "live/chat_rules.hpp"
#include "live/stream_lifecycle.hpp"
#include "ws/room_registry.hpp"

namespace redred::ws {
namespace {

using live::Action;
using live::Clock;
using live::Role;

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

}  // namespace

Room::Room(LiveContext& ctx, store::StreamRow stream, store::RoleLists roles, std::vector<store::SanctionRow> sanctions)
    : ctx_(ctx),
      stream_id_(stream.id),
      strand_(net::make_strand(ctx.io)),
      stream_(std::move(stream)),
      presence_(stream_.peak_viewers),
      chat_limiter_(ctx.chat.burst, ctx.chat.per_second),
      update_timer_(strand_) {
    apply_roles(std::move(roles));
    if (ctx_.sfu) media_ = std::make_unique<RoomMedia>(*this, ctx_.sfu, ctx_.metrics);
    for (const auto& s : sanctions)
        sanctions_.add(live::Sanction{
            s.user_id, s.kind == store::SanctionKind::Kick ? live::SanctionKind::Kick : live::SanctionKind::Timeout,
            s.until});
    ended_ = stream_.status == live::StreamStatus::Ended;
}

void Room::join(std::shared_ptr<WsSession> session, std::optional<store::User> user) {
    net::co_spawn(strand_, do_join(shared_from_this(), std::move(session), std::move(user)), log_if_thrown);
}

void Room::leave(std::uint64_t connection_id) {
    net::post(strand_, [self = shared_from_this(), connection_id] { self->do_leave(connection_id); });
}

void Room::receive(std::uint64_t connection_id, std::string text) {
    net::co_spawn(strand_, do_receive(shared_from_this(), connection_id, std::move(text)), log_if_thrown);
}

void Room::end(std::string reason) {
    net::co_spawn(strand_, do_end(shared_from_this(), std::move(reason)), log_if_thrown);
}

void Room::reload_roles(store::RoleLists roles) {
    net::post(strand_, [self = shared_from_this(), roles = std::move(roles)]() mutable {
        self->apply_roles(std::move(roles));
        self->broadcast(serialize(self->roles_json()));
    });
}

void Room::on_media_server(bool up) {
    net::post(strand_, [self = shared_from_this(), up] {
        if (self->media_) self->media_->on_server_state(up);
    });
}

Json Room::media_json() const {
    if (media_) return media_->state_json();
    return {{"mode", "p2p"}, {"server", nullptr}, {"source", nullptr}};
}

void Room::forget_if_unused() {
    if (!members_.empty() || !ctx_.rooms || forgotten_ || (media_ && media_->holds_room())) return;
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
    auto set_stream_live_job = [id, started](store::Store& s) -> Result<bool> { return s.set_stream_live(id, started); };
    auto saved = co_await db::write<bool>(ctx_.database, set_stream_live_job);
    if (!saved || !*saved) co_return false;
    stream_.status = next->status;
    stream_.started_at = next->started_at;
    // The statistics series starts at go-live with the count then (viewers may have been waiting).
    const int waiting = presence_.viewers_count();
    ctx_.database.write([id, started, waiting](store::Store& s) { s.add_viewer_sample(id, started, waiting); },
                        [](bool, std::string) {});
    logger()->info("stream live id={} by={}", id, by);
    co_return true;
}

void Room::on_whip_gone() {
    if (!streamer_connection_) streamer_last_seen_ = Clock::now();
    forget_if_unused();
}

void Room::on_whep_gone(std::uint64_t connection_id) {
    auto change = presence_.leave(connection_id);
    if (change.count_changed) schedule_viewers_update();
    forget_if_unused();
}

void Room::disconnect_all() {
    net::post(strand_, [self = shared_from_this()] {
        for (auto& [conn, member] : self->members_)
            if (auto s = member.session.lock()) s->close(websocket::close_code::service_restart, "server restarting");
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
        if (role != member.role && member.user) {
            member.role = role;
            presence_.set_role(member.user->id, role);
        }
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
    auto it = members_.find(connection_id);
    if (it == members_.end()) return;
    if (auto s = it->second.session.lock()) s->deliver(message);
}

void Room::send(std::uint64_t connection_id, const Json& message) {
    send_message(connection_id, serialize(message));
}

void Room::broadcast(const Message& message, std::optional<std::uint64_t> except) {
    for (auto& [id, member] : members_) {
        if (except && *except == id) continue;
        if (auto s = member.session.lock()) s->deliver(message);
    }
}

void Room::reply_error(std::uint64_t connection_id, const Error& error, const Json& ref) {
    send(connection_id, error_json(error, ref));
}

void Room::close_member(std::uint64_t connection_id, std::uint16_t code, std::string reason) {
    auto it = members_.find(connection_id);
    if (it == members_.end()) return;
    if (auto s = it->second.session.lock()) s->close(static_cast<websocket::close_code>(code), std::move(reason));
}

net::awaitable<void> Room::do_join(std::shared_ptr<Room> self, std::shared_ptr<WsSession> session,
                                   std::optional<store::User> user) {
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
        if (self->streamer_connection_) {
            const auto old = *self->streamer_connection_;
            Json replaced = error_json(make_error(Errc::Conflict, "this stream was opened in another window"));
            replaced["error"] = "replaced";
            self->send(old, replaced);
            self->close_member(old, kCloseReplaced, "replaced by a newer connection");
        }
        self->streamer_connection_ = conn;
    }
    self->members_[conn] = Member{session, user, role};
    live::Viewer viewer{user ? std::optional<live::UserId>(user->id) : std::nullopt, user ? user->username : "", role};
    auto change = self->presence_.join(conn, viewer);

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
    self->send(conn, {{"type", "connection_established"},
                      {"connection_id", conn},
                      {"stream", stream_json(self->stream_)},
                      {"you", self->you_json(it->second)},
                      {"viewers_count", self->presence_.viewers_count()},
                      {"peak_viewers", self->presence_.peak_viewers()},
                      {"comments", comments},
                      {"roles", roles},
                      {"emotes", emotes},
                      {"media", self->media_json()}});
    if (role == Role::Streamer) {
        for (const auto& [other, member] : self->members_)
            if (other != conn && member.role != Role::Streamer)
                self->send(conn, {{"type", "user_joined"},
                                  {"connection_id", other},
                                  {"username", member.user ? Json(member.user->username) : Json(nullptr)},
                                  {"role", live::role_name(member.role)}});
    } else if (self->streamer_connection_) {
        self->send(*self->streamer_connection_, {{"type", "user_joined"},
                                                 {"connection_id", conn},
                                                 {"username", user ? Json(user->username) : Json(nullptr)},
                                                 {"role", live::role_name(role)}});
    }
    if (change.count_changed || change.peak_changed) self->schedule_viewers_update();
    if (self->media_ && role != Role::Streamer) self->media_->on_viewer_joined(conn);
}

void Room::do_leave(std::uint64_t connection_id) {
    auto it = members_.find(connection_id);
    if (it == members_.end()) return;
    Member member = std::move(it->second);
    members_.erase(it);
    auto change = presence_.leave(connection_id);
    if (streamer_connection_ == connection_id) {
        streamer_connection_.reset();
        streamer_last_seen_ = Clock::now();
    } else if (streamer_connection_ && member.role != Role::Streamer) {
        send(*streamer_connection_, {{"type", "user_left"},
                                     {"connection_id", connection_id},
                                     {"username", member.user ? Json(member.user->username) : Json(nullptr)}});
    }
    if (change.count_changed) schedule_viewers_update();
    if (media_) media_->on_left(connection_id);
    forget_if_unused();
}

void Room::schedule_viewers_update() {
    if (update_pending_) return;
    update_pending_ = true;
    update_timer_.expires_after(ctx_.viewers_update_interval);
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
    if (!self->members_.count(from)) co_return;
    auto msg = Json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) {
        self->reply_error(from, make_error(Errc::BadInput, "messages must be JSON objects with a \"type\""), nullptr);
        co_return;
    }
    Json ref = msg.contains("ref") ? msg["ref"] : Json(nullptr);
    auto type_it = msg.find("type");
    if (type_it == msg.end() || !type_it->is_string()) {
        self->reply_error(from, make_error(Errc::BadInput, "\"type\" is required", "type"), ref);
        co_return;
    }
    const std::string type = type_it->get<std::string>();
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
            const bool from_streamer = self->streamer_connection_ == from;
            co_await self->media_->on_signal(from, from_streamer, type, std::move(msg), ref);
        } else if (to_server) {
            self->reply_error(from, make_error(Errc::Conflict, "this server sends media peer-to-peer (--media p2p)"), ref);
        } else {
            self->on_signal(from, type, std::move(msg), ref);
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

void Room::on_signal(std::uint64_t from, const std::string& type, Json msg, const Json& ref) {
    const bool from_streamer = streamer_connection_ == from;
    const char* payload_field = type == "ice_candidate" ? "candidate" : "sdp";
    if (!msg.contains(payload_field)) {
        reply_error(from, make_error(Errc::BadInput, type + " needs \"" + payload_field + "\"", payload_field), ref);
        return;
    }
    std::uint64_t target;
    if (from_streamer) {
        if (type == "answer") {
            reply_error(from, make_error(Errc::Forbidden, "the streamer sends offers, not answers"), ref);
            return;
        }
        auto named = connection_field(msg, "target");
        if (!named || *named == from || !members_.count(*named)) {
            reply_error(from, make_error(Errc::NotFound, "target is not a viewer connection in this stream", "target"),
                        ref);
            return;
        }
        target = *named;
    } else {
        // A viewer signals only the streamer, whatever it names.
        if (type == "offer") {
            reply_error(from, make_error(Errc::Forbidden, "only the streamer sends offers"), ref);
            return;
        }
        if (!streamer_connection_) {
            reply_error(from, make_error(Errc::NotFound, "the streamer is not connected"), ref);
            return;
        }
        target = *streamer_connection_;
    }
    send(target, {{"type", type}, {"from", from}, {payload_field, std::move(msg[payload_field])}});
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
    if (!chat_limiter_.try_take(user.id, now)) {
        Json err = error_json(make_error(Errc::RateLimited, "slow down: too many comments"), ref);
        err["retry_after_ms"] = chat_limiter_.retry_after(user.id, now).count();
        send(from, err);
        co_return;
    }
    const auto id = stream_id_;
    std::string text = std::move(*content);
    auto add_comment_job = [id, user, text, now](store::Store& s) -> Result<store::CommentRow> {
        return s.add_comment(id, user.id, text, now);
    };
    auto row = co_await db::write<store::CommentRow>(ctx_.database, add_comment_job);
    if (!row) {
        reply_error(from, make_error(Errc::Unavailable, "the comment could not be stored, try again"), ref);
        co_return;
    }
    Json j = comment_json(*row, member.role);
    broadcast(serialize(j), from);
    if (!ref.is_null()) j["ref"] = ref;
    send(from, j);  // the sender's acknowledgement: its comment with the id it got
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
    auto delete_it = [id, comment, by, now](store::Store& s) -> Result<bool> {
        return s.delete_comment(id, comment, by, now);
    };
    auto deleted = co_await db::write<bool>(ctx_.database, delete_it);
    if (!deleted) {
        reply_error(from, deleted.error(), ref);
        co_return;
    }
    if (!*deleted) {
        reply_error(from, make_error(Errc::NotFound, "no such comment in this stream", "comment_id"), ref);
        co_return;
    }
    broadcast(serialize({{"type", "comment_deleted"}, {"comment_id", comment}, {"by", member.user->username}}));
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
    auto add_sanction_job = [id, user, kind, until, by, now](store::Store& s) -> Result<Ok> {
        s.add_sanction(id, user.id, kind, until, by, now);
        return Ok{};
    };
    auto saved = co_await db::write<Ok>(ctx_.database, add_sanction_job);
    if (!saved) {
        reply_error(from, saved.error(), ref);
        co_return;
    }
    sanctions_.add(live::Sanction{user.id, kick ? live::SanctionKind::Kick : live::SanctionKind::Timeout, until});
    const std::string& by_name = member.user->username;
    if (!kick) {
        broadcast(serialize({{"type", "user_timed_out"},
                             {"username", user.username},
                             {"seconds", duration.count()},
                             {"until", live::to_unix_seconds(until)},
                             {"by", by_name}}));
        co_return;
    }
    const auto kicked_connections = presence_.connections_of(user.id);
    auto notice = serialize({{"type", "kicked"},
                             {"reason", "removed from this stream"},
                             {"until", live::to_unix_seconds(until)},
                             {"by", by_name}});
    for (auto c : kicked_connections) {
        if (media_) media_->on_kicked(c);  // the video stops now, not when the socket closes
        send_message(c, notice);
        close_member(c, kCloseKicked, "kicked");
    }
    auto others = serialize({{"type", "user_kicked"}, {"username", user.username}, {"by", by_name}});
    for (auto& [c, m] : members_)
        if (std::find(kicked_connections.begin(), kicked_connections.end(), c) == kicked_connections.end())
            send_message(c, others);
    logger()->info("user kicked stream={} user={} by={}", stream_id_, user.username, by_name);
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
    auto change_role_job = [id, user, now, moderator, add](store::Store& s) -> Result<store::RoleLists> {
        if (moderator)
            add ? s.add_moderator(id, user.id, now) : s.remove_moderator(id, user.id);
        else
            add ? s.add_vip(id, user.id, now) : s.remove_vip(id, user.id);
        return s.roles(id);
    };
    auto roles = co_await db::write<store::RoleLists>(ctx_.database, change_role_job);
    if (!roles) {
        reply_error(from, roles.error(), ref);
        co_return;
    }
    apply_roles(std::move(*roles));
    broadcast(serialize(roles_json()));
}

net::awaitable<void> Room::do_end(std::shared_ptr<Room> self, std::string reason) {
    if (self->ended_) co_return;
    const auto now = Clock::now();
    live::StreamTimes times{self->stream_.status, self->stream_.started_at, self->stream_.ended_at};
    auto next = live::apply(times, live::StreamEvent::EndRequested, now);
    if (!next) co_return;
    self->ended_ = true;  // before awaiting: no second end, no new joins
    const auto id = self->stream_id_;
    auto set_stream_ended_job = [id, now](store::Store& s) -> Result<bool> { return s.set_stream_ended(id, now); };
    auto saved = co_await db::write<bool>(self->ctx_.database, set_stream_ended_job);
    if (!saved) logger()->error("stream end not stored id={} error={}", id, saved.error().message);
    self->stream_.status = live::StreamStatus::Ended;
    self->stream_.ended_at = now;
    if (self->media_) self->media_->on_stream_ended();
    logger()->info("stream ended id={} reason={} viewers={}", id, reason, self->presence_.viewers_count());
    self->broadcast(serialize(
        {{"type", "stream_ended"}, {"stream_id", id}, {"ended_at", live::to_unix_seconds(now)}, {"reason", reason}}));
    for (auto& [conn, member] : self->members_)
        if (auto s = member.session.lock()) s->close(websocket::close_code::normal, "stream ended");
    self->forget_if_unused();  // a room with nobody on a WebSocket (WHIP only) goes now
}

net::awaitable<Json> Room::viewer_list(std::shared_ptr<Room> self) {
    Json viewers = Json::array();
    for (const auto& v : self->presence_.list()) viewers.push_back(v);
    co_return Json{{"viewers", viewers}, {"viewers_count", self->presence_.viewers_count()}};
}

net::awaitable<RoomFacts> Room::facts(std::shared_ptr<Room> self) {
    RoomFacts f;
    f.stream = self->stream_;
    f.viewers_count = self->presence_.viewers_count();
    f.streamer_connected = self->streamer_connection_.has_value() || (self->media_ && self->media_->whip_publishing());
    f.streamer_last_seen = self->streamer_last_seen_;
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
    auto change = self->presence_.join(connection, guest);
    if (change.count_changed || change.peak_changed) self->schedule_viewers_update();
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
    self->on_whep_gone(*connection);
    co_return Ok{};
}

}  // namespace redred::ws
