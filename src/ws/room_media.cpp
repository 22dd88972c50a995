#include "ws/room_media.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"
#include "media/videoroom.hpp"
#include "media/whep_bridge.hpp"
#include "ws/room.hpp"

namespace redred::ws {
namespace {

namespace janus = media::janus;
namespace videoroom = media::videoroom;
using media::Layer;
using media::Quality;

auto logger() {
    return log::get("media");
}

void log_if_thrown(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        logger()->error("media task failed error={}", ex.what());
    }
}

// While WHEP players watch, the room asks the publisher for a keyframe this often: their keyframe requests
// cannot reach it through the bridge (see media/whep_bridge.hpp).
constexpr int kWhepKeyframeSeconds = 5;
// A layer switch waits for a keyframe of the new layer; Janus asks for one, but Chrome ignores requests that
// come too soon after the previous one. If the switch has not happened after this long, ask again.
constexpr auto kLayerSwitchGrace = std::chrono::milliseconds(1000);
// A subscription that fails (the media server busy or restarting) is tried again this many times, 1 s, 2 s...
constexpr int kSubscribeAttempts = 3;

Json candidate_of(const Json& msg) {
    auto it = msg.find("candidate");
    if (it == msg.end() || it->is_null()) return nullptr;  // end of candidates
    return *it;
}

// The first m-section of `kind` in an SDP: its mid and codec (for the publication's facts).
void read_section(const media::sdp::Description& d, const char* kind, std::string& mid, std::string& codec) {
    if (const auto* m = media::sdp::first_of_kind(d, kind)) {
        mid = m->mid;
        if (!m->codecs.empty()) codec = m->codecs.front().name;
    }
}

}  // namespace

RoomMedia::RoomMedia(Room& room, std::shared_ptr<media::Sfu> sfu, Metrics& metrics)
    : room_(room), sfu_(std::move(sfu)), metrics_(metrics), server_up_(sfu_->up()) {}

RoomMedia::~RoomMedia() {
    // The room is being destroyed: release everything at Janus without calling back into it.
    auto& janus = sfu_->janus();
    if (publisher_) {
        if (publisher_->handle) janus.detach(publisher_->handle);
        metrics_.sfu_publishers.sub();
        if (publisher_->source == media::Source::Whip) metrics_.whip_sessions.sub();
    }
    for (auto& [connection, sub] : subscribers_) {
        if (sub.handle) janus.detach(sub.handle);
        if (sub.counted) metrics_.sfu_subscribers.sub();
    }
    for (auto& [id, whep] : whep_) {
        if (whep.handle) janus.detach(whep.handle);
        metrics_.whep_sessions.sub();
    }
    if (sfu_room_) {
        sfu_->destroy_room(*sfu_room_);
        metrics_.sfu_rooms.sub();
    }
}

std::shared_ptr<Room> RoomMedia::room_ptr() const {
    return room_.shared_from_this();
}

Json RoomMedia::state_json() const {
    return {{"mode", "janus"},
            {"server", server_up_ ? "up" : "down"},
            {"source", publisher_ ? Json(media::source_name(publisher_->source)) : Json(nullptr)}};
}

bool RoomMedia::whip_publishing() const {
    return publisher_ && publisher_->source == media::Source::Whip;
}

bool RoomMedia::holds_room() const {
    return whip_publishing() || !whep_.empty();
}

void RoomMedia::broadcast_state() {
    Json state = state_json();
    state["type"] = "media_state";
    room_.broadcast(serialize(state));
}

// ---- the media server's room ----

net::awaitable<Result<media::SfuRoom>> RoomMedia::ensure_room() {
    // One creation at a time: a second caller waits for the first one's outcome.
    net::steady_timer wait(room_.strand_);
    while (creating_room_) {
        wait.expires_after(std::chrono::milliseconds(20));
        co_await wait.async_wait(use_awaitable);
    }
    if (sfu_room_ && sfu_room_->generation == sfu_->janus().generation()) co_return *sfu_room_;
    if (sfu_room_) {
        sfu_room_.reset();  // made in a Janus session that is gone
        metrics_.sfu_rooms.sub();
    }
    creating_room_ = true;
    auto created = co_await sfu_->create_room(room_.stream_id_, room_.stream_.title);
    creating_room_ = false;
    if (!created) co_return created.error();
    if (ended_) {
        sfu_->destroy_room(*created);
        co_return make_error(Errc::Conflict, "this stream has ended");
    }
    sfu_room_ = *created;
    metrics_.sfu_rooms.add();
    co_return *sfu_room_;
}

// ---- the publication ----

