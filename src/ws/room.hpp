// One live stream's room: presence, chat, roles, moderation and WebRTC signaling for every WebSocket joined to
// it. Lives on its own strand; all members below are touched only there. Entry points (join, leave, receive,
// end, on_event) may be called from any thread and post. Decisions come from live::, persistence from the
// Database (awaited: a comment is broadcast only after it is stored), delivery through WsSession::deliver.
//
// Everything that changes what clients see goes through one path: emit() an event, apply() it. On one process
// apply() runs at once. With --redis the event is published to the cluster bus and applied when it comes back
// from Redis, on every process alike, so every room replica (one per process with clients of the stream)
// applies the same events in the same order: presence (all the cluster's connections), sanctions, roles and
// the stream's status are the same everywhere, and each process delivers to its own sockets only.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/net.hpp"
#include "live/moderation.hpp"
#include "live/permissions.hpp"
#include "live/presence.hpp"
#include "live/rate_limiter.hpp"
#include "live/viewer_stats.hpp"
#include "store/store.hpp"
#include "ws/live_context.hpp"
#include "ws/fanout.hpp"
#include "ws/protocol.hpp"
#include "state/redis/live_bus.hpp"
#include "ws/room_media.hpp"
#include "ws/ws_session.hpp"

namespace redred::ws {

// Close codes beyond RFC 6455's, documented in docs/PROTOCOL.md.
inline constexpr std::uint16_t kCloseKicked = 4001;
inline constexpr std::uint16_t kCloseReplaced = 4002;

struct RoomFacts {
    store::StreamRow stream;
    int viewers_count = 0;
    bool streamer_connected = false;
    std::optional<live::TimePoint> streamer_last_seen;
    bool in_publisher_grace = false;  // this room's timer ends the stream if the streamer is not back in time
};

class Room : public std::enable_shared_from_this<Room> {
public:
    Room(LiveContext& ctx, store::StreamRow stream, store::RoleLists roles, std::vector<store::SanctionRow> sanctions);

    live::StreamId id() const { return stream_id_; }
    net::any_io_executor strand() const { return strand_; }

    // After registration: with --redis, loads the cluster's presence; joins wait for it.
    static void start(std::shared_ptr<Room> self);
    void join(std::shared_ptr<WsSession> session, std::optional<store::User> user);
    void leave(std::uint64_t connection_id);
    void receive(std::uint64_t connection_id, std::string text);
    void end(std::string reason);                // REST end, cleanup; no-op once ended
    void disconnect_all();                       // server shutdown: close 1012, the stream stays live
    void on_media_server(bool up);               // the media server (Janus) came or went
    void release_if_unused();                    // loaded only to look (cleanup): leave the registry if empty

    // Cluster bus (--redis). An event of this stream, in bus order (origin: the publishing process's tag).
    void on_event(std::uint32_t origin, std::uint64_t seq, Json body);
    void on_bus_link(bool up);                   // lost: apply own pending events here; back: resync
    void on_instance_gone(std::uint32_t tag);    // that process's connections leave

    // Events other code publishes (RoomRegistry::publish).
    static Json roles_event(const store::RoleLists& roles);
    static Json ended_event(live::TimePoint at, const std::string& reason);
    static store::ModerationKind role_change_kind(bool moderator, bool add);

    // WHIP and WHEP (docs/API.md), run on the strand: co_spawn(room->strand(), Room::whip_publish(room, ...)).
    static net::awaitable<Result<MediaSessionAnswer>> whip_publish(std::shared_ptr<Room> self, std::string offer);
    static net::awaitable<Result<Ok>> whip_trickle(std::shared_ptr<Room> self, std::string session,
                                                   media::sdp::Fragment fragment);
    static net::awaitable<Result<Ok>> whip_stop(std::shared_ptr<Room> self, std::string session);
    static net::awaitable<Result<MediaSessionAnswer>> whep_play(std::shared_ptr<Room> self, std::string offer);
    static net::awaitable<Result<Ok>> whep_trickle(std::shared_ptr<Room> self, std::string session,
                                                   media::sdp::Fragment fragment);
    static net::awaitable<Result<Ok>> whep_stop(std::shared_ptr<Room> self, std::string session);

