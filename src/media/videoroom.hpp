// Janus VideoRoom and NoSIP plugin requests redred sends, and the facts it reads from their answers. Pure
// JSON; see janus_videoroom.c / janus_nosip.c (1.1.2) for the API they document.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/media_mode.hpp"

namespace redred::media::videoroom {

using Json = nlohmann::json;

struct RoomSettings {
    std::uint64_t room = 0;
    std::string secret;            // needed to destroy the room or forward its media; only redred knows it
    std::string admin_key;         // the plugin's admin_key, when Janus is configured with one
    std::string description;
    int bitrate = 0;               // cap per publisher in bit/s (REMB), 0 = none
    int fir_freq = 0;              // keyframe request to the publisher every N s (0 = only on demand)
};

Json create_room(const RoomSettings& settings);
Json destroy_room(std::uint64_t room, const std::string& secret);
// Publisher: join and publish in one request; the JSEP offer goes along with it.
Json join_and_publish(std::uint64_t room, std::string display);
Json configure_publisher_keyframe();  // ask the publisher for a keyframe now
// Periodic keyframe requests to the room's publishers every `seconds` (0: off).
Json edit_keyframe_interval(std::uint64_t room, const std::string& secret, int seconds);
// Subscriber to every stream of `feed`; Janus answers with "attached" and its JSEP offer.
Json subscribe(std::uint64_t room, std::uint64_t feed);
Json start_subscriber();  // with the subscriber's JSEP answer
Json select_layer(const std::string& video_mid, Layer layer);
// rtp_forward of a publisher's streams (`streams`: [{mid, port, pt, rtcp_port?, simulcast?}]).
Json rtp_forward(std::uint64_t room, const std::string& secret, const std::string& admin_key, std::uint64_t publisher,
                 const std::string& host, Json streams);
Json stop_rtp_forward(std::uint64_t room, const std::string& secret, const std::string& admin_key,
                      std::uint64_t publisher, std::uint64_t stream_id);

// Janus VideoRoom error codes that redred acts on.
inline constexpr int kErrorNoSuchRoom = 426;
inline constexpr int kErrorRoomExists = 427;

// From a publisher's "joined" event: its id.
std::optional<std::uint64_t> joined_publisher_id(const Json& data);
// From a subscriber's "attached" event: the mid of its video stream(s) (the first video one).
std::optional<std::string> attached_video_mid(const Json& data);

// A published stream (from the "joined"/"publishers" list, or from listparticipants).
struct PublishedStream {
    std::string type;   // audio | video | data
    std::string mid;
    std::string codec;  // vp8, h264, opus ...
    bool simulcast = false;
};

// NoSIP (a WebRTC <-> plain RTP bridge), used for WHEP: the player's offer is turned into a plain SDP by
// "generate", Janus's answer comes out of "process" with a plain SDP answer redred writes.
Json nosip_generate();
Json nosip_process_answer(const std::string& plain_sdp);
Json nosip_hangup();

}  // namespace redred::media::videoroom