net::awaitable<Result<std::string>> RoomMedia::publish(media::Source source, std::optional<std::uint64_t> connection,
                                                       std::string whip_session, std::string offer) {
    if (!server_up_) co_return make_error(Errc::Unavailable, "the media server is unavailable; try again shortly");
    if (ended_) co_return make_error(Errc::Conflict, "this stream has ended");
    auto parsed = media::sdp::parse(offer);
    if (!parsed) co_return parsed.error();
    if (!media::sdp::first_of_kind(*parsed, "video") && !media::sdp::first_of_kind(*parsed, "audio"))
        co_return make_error(Errc::BadInput, "the offer has neither audio nor video", "sdp");

    stop_publisher("replaced by a newer publication", true);
    const auto serial = next_serial_++;
    Publisher fresh;
    fresh.serial = serial;
    fresh.source = source;
    fresh.connection = connection;
    fresh.whip_session = std::move(whip_session);
    publisher_ = std::move(fresh);
    metrics_.sfu_publishers.add();
    if (source == media::Source::Whip) metrics_.whip_sessions.add();

    auto self = room_ptr();  // keeps the room (and this) alive across the awaits below
    auto room = co_await ensure_room();
    if (!current_publisher(serial)) co_return make_error(Errc::Conflict, "replaced by a newer publication");
    if (!room) {
        stop_publisher("no media room", false);
        co_return room.error();
    }
    std::weak_ptr<Room> weak = self;
    media::JanusClient::EventHandler on_event = [weak, serial](janus::Incoming in) {
        if (auto r = weak.lock(); r && r->media_) r->media_->on_publisher_event(serial, std::move(in));
    };
    const std::string plugin(janus::kVideoRoom);  // named: see STYLE §3 (GCC 12, prvalues in co_await)
    auto handle = co_await sfu_->janus().attach(plugin, room_.strand_, on_event);
    if (!handle) {
        if (current_publisher(serial)) stop_publisher("attach failed", false);
        co_return handle.error();
    }
    if (!current_publisher(serial)) {
        sfu_->janus().detach(*handle);
        co_return make_error(Errc::Conflict, "replaced by a newer publication");
    }
    publisher_->handle = *handle;
    const std::string display = source == media::Source::Whip ? "whip" : "studio";
    Json jsep{{"type", "offer"}, {"sdp", std::move(offer)}};
    auto body = videoroom::join_and_publish(room->id, display);
    auto reply = co_await sfu_->janus().message(*handle, std::move(body), std::move(jsep));
    if (!current_publisher(serial)) co_return make_error(Errc::Conflict, "replaced by a newer publication");
    if (!reply || !reply->jsep.is_object() || !reply->jsep.contains("sdp")) {
        const Error error = reply ? make_error(Errc::BadInput, "the media server did not accept this offer", "sdp")
                                  : reply.error();
        logger()->warn("publish refused stream={} error={}", room_.stream_id_, error.message);
        stop_publisher("refused", true);
        co_return error;
    }
    std::string answer = reply->jsep["sdp"].get<std::string>();
    publisher_->feed = videoroom::joined_publisher_id(reply->data).value_or(0);
    publisher_->negotiated = true;
    if (auto described = media::sdp::parse(answer)) {
        read_section(*described, "video", publisher_->video_mid, publisher_->video_codec);
        read_section(*described, "audio", publisher_->audio_mid, publisher_->audio_codec);
    }
    for (auto& candidate : publisher_->early_candidates) sfu_->janus().trickle(*handle, std::move(candidate));
    publisher_->early_candidates.clear();
    logger()->info("publishing stream={} source={} feed={} video={} audio={}", room_.stream_id_,
                   media::source_name(source), publisher_->feed, publisher_->video_codec, publisher_->audio_codec);
    broadcast_state();
    co_return answer;
}

void RoomMedia::stop_publisher(const char* reason, bool detach) {
    if (!publisher_) return;
    Publisher gone = std::move(*publisher_);
    publisher_.reset();
    metrics_.sfu_publishers.sub();
    if (detach && gone.handle) sfu_->janus().detach(gone.handle);
    logger()->info("publication stopped stream={} source={} reason={}", room_.stream_id_,
                   media::source_name(gone.source), reason);
    // Subscriptions and WHEP players were fed by it: they end with it (new offers follow a new publication).
    for (auto& [connection, sub] : subscribers_) {
        if (sub.handle) sfu_->janus().detach(sub.handle);
        if (sub.counted) metrics_.sfu_subscribers.sub();
        sub.handle = {};
        sub.counted = false;
        sub.answered = false;
        sub.serial = 0;
        sub.early_candidates.clear();
    }
    drop_all_whep(detach);
    if (gone.source == media::Source::Whip) {
        metrics_.whip_sessions.sub();
        room_.on_whip_gone();
    }
    if (!ended_) broadcast_state();
}

