#include "media/videoroom.hpp"

namespace redred::media::videoroom {

Json create_room(const RoomSettings& s) {
    Json j{{"request", "create"},
           {"room", s.room},
           {"permanent", false},
           {"description", s.description},
           {"secret", s.secret},
           {"is_private", true},
           // One source at a time; 2 so that a new publication (a reload, OBS taking over) never waits for
           // Janus to let go of the one it replaces.
           {"publishers", 2},
           {"audiocodec", "opus"},
           // VP8 first: every browser encodes it with simulcast; H.264 for encoders (OBS) that offer only that.
           {"videocodec", "vp8,h264"},
           {"h264_profile", "42e01f"},
           {"notify_joining", false},
           {"lock_record", true}};
    if (s.bitrate > 0) j["bitrate"] = s.bitrate;
    if (s.fir_freq > 0) j["fir_freq"] = s.fir_freq;
    if (!s.admin_key.empty()) j["admin_key"] = s.admin_key;
    return j;
}

Json destroy_room(std::uint64_t room, const std::string& secret) {
    return {{"request", "destroy"}, {"room", room}, {"secret", secret}, {"permanent", false}};
}

Json join_and_publish(std::uint64_t room, std::string display) {
    return {{"request", "joinandconfigure"}, {"ptype", "publisher"}, {"room", room}, {"display", std::move(display)}};
}

Json configure_publisher_keyframe() {
    return {{"request", "configure"}, {"keyframe", true}};
}

Json edit_keyframe_interval(std::uint64_t room, const std::string& secret, int seconds) {
    return {{"request", "edit"}, {"room", room}, {"secret", secret}, {"new_fir_freq", seconds}};
}

Json subscribe(std::uint64_t room, std::uint64_t feed) {
    // autoupdate off: when the publisher goes, redred decides (it offers again once a source publishes).
    return {{"request", "join"},
            {"ptype", "subscriber"},
            {"room", room},
            {"autoupdate", false},
            {"streams", Json::array({{{"feed", feed}}})}};
}

Json start_subscriber() {
    return {{"request", "start"}};
}

Json select_layer(const std::string& video_mid, Layer layer) {
    return {{"request", "configure"},
            {"streams", Json::array({{{"mid", video_mid}, {"substream", static_cast<int>(layer)}, {"temporal", 2}}})}};
}

Json rtp_forward(std::uint64_t room, const std::string& secret, const std::string& admin_key, std::uint64_t publisher,
                 const std::string& host, Json streams) {
    Json j{{"request", "rtp_forward"},
           {"room", room},
           {"secret", secret},
           {"publisher_id", publisher},
           {"host", host},
           {"streams", std::move(streams)}};
    if (!admin_key.empty()) j["admin_key"] = admin_key;
    return j;
}

Json stop_rtp_forward(std::uint64_t room, const std::string& secret, const std::string& admin_key,
                      std::uint64_t publisher, std::uint64_t stream_id) {
    Json j{{"request", "stop_rtp_forward"},
           {"room", room},
           {"secret", secret},
           {"publisher_id", publisher},
           {"stream_id", stream_id}};
    if (!admin_key.empty()) j["admin_key"] = admin_key;
    return j;
}

std::optional<std::uint64_t> joined_publisher_id(const Json& data) {
    if (!data.is_object() || data.value("videoroom", "") != "joined") return std::nullopt;
    auto id = data.find("id");
    if (id == data.end() || !id->is_number_unsigned()) return std::nullopt;
    return id->get<std::uint64_t>();
}

std::optional<std::string> attached_video_mid(const Json& data) {
    if (!data.is_object()) return std::nullopt;
    auto streams = data.find("streams");
    if (streams == data.end() || !streams->is_array()) return std::nullopt;
    for (const auto& s : *streams)
        if (s.is_object() && s.value("type", "") == "video" && s.contains("mid") && s["mid"].is_string())
            return s["mid"].get<std::string>();
    return std::nullopt;
}

Json nosip_generate() {
    return {{"request", "generate"}};
}

Json nosip_process_answer(const std::string& plain_sdp) {
    return {{"request", "process"}, {"type", "answer"}, {"sdp", plain_sdp}};
}

Json nosip_hangup() {
    return {{"request", "hangup"}};
}

}  // namespace redred::media::videoroom