    // The one place a moderation action (warn, delete, timeout, kick, add/remove moderator or VIP) is
    // recorded, from the WebSocket and REST alike. Runs `change`, the action's own write (false: nothing
    // changed, so nothing is recorded), and stores `entry` in the same transaction; returns the stored row
    // (nullopt when nothing changed) once committed, so an action is announced only after its log row is
    // durable. Callers put moderation_action_json(row) in the action's room event as "log": every process
    // shows it to its streamer and moderators (`moderation_action`). Any thread; the row is written once.
    using ModerationChange = std::function<Result<bool>(store::Store&)>;
    static net::awaitable<Result<std::optional<store::ModerationActionRow>>> record_moderation_action(
        LiveContext& ctx, store::ModerationActionRow entry, ModerationChange change);

    // Run on the strand (co_spawn(room->strand(), ..., use_awaitable)).
    static net::awaitable<Json> viewer_list(std::shared_ptr<Room> self);
    static net::awaitable<RoomFacts> facts(std::shared_ptr<Room> self);

private:
    friend class RoomMedia;

    struct Member {
        std::weak_ptr<WsSession> session;
        std::optional<store::User> user;
        live::Role role = live::Role::Guest;
        bool established = false;  // connection_established sent (the streamer's viewer list goes with it)
        // What the room sent it before connection_established (an offer from a streamer who saw the join, a
        // comment): handed over right after it, since a client starts afresh on connection_established.
        std::vector<std::pair<fanout::Text, std::uint32_t>> held;
        std::size_t held_bytes = 0;
    };
    enum class PresenceWrite { None, Add, Remove, RemoveStreamer };

    static net::awaitable<void> do_join(std::shared_ptr<Room> self, std::shared_ptr<WsSession> session,
                                        std::optional<store::User> user);
    static net::awaitable<void> do_receive(std::shared_ptr<Room> self, std::uint64_t connection_id, std::string text);
    static net::awaitable<void> do_end(std::shared_ptr<Room> self, std::string reason);
    static net::awaitable<void> do_leave(std::shared_ptr<Room> self, std::uint64_t connection_id);
    static net::awaitable<void> sync(std::shared_ptr<Room> self, bool restore_mine);
    net::awaitable<void> wait_synced();
    // Publishes `event` (with --redis) and returns once it has been applied here.
    net::awaitable<void> emit(Json event, PresenceWrite write = PresenceWrite::None, std::uint64_t connection = 0);
    void handle_event(std::uint32_t origin, std::uint64_t seq, const Json& body);  // on the strand, synced
    void apply(const Json& event);
    void apply_join(std::uint64_t connection, const live::Viewer& viewer);
    void apply_leave(std::uint64_t connection);
    void apply_kick(const Json& event);
    void apply_warn(const Json& event);
    // To this process's connections of the streamer and moderators (the moderation log, user_warned),
    // except `except_user`'s.
    void send_to_moderators(const Message& message, std::optional<live::UserId> except_user = std::nullopt);
    void apply_ended(const Json& event);
    bool is_local(std::uint64_t connection) const { return members_.count(connection) > 0; }
    std::optional<std::uint64_t> streamer() const { return presence_.streamer_connection(); }
    bool records_here() const;  // this process persists the counts (one writer per stream in a cluster)
    // waiting -> live (the streamer's studio or a WHIP encoder arrived); false if it could not be stored.
    net::awaitable<bool> go_live(const std::string& by);
    void on_whip_gone();                              // from RoomMedia: the WHIP encoder is gone
    // The publisher grace (--publisher-grace-s): a live stream whose streamer left waits for them. Derived on
    // every process from the applied leave and join events, so each tells its own sockets.
    bool publisher_present() const;                   // the streamer's WebSocket (anywhere) or a WHIP encoder
    void begin_grace(live::TimePoint left_at);        // streamer_disconnected, then the timer
    void end_grace(std::uint64_t streamer_connection);  // streamer_reconnected to everyone else
    void arm_grace_timer(live::TimePoint at);
    void on_grace_timer();
    static net::awaitable<void> end_after_grace(std::shared_ptr<Room> self);
    Json streamer_disconnected_json() const;
    static net::awaitable<void> on_whep_gone(std::shared_ptr<Room> self, std::uint64_t connection_id);
    void forget_if_unused();
    Json media_json() const;