void RoomMedia::on_publisher_event(std::uint64_t serial, janus::Incoming in) {
    if (!current_publisher(serial)) return;
    switch (in.kind) {
        case janus::Kind::WebrtcUp:
            if (!publisher_->flowing) {
                publisher_->flowing = true;
                logger()->info("publication up stream={} source={}", room_.stream_id_,
                               media::source_name(publisher_->source));
                for (auto& [connection, member] : room_.members_)
                    if (member.role != live::Role::Streamer)
                        net::co_spawn(room_.strand_, subscribe(room_ptr(), connection), log_if_thrown);
            }
            break;
        case janus::Kind::Hangup:
            stop_publisher("its connection closed", true);
            break;
        case janus::Kind::Detached:
            stop_publisher("detached", false);
            break;
        case janus::Kind::Media:
            logger()->debug("publication media stream={} event={}", room_.stream_id_, in.raw.dump());
            break;
        default:
            break;
    }
}

// ---- subscriptions ----

net::awaitable<void> RoomMedia::subscribe(std::shared_ptr<Room> room, std::uint64_t connection) {
    if (!room->media_) co_return;
    RoomMedia& self = *room->media_;
    if (!self.publisher_ || !self.publisher_->flowing || self.ended_ || !self.sfu_room_) co_return;
    auto member = room->members_.find(connection);
    if (member == room->members_.end() || member->second.role == live::Role::Streamer) co_return;
    auto& sub = self.subscribers_[connection];
    if (sub.handle) {
        self.sfu_->janus().detach(sub.handle);
        if (sub.counted) room->media_->metrics_.sfu_subscribers.sub();
    }
    const auto serial = self.next_serial_++;
    const auto publisher_serial = self.publisher_->serial;
    const auto feed = self.publisher_->feed;
    const auto room_id = self.sfu_room_->id;
    sub.serial = serial;
    sub.handle = {};
    sub.counted = false;
    sub.answered = false;
    sub.early_candidates.clear();
    if (sub.quality == Quality::Auto) sub.selector.emplace(std::chrono::steady_clock::now(), sub.layer);

    auto still_current = [&self, connection, serial, publisher_serial]() {
        auto it = self.subscribers_.find(connection);
        return it != self.subscribers_.end() && it->second.serial == serial && self.current_publisher(publisher_serial);
    };
    std::weak_ptr<Room> weak = room;
    media::JanusClient::EventHandler on_event = [weak, connection, serial](janus::Incoming in) {
        if (auto r = weak.lock(); r && r->media_) r->media_->on_subscriber_event(connection, serial, std::move(in));
    };
    const std::string plugin(janus::kVideoRoom);
    auto handle = co_await self.sfu_->janus().attach(plugin, room->strand_, on_event);
    if (!handle) {
        logger()->warn("subscribe failed stream={} connection={} error={}", room->stream_id_, connection,
                       handle.error().message);
        if (still_current()) self.retry_subscribe(connection);
        co_return;
    }
    if (!still_current()) {
        self.sfu_->janus().detach(*handle);
        co_return;
    }
    self.subscribers_[connection].handle = *handle;
    auto body = videoroom::subscribe(room_id, feed);
    auto reply = co_await self.sfu_->janus().message(*handle, std::move(body));
    if (!still_current()) co_return;  // the handle was detached by whoever replaced it
    auto& joined = self.subscribers_[connection];
    if (!reply || !reply->jsep.is_object() || !reply->jsep.contains("sdp")) {
        logger()->warn("subscribe refused stream={} connection={} error={}", room->stream_id_, connection,
                       reply ? std::string("no offer") : reply.error().message);
        self.sfu_->janus().detach(joined.handle);
        joined.handle = {};
        self.retry_subscribe(connection);
        co_return;
    }
    joined.failures = 0;
    joined.video_mid = videoroom::attached_video_mid(reply->data).value_or("");
    joined.counted = true;
    room->media_->metrics_.sfu_subscribers.add();
    room->send(connection, {{"type", "offer"},
                            {"peer", "server"},
                            {"sdp", reply->jsep["sdp"]},
                            {"quality",
                             {{"requested", media::quality_name(joined.quality)},
                              {"layer", media::layer_name(joined.layer)}}}});
}

net::awaitable<void> RoomMedia::on_viewer_answer(std::uint64_t from, Json msg, Json ref) {
    auto it = subscribers_.find(from);
    auto sdp = msg.find("sdp");
    if (sdp == msg.end() || !sdp->is_string()) {
        room_.reply_error(from, make_error(Errc::BadInput, "answer needs \"sdp\"", "sdp"), ref);
        co_return;
    }
    if (it == subscribers_.end() || !it->second.handle || it->second.answered) {
        room_.reply_error(from, make_error(Errc::NotFound, "there is no server offer to answer"), ref);
        co_return;
    }
    auto self = room_ptr();
    const auto serial = it->second.serial;
    const auto handle = it->second.handle;
    it->second.answered = true;
    Json jsep{{"type", "answer"}, {"sdp", sdp->get<std::string>()}};
    auto start = videoroom::start_subscriber();
    auto started = co_await sfu_->janus().message(handle, std::move(start), std::move(jsep));
    it = subscribers_.find(from);
    if (it == subscribers_.end() || it->second.serial != serial) co_return;
    if (!started) {
        room_.reply_error(from, make_error(Errc::BadInput, "the media server refused this answer: " +
                                                               started.error().message), ref);
        it->second.answered = false;
        co_return;
    }
    for (auto& candidate : it->second.early_candidates) sfu_->janus().trickle(handle, std::move(candidate));
    it->second.early_candidates.clear();
    if (it->second.layer != Layer::High) apply_layer(from, false);
}

