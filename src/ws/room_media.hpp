// A room's media when it goes through the media server (--media janus; docs/PROTOCOL.md "Media through the
// server"). Owned by its Room and used only on the room's strand; the Room stays the one place that decides
// who is in the stream, and this class carries that out at Janus:
//
// - one publication (the studio over this WebSocket, or a WHIP encoder), into the stream's VideoRoom, made on
//   the first publication and destroyed when the stream ends; a newer publication replaces an older one;
// - one subscription per viewer connection, offered once the publication's media flows, torn down when the
//   viewer leaves or is kicked; each viewer's simulcast layer follows its quality choice (auto: LayerSelector);
// - WHEP players: the player's offer is answered by Janus's NoSIP plugin and fed by an RTP forwarder of the
//   publication (Janus 1.1's VideoRoom only makes offers itself; see docs/PROTOCOL.md);
// - when Janus goes away every handle is gone: the room says so (media_state) and starts over when it is back.
//
// Janus events reach it through the Room (posted to the strand); each carries the serial number of the
// publication or subscription it was attached for, so events of a replaced one are ignored.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "core/result.hpp"
#include "media/io/sfu.hpp"
#include "media/layer_selector.hpp"
#include "media/media_mode.hpp"
#include "media/sdp.hpp"

namespace redred::ws {

class Room;
using Json = nlohmann::json;

// What a WHIP or WHEP POST gets back.
struct MediaSessionAnswer {
    std::string session;  // the id in the resource URL
    std::string sdp;      // Janus's answer
};

class RoomMedia {
public:
    RoomMedia(Room& room, std::shared_ptr<media::Sfu> sfu, Metrics& metrics);
    ~RoomMedia();  // detaches what is still attached (fire and forget)
    RoomMedia(const RoomMedia&) = delete;
    RoomMedia& operator=(const RoomMedia&) = delete;

    // {"mode":"janus","server":"up"|"down","source":null|"browser"|"whip"}
    Json state_json() const;
    bool whip_publishing() const;
    bool holds_room() const;  // a WHIP or WHEP session keeps the room loaded with nobody on a WebSocket

    // From the room (strand). `from_streamer`: the sender is the streamer's current connection.
    net::awaitable<void> on_signal(std::uint64_t from, bool from_streamer, std::string type, Json msg, Json ref);
    void on_set_quality(std::uint64_t from, const Json& msg, const Json& ref);
    void on_media_report(std::uint64_t from, const Json& msg);
    void on_viewer_joined(std::uint64_t connection);
    void on_left(std::uint64_t connection);
    void on_kicked(std::uint64_t connection);
    void on_server_state(bool up);
    void on_stream_ended();

    // WHIP: the room has made the stream live before publish.
    net::awaitable<Result<MediaSessionAnswer>> whip_publish(std::string offer);
    Result<Ok> whip_trickle(const std::string& session, const media::sdp::Fragment& fragment);
    Result<Ok> whip_stop(const std::string& session);  // the room then ends the stream
    // WHEP: `viewer_connection` is the id the room counts the player under.
    net::awaitable<Result<MediaSessionAnswer>> whep_play(std::string offer, std::uint64_t viewer_connection);
    Result<Ok> whep_trickle(const std::string& session, const media::sdp::Fragment& fragment);
    Result<std::uint64_t> whep_stop(const std::string& session);  // the player's connection id, to leave presence

    // Janus events, posted to the room strand by the handle routes.
    void on_publisher_event(std::uint64_t serial, media::janus::Incoming in);
    void on_subscriber_event(std::uint64_t connection, std::uint64_t serial, media::janus::Incoming in);
    void on_whep_event(std::string session, std::uint64_t serial, media::janus::Incoming in);

private:
    using Handle = media::JanusClient::Handle;

    struct Publisher {
        std::uint64_t serial = 0;
        media::Source source = media::Source::Browser;
        std::optional<std::uint64_t> connection;  // the studio's connection (Browser)
        std::string whip_session;                 // (Whip)
        Handle handle;
        std::uint64_t feed = 0;                   // Janus's publisher id
        bool negotiated = false;                  // Janus answered its offer: candidates go straight to Janus
        bool flowing = false;                     // its PeerConnection is up: viewers may subscribe
        std::string audio_mid, video_mid, video_codec, audio_codec;
        int forward_source_port = 0;              // where its RTP forwarders send from (WHEP), once known
        std::vector<Json> early_candidates;       // trickled before the handle existed
    };
    struct Subscriber {
        std::uint64_t serial = 0;
        Handle handle;
        std::string video_mid;
        bool answered = false;
        bool counted = false;
        std::vector<Json> early_candidates;
        media::Quality quality = media::Quality::Auto;
        media::Layer layer = media::Layer::High;
        std::optional<media::LayerSelector> selector;  // while quality is Auto
        bool layer_confirmed = true;                   // Janus reported the switch to `layer`
        int failures = 0;                              // subscription attempts that failed in a row
    };
    struct WhepSession {
        std::uint64_t serial = 0;
        std::uint64_t viewer_connection = 0;
        Handle handle;                          // NoSIP
        std::vector<std::uint64_t> forwarders;  // rtp_forward stream ids
        bool ready = false;                     // answered
        std::vector<Json> early_candidates;
    };

    static net::awaitable<void> subscribe(std::shared_ptr<Room> room, std::uint64_t connection);
    void retry_subscribe(std::uint64_t connection);
    net::awaitable<Result<media::SfuRoom>> ensure_room();
    net::awaitable<Result<std::string>> publish(media::Source source, std::optional<std::uint64_t> connection,
                                                std::string whip_session, std::string offer);
    net::awaitable<Result<int>> forward_source_port(std::string host);
    void set_keyframe_interval(int seconds);
    void request_keyframe();  // from the publisher, now
    net::awaitable<void> on_viewer_answer(std::uint64_t from, Json msg, Json ref);
    void on_candidate(std::uint64_t from, bool from_streamer, const Json& msg, const Json& ref);
    void stop_publisher(const char* reason, bool detach);
    void drop_subscriber(std::uint64_t connection, bool forget_quality);
    void drop_whep(const std::string& session, bool detach);
    void drop_all_whep(bool detach);
    void apply_layer(std::uint64_t connection, bool tell_viewer);
    void broadcast_state();
    std::shared_ptr<Room> room_ptr() const;
    bool current_publisher(std::uint64_t serial) const { return publisher_ && publisher_->serial == serial; }

    Room& room_;  // owns this
    std::shared_ptr<media::Sfu> sfu_;
    Metrics& metrics_;

    // Room strand only.
    std::optional<media::SfuRoom> sfu_room_;
    bool creating_room_ = false;
    std::optional<Publisher> publisher_;
    std::map<std::uint64_t, Subscriber> subscribers_;
    std::map<std::string, WhepSession> whep_;
    std::uint64_t next_serial_ = 1;
    bool server_up_ = false;
    bool ended_ = false;
};

}  // namespace redred::ws