    net::awaitable<void> on_comment(std::uint64_t from, Json msg, Json ref);
    net::awaitable<void> on_delete_comment(std::uint64_t from, Json msg, Json ref);
    net::awaitable<void> on_sanction(std::uint64_t from, Json msg, Json ref, live::Action action);
    net::awaitable<void> on_warn(std::uint64_t from, Json msg, Json ref);
    net::awaitable<void> on_role_change(std::uint64_t from, Json msg, Json ref, std::string type);
    net::awaitable<void> on_signal(std::uint64_t from, const std::string& type, Json msg, const Json& ref);

    // Resolves `username` to a user and their role here; NotFound if there is no such account.
    net::awaitable<Result<std::pair<store::User, live::Role>>> target_user(const Json& msg);

    live::Role role_for(const std::optional<store::User>& user) const;
    Json roles_json() const;
    Json you_json(const Member& m) const;
    // Delivery to this process's sockets, in call order for every socket. All of it goes through fan-out
    // passes: a pass hands one batch to every socket (each socket's share as one frame); what is sent while a
    // pass is under way waits in outbox_ and goes out, all together, in the next pass. So a room that is not
    // keeping up sends fewer, larger frames instead of falling behind (see docs/BENCHMARKS.md).
    void send(std::uint64_t connection_id, const Json& message);
    void send_message(std::uint64_t connection_id, const Message& message);
    void broadcast(const Message& message, std::vector<std::uint64_t> except = {});
    void reply_error(std::uint64_t connection_id, const Error& error, const Json& ref);
    void close_member(std::uint64_t connection_id, std::uint16_t code, std::string reason);
    void close_all(websocket::close_code code, std::string reason);
    void enqueue(fanout::Outgoing outgoing);
    void run_pass(std::vector<fanout::Outgoing> batch);
    static constexpr std::size_t kMaxHeldBytes = 1 << 20;
    void hold(Member& member, WsSession& session, const fanout::Text& text, std::uint32_t count);
    void hand_over_held(Member& member, WsSession& session, const std::shared_ptr<void>& pass);
    void establish(Member& member, WsSession& session, const Json& connection_established);
    void on_pass_done();
    void start_pass_when_due();
    void apply_roles(store::RoleLists roles);
    void add_stored_sanctions(const std::vector<store::SanctionRow>& rows);
    void schedule_viewers_update();
    void flush_viewers_update();

    LiveContext& ctx_;
    const live::StreamId stream_id_;
    net::any_io_executor strand_;

    // Strand only.
    store::StreamRow stream_;
    std::set<live::UserId> moderators_, vips_;
    std::map<live::UserId, std::string> role_names_;  // usernames of moderators and VIPs
    live::Sanctions sanctions_;
    live::Presence presence_;
    live::RateLimiter chat_limiter_;
    live::ViewerTimeline timeline_;
    std::map<std::uint64_t, Member> members_;   // this process's sockets; presence_ has the whole cluster's
    std::optional<live::TimePoint> streamer_last_seen_;
    std::optional<live::TimePoint> grace_since_;  // set while in the publisher grace: when the streamer left
    net::steady_timer grace_timer_;
    bool ended_ = false;            // set before the end is stored: no new joins
    bool end_applied_ = false;      // stream_ended delivered
    // Cluster bus.
    std::shared_ptr<state::redis::LiveBus> bus_;
    bool synced_ = true;            // false while loading the cluster's presence; events wait in early_
    std::vector<std::tuple<std::uint32_t, std::uint64_t, Json>> early_;
    net::steady_timer synced_signal_;
    std::map<std::uint64_t, std::shared_ptr<net::steady_timer>> pending_;  // own events not back yet, by seq
    std::set<std::uint64_t> applied_early_;  // own events applied without their echo (Redis away)
    bool forgotten_ = false;  // left the registry when it emptied; late joins go to a fresh room
    std::vector<fanout::Outgoing> outbox_;  // sent while a pass is under way
    bool pass_running_ = false;
    bool pass_waiting_ = false;  // outbox_ waits for pass_timer_
    std::chrono::steady_clock::time_point last_pass_at_{};  // when the last pass started
    net::steady_timer pass_timer_;
    bool update_pending_ = false;
    net::steady_timer update_timer_;
    std::unique_ptr<RoomMedia> media_;  // --media janus only; declared last: destroyed first
};

}  // namespace redred::ws