void RoomMedia::retry_subscribe(std::uint64_t connection) {
    auto it = subscribers_.find(connection);
    if (it == subscribers_.end()) return;
    if (++it->second.failures > kSubscribeAttempts) {
        room_.send(connection, error_json(make_error(Errc::Unavailable, "the media server could not add you; you will "
                                                                        "get video when the stream's media restarts")));
        it->second.failures = 0;
        return;
    }
    auto timer = std::make_shared<net::steady_timer>(room_.strand_, std::chrono::seconds(it->second.failures));
    timer->async_wait([weak = std::weak_ptr<Room>(room_ptr()), timer, connection](error_code ec) {
        if (auto r = weak.lock(); !ec && r && r->media_) net::co_spawn(r->strand_, subscribe(r, connection), log_if_thrown);
    });
}

void RoomMedia::on_subscriber_event(std::uint64_t connection, std::uint64_t serial, janus::Incoming in) {
    auto it = subscribers_.find(connection);
    if (it == subscribers_.end() || it->second.serial != serial) return;
    // {"videoroom":"event","mid":"1","substream":N}: the switch to layer N happened.
    if (in.kind == janus::Kind::Event && in.data.is_object() && in.data.contains("substream") &&
        in.data["substream"].is_number_integer() &&
        in.data["substream"].get<int>() == static_cast<int>(it->second.layer))
        it->second.layer_confirmed = true;
    if (in.kind == janus::Kind::Hangup || in.kind == janus::Kind::Detached) {
        logger()->debug("subscription closed stream={} connection={}", room_.stream_id_, connection);
        if (it->second.counted) metrics_.sfu_subscribers.sub();
        if (in.kind == janus::Kind::Hangup) sfu_->janus().detach(it->second.handle);
        it->second.handle = {};
        it->second.counted = false;
        it->second.serial = 0;
    }
}

void RoomMedia::drop_subscriber(std::uint64_t connection, bool forget_quality) {
    auto it = subscribers_.find(connection);
    if (it == subscribers_.end()) return;
    if (it->second.handle) sfu_->janus().detach(it->second.handle);
    if (it->second.counted) metrics_.sfu_subscribers.sub();
    if (forget_quality) {
        subscribers_.erase(it);
    } else {
        it->second.handle = {};
        it->second.counted = false;
        it->second.serial = 0;
    }
}

void RoomMedia::on_viewer_joined(std::uint64_t connection) {
    if (publisher_ && publisher_->flowing) net::co_spawn(room_.strand_, subscribe(room_ptr(), connection), log_if_thrown);
}

void RoomMedia::on_left(std::uint64_t connection) {
    if (publisher_ && publisher_->connection == connection) stop_publisher("the studio left", true);
    drop_subscriber(connection, true);
}

void RoomMedia::on_kicked(std::uint64_t connection) {
    auto it = subscribers_.find(connection);
    if (it != subscribers_.end() && it->second.handle) metrics_.sfu_kicked_subscriptions.add();
    drop_subscriber(connection, true);
}

// ---- quality ----

void RoomMedia::apply_layer(std::uint64_t connection, bool tell_viewer) {
    auto it = subscribers_.find(connection);
    if (it == subscribers_.end()) return;
    auto& sub = it->second;
    if (tell_viewer)
        room_.send(connection, {{"type", "quality"},
                                {"requested", media::quality_name(sub.quality)},
                                {"layer", media::layer_name(sub.layer)}});
    if (!sub.handle || !sub.answered || sub.video_mid.empty()) return;  // applied after the answer
    metrics_.sfu_layer_switches.add();
    sub.layer_confirmed = false;
    const auto serial = sub.serial;
    auto timer = std::make_shared<net::steady_timer>(room_.strand_, kLayerSwitchGrace);
    timer->async_wait([weak = std::weak_ptr<Room>(room_ptr()), timer, connection, serial](error_code ec) {
        auto r = weak.lock();
        if (ec || !r || !r->media_) return;
        auto it = r->media_->subscribers_.find(connection);
        if (it != r->media_->subscribers_.end() && it->second.serial == serial && !it->second.layer_confirmed)
            r->media_->request_keyframe();
    });
    struct Configure {
        static net::awaitable<void> run(std::shared_ptr<Room> room, Handle handle, Json body) {
            auto done = co_await room->media_->sfu_->janus().message(handle, std::move(body));
            if (!done) logger()->debug("layer change failed stream={} error={}", room->stream_id_, done.error().message);
        }
    };
    net::co_spawn(room_.strand_, Configure::run(room_ptr(), sub.handle, videoroom::select_layer(sub.video_mid, sub.layer)),
                  log_if_thrown);
}

void RoomMedia::on_set_quality(std::uint64_t from, const Json& msg, const Json& ref) {
    auto q = msg.find("quality");
    auto quality = q != msg.end() && q->is_string() ? media::parse_quality(q->get<std::string>()) : std::nullopt;
    if (!quality) {
        room_.reply_error(from, make_error(Errc::BadInput, "quality must be auto, high, medium or low", "quality"), ref);
        return;
    }
    if (room_.streamer() == from) {
        room_.reply_error(from, make_error(Errc::Forbidden, "the streamer does not receive the stream"), ref);
        return;
    }
    auto& sub = subscribers_[from];
    sub.quality = *quality;
    if (auto fixed = media::fixed_layer(*quality)) {
        sub.selector.reset();
        sub.layer = *fixed;
    } else {
        sub.layer = Layer::High;
        sub.selector.emplace(std::chrono::steady_clock::now(), Layer::High);
    }
    apply_layer(from, true);
}

void RoomMedia::on_media_report(std::uint64_t from, const Json& msg) {
    auto it = subscribers_.find(from);
    if (it == subscribers_.end() || !it->second.selector || !it->second.answered) return;
    auto counter = [&msg](const char* name) -> std::uint64_t {
        auto v = msg.find(name);
        return v != msg.end() && v->is_number_unsigned() ? v->get<std::uint64_t>() : 0;
    };
    media::ReceiverReport report{counter("packets_received"), counter("packets_lost"), counter("frames_decoded"),
                                 counter("frames_dropped")};
    const Layer before = it->second.layer;
    it->second.layer = it->second.selector->on_report(report, std::chrono::steady_clock::now());
    if (it->second.layer != before) {
        logger()->debug("auto layer stream={} connection={} layer={}", room_.stream_id_, from,
                        media::layer_name(it->second.layer));
        apply_layer(from, true);
    }
}

// ---- signaling ----

void RoomMedia::on_candidate(std::uint64_t from, bool from_streamer, const Json& msg, const Json& ref) {
    Json candidate = candidate_of(msg);
    if (!candidate.is_null() && !candidate.is_object()) {
        room_.reply_error(from, make_error(Errc::BadInput, "candidate must be an object or null", "candidate"), ref);
        return;
    }
    if (from_streamer) {
        if (!publisher_ || publisher_->connection != from) return;  // a late candidate of a finished publication
        if (publisher_->negotiated)
            sfu_->janus().trickle(publisher_->handle, std::move(candidate));
        else if (publisher_->early_candidates.size() < 64)
            publisher_->early_candidates.push_back(std::move(candidate));
        return;
    }
    auto it = subscribers_.find(from);
    if (it == subscribers_.end() || !it->second.handle) return;
    if (it->second.answered)
        sfu_->janus().trickle(it->second.handle, std::move(candidate));
    else if (it->second.early_candidates.size() < 64)
        it->second.early_candidates.push_back(std::move(candidate));
}

net::awaitable<void> RoomMedia::on_signal(std::uint64_t from, bool from_streamer, std::string type, Json msg, Json ref) {
    if (type == "ice_candidate") {
        on_candidate(from, from_streamer, msg, ref);
        co_return;
    }
    if (type == "answer") {
        if (from_streamer) {
            room_.reply_error(from, make_error(Errc::Forbidden, "the streamer sends offers, not answers"), ref);
            co_return;
        }
        co_await on_viewer_answer(from, std::move(msg), ref);
        co_return;
    }
    // offer: the studio publishes.
    if (!from_streamer) {
        room_.reply_error(from, make_error(Errc::Forbidden, "only the streamer publishes"), ref);
        co_return;
    }
    auto sdp = msg.find("sdp");
    if (sdp == msg.end() || !sdp->is_string()) {
        room_.reply_error(from, make_error(Errc::BadInput, "offer needs \"sdp\"", "sdp"), ref);
        co_return;
    }
    auto self = room_ptr();
    auto answer = co_await publish(media::Source::Browser, from, {}, sdp->get<std::string>());
    if (!answer) {
        Error error = answer.error();
        if (error.code == Errc::Unavailable) error.code = Errc::Conflict;  // the socket stays; media_state tells more
        room_.reply_error(from, error, ref);
        co_return;
    }
    room_.send(from, {{"type", "answer"}, {"peer", "server"}, {"sdp", std::move(*answer)}});
}

// ---- the media server comes and goes ----

void RoomMedia::on_server_state(bool up) {
    if (up == server_up_) return;
    server_up_ = up;
    if (!up) {
        // Every handle died with the Janus session: forget them without detaching.
        stop_publisher("the media server went away", false);
        for (auto& [connection, sub] : subscribers_) {
            if (sub.counted) metrics_.sfu_subscribers.sub();
            sub.handle = {};
            sub.counted = false;
            sub.serial = 0;
        }
        if (sfu_room_) {
            sfu_room_.reset();
            metrics_.sfu_rooms.sub();
        }
    }
    if (!ended_) broadcast_state();
}

void RoomMedia::on_stream_ended() {
    if (ended_) return;
    stop_publisher("the stream ended", true);
    ended_ = true;
    for (auto& [connection, sub] : subscribers_) {
        if (sub.handle) sfu_->janus().detach(sub.handle);
        if (sub.counted) metrics_.sfu_subscribers.sub();
    }
    subscribers_.clear();
    drop_all_whep(true);
    if (sfu_room_) {
        sfu_->destroy_room(*sfu_room_);
        sfu_room_.reset();
        metrics_.sfu_rooms.sub();
    }
}

// ---- WHIP ----

net::awaitable<Result<MediaSessionAnswer>> RoomMedia::whip_publish(std::string offer) {
    std::string session = random_hex(16);
    const std::optional<std::uint64_t> no_connection;
    auto answer = co_await publish(media::Source::Whip, no_connection, session, std::move(offer));
    if (!answer) co_return answer.error();
    co_return MediaSessionAnswer{session, std::move(*answer)};
}

Result<Ok> RoomMedia::whip_trickle(const std::string& session, const media::sdp::Fragment& fragment) {
    if (!publisher_ || publisher_->source != media::Source::Whip || publisher_->whip_session != session)
        return make_error(Errc::NotFound, "no such WHIP session (it ended or was replaced)");
    for (const auto& candidate : fragment.candidates) {
        if (publisher_->negotiated)
            sfu_->janus().trickle(publisher_->handle, candidate);
        else if (publisher_->early_candidates.size() < 64)
            publisher_->early_candidates.push_back(candidate);
    }
    if (fragment.end_of_candidates && publisher_->handle) sfu_->janus().trickle(publisher_->handle, nullptr);
    return Ok{};
}

Result<Ok> RoomMedia::whip_stop(const std::string& session) {
    if (!publisher_ || publisher_->source != media::Source::Whip || publisher_->whip_session != session)
        return make_error(Errc::NotFound, "no such WHIP session (it ended or was replaced)");
    stop_publisher("the encoder ended its WHIP session", true);
    return Ok{};
}

// ---- WHEP ----

net::awaitable<Result<MediaSessionAnswer>> RoomMedia::whep_play(std::string offer, std::uint64_t viewer_connection) {
    if (!server_up_) co_return make_error(Errc::Unavailable, "the media server is unavailable; try again shortly");
    if (!publisher_ || !publisher_->flowing || !sfu_room_)
        co_return make_error(Errc::Conflict, "nothing is published on this stream yet");
    if (metrics_.whep_sessions.get() >= room_.ctx_.max_whep_sessions)
        co_return make_error(Errc::RateLimited, "too many WHEP players on this server; try again later");
    auto parsed = media::sdp::parse(offer);
    if (!parsed) co_return parsed.error();
    auto plan = media::whep::plan_from_offer(*parsed, publisher_->video_codec, publisher_->audio_codec);
    if (!plan) co_return plan.error();

    auto self = room_ptr();
    const std::string session = random_hex(16);
    const auto serial = next_serial_++;
    const auto publisher_serial = publisher_->serial;
    whep_[session] = WhepSession{serial, viewer_connection, {}, {}, false, {}};
    metrics_.whep_sessions.add();
    auto fail = [this, &session](Error error) -> Result<MediaSessionAnswer> {
        drop_whep(session, true);
        return error;
    };
    auto still_current = [this, &session, serial, publisher_serial]() {
        auto it = whep_.find(session);
        return it != whep_.end() && it->second.serial == serial && current_publisher(publisher_serial);
    };

    std::weak_ptr<Room> weak = self;
    media::JanusClient::EventHandler on_event = [weak, session, serial](janus::Incoming in) {
        if (auto r = weak.lock(); r && r->media_) r->media_->on_whep_event(session, serial, std::move(in));
    };
    const std::string plugin(janus::kNoSip);
    auto handle = co_await sfu_->janus().attach(plugin, room_.strand_, on_event);
    if (!handle) co_return fail(handle.error());
    if (!still_current()) {
        sfu_->janus().detach(*handle);
        co_return fail(make_error(Errc::Conflict, "the publication changed; try again"));
    }
    whep_[session].handle = *handle;
    Json offer_jsep{{"type", "offer"}, {"sdp", std::move(offer)}};
    auto generate = videoroom::nosip_generate();
    auto generated = co_await sfu_->janus().message(*handle, std::move(generate), std::move(offer_jsep));
    if (!still_current()) co_return fail(make_error(Errc::Conflict, "the publication changed; try again"));
    if (!generated) co_return fail(generated.error());
    // NoSIP events look like {"nosip":"event","result":{"event":"generated","type":"offer","sdp":...}}.
    const Json& result = generated->data.contains("result") ? generated->data["result"] : generated->data;
    auto plain = media::sdp::parse(result.is_object() && result.contains("sdp") && result["sdp"].is_string()
                                       ? result["sdp"].get<std::string>()
                                       : std::string());
    if (!plain) co_return fail(make_error(Errc::Unavailable, "the media server's bridge gave no usable SDP"));
    auto ports = media::whep::bridge_ports(*plain, *plan);
    if (!ports) co_return fail(ports.error());
    auto source_port = co_await forward_source_port(ports->host);
    if (!still_current()) co_return fail(make_error(Errc::Conflict, "the publication changed; try again"));
    if (!source_port) co_return fail(source_port.error());

    // Feed the bridge: forward the publication's audio and video (best simulcast layer) to its ports.
    auto forward = videoroom::rtp_forward(sfu_room_->id, sfu_room_->secret, sfu_->options().admin_key, publisher_->feed,
                                          ports->host, media::whep::forward_streams(*plan, *ports, publisher_->audio_mid,
                                                                                   publisher_->video_mid));
    auto forwarded = co_await sfu_->control(std::move(forward));
    if (!still_current()) co_return fail(make_error(Errc::Conflict, "the publication changed; try again"));
    if (!forwarded) co_return fail(forwarded.error());
    whep_[session].forwarders = media::whep::read_forwarders(forwarded->data);

    auto plain_answer = media::whep::plain_answer(*plan, *ports, *source_port);
    auto process = videoroom::nosip_process_answer(plain_answer);
    auto processed = co_await sfu_->janus().message(*handle, std::move(process));
    if (!still_current()) co_return fail(make_error(Errc::Conflict, "the publication changed; try again"));
    if (!processed || !processed->jsep.is_object() || !processed->jsep.contains("sdp"))
        co_return fail(processed ? make_error(Errc::Unavailable, "the media server's bridge gave no answer")
                                 : processed.error());
    auto& ready = whep_[session];
    ready.ready = true;
    for (auto& candidate : ready.early_candidates) sfu_->janus().trickle(*handle, std::move(candidate));
    ready.early_candidates.clear();
    if (whep_.size() == 1) set_keyframe_interval(kWhepKeyframeSeconds);
    logger()->info("whep player added stream={} session={} forwarders={}", room_.stream_id_, session,
                   whep_[session].forwarders.size());
    co_return MediaSessionAnswer{session, processed->jsep["sdp"].get<std::string>()};
}

// The port the publication's RTP forwarders send from: Janus 1.1 sends every forwarder of a publisher from one
// UDP socket that lives as long as the publisher. Found by forwarding one stream to a socket of ours.
net::awaitable<Result<int>> RoomMedia::forward_source_port(std::string host) {
    if (publisher_->forward_source_port != 0) co_return publisher_->forward_source_port;
    auto self = room_ptr();
    const auto serial = publisher_->serial;
    error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec) co_return make_error(Errc::Unavailable, "the media server's bridge has an odd address: " + host);
    net::ip::udp::socket probe(room_.strand_);
    probe.open(address.is_v4() ? net::ip::udp::v4() : net::ip::udp::v6(), ec);
    if (!ec) probe.bind({address, 0}, ec);
    if (ec) co_return make_error(Errc::Unavailable, "cannot open a local UDP socket: " + ec.message());
    const int probe_port = probe.local_endpoint().port();
    const std::string& mid = publisher_->audio_mid.empty() ? publisher_->video_mid : publisher_->audio_mid;
    auto streams = Json::array({{{"mid", mid}, {"port", probe_port}}});
    auto forward = videoroom::rtp_forward(sfu_room_->id, sfu_room_->secret, sfu_->options().admin_key,
                                          publisher_->feed, host, std::move(streams));
    const auto room = *sfu_room_;
    const auto feed = publisher_->feed;
    auto forwarded = co_await sfu_->control(std::move(forward));
    if (!forwarded) co_return forwarded.error();
    const auto ids = media::whep::read_forwarders(forwarded->data);
    net::steady_timer deadline(room_.strand_);
    deadline.expires_after(std::chrono::seconds(3));
    deadline.async_wait([&probe](error_code e) {
        if (!e) probe.cancel();
    });
    std::array<char, 2048> packet{};
    net::ip::udp::endpoint sender;
    co_await probe.async_receive_from(net::buffer(packet), sender, net::redirect_error(use_awaitable, ec));
    deadline.cancel();
    for (auto id : ids) {
        auto stop = videoroom::stop_rtp_forward(room.id, room.secret, sfu_->options().admin_key, feed, id);
        auto stopped = co_await sfu_->control(std::move(stop));
        (void)stopped;
    }
    if (ec) co_return make_error(Errc::Unavailable, "the publication sends no media yet; try again in a moment");
    if (!current_publisher(serial)) co_return make_error(Errc::Conflict, "the publication changed; try again");
    publisher_->forward_source_port = sender.port();
    co_return publisher_->forward_source_port;
}

void RoomMedia::request_keyframe() {
    if (!publisher_ || !publisher_->handle) return;
    struct Keyframe {
        static net::awaitable<void> run(std::shared_ptr<media::Sfu> sfu, Handle handle) {
            auto body = videoroom::configure_publisher_keyframe();
            auto done = co_await sfu->janus().message(handle, std::move(body));
            if (!done) logger()->debug("keyframe request failed error={}", done.error().message);
        }
    };
    net::co_spawn(sfu_->janus().executor(), Keyframe::run(sfu_, publisher_->handle), log_if_thrown);
}

void RoomMedia::set_keyframe_interval(int seconds) {
    if (!sfu_room_) return;
    struct Edit {
        static net::awaitable<void> run(std::shared_ptr<media::Sfu> sfu, Json body) {
            auto done = co_await sfu->control(std::move(body));
            if (!done) logger()->debug("keyframe interval not changed error={}", done.error().message);
        }
    };
    net::co_spawn(sfu_->janus().executor(),
                  Edit::run(sfu_, videoroom::edit_keyframe_interval(sfu_room_->id, sfu_room_->secret, seconds)),
                  log_if_thrown);
}

void RoomMedia::on_whep_event(std::string session, std::uint64_t serial, janus::Incoming in) {
    auto it = whep_.find(session);
    if (it == whep_.end() || it->second.serial != serial) return;
    if (in.kind == janus::Kind::WebrtcUp) {
        // The forwarder waits for a keyframe and the player's own requests cannot reach the publisher: ask now,
        // once the player can receive it.
        request_keyframe();
        return;
    }
    if (in.kind == janus::Kind::Hangup || in.kind == janus::Kind::Detached) {
        logger()->info("whep player gone stream={} session={}", room_.stream_id_, session);
        const auto connection = it->second.viewer_connection;
        drop_whep(session, in.kind == janus::Kind::Hangup);
        net::co_spawn(room_.strand_, Room::on_whep_gone(room_ptr(), connection), log_if_thrown);
    }
}

Result<Ok> RoomMedia::whep_trickle(const std::string& session, const media::sdp::Fragment& fragment) {
    auto it = whep_.find(session);
    if (it == whep_.end()) return make_error(Errc::NotFound, "no such WHEP session");
    for (const auto& candidate : fragment.candidates) {
        if (it->second.ready)
            sfu_->janus().trickle(it->second.handle, candidate);
        else if (it->second.early_candidates.size() < 64)
            it->second.early_candidates.push_back(candidate);
    }
    return Ok{};
}

Result<std::uint64_t> RoomMedia::whep_stop(const std::string& session) {
    auto it = whep_.find(session);
    if (it == whep_.end()) return make_error(Errc::NotFound, "no such WHEP session");
    const auto connection = it->second.viewer_connection;
    drop_whep(session, true);
    return connection;
}

void RoomMedia::drop_whep(const std::string& session, bool detach) {
    auto it = whep_.find(session);
    if (it == whep_.end()) return;
    WhepSession gone = std::move(it->second);
    whep_.erase(it);
    metrics_.whep_sessions.sub();
    if (whep_.empty() && detach) set_keyframe_interval(0);
    if (detach && gone.handle) sfu_->janus().detach(gone.handle);
    if (detach && sfu_room_ && publisher_ && !gone.forwarders.empty()) {
        struct Stop {
            static net::awaitable<void> run(std::shared_ptr<media::Sfu> sfu, Json body) {
                auto done = co_await sfu->control(std::move(body));
                (void)done;
            }
        };
        for (auto id : gone.forwarders)
            net::co_spawn(sfu_->janus().executor(),
                          Stop::run(sfu_, videoroom::stop_rtp_forward(sfu_room_->id, sfu_room_->secret,
                                                                      sfu_->options().admin_key, publisher_->feed, id)),
                          log_if_thrown);
    }
}

void RoomMedia::drop_all_whep(bool detach) {
    std::vector<std::pair<std::string, std::uint64_t>> sessions;
    for (const auto& [id, s] : whep_) sessions.emplace_back(id, s.viewer_connection);
    for (const auto& [id, connection] : sessions) {
        drop_whep(id, detach);
        net::co_spawn(room_.strand_, Room::on_whep_gone(room_ptr(), connection), log_if_thrown);
    }
}

}  // namespace redred::ws
