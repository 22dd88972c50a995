// The SDP side of WHEP playback through Janus 1.1 (docs/PROTOCOL.md, "WHEP"). Janus's VideoRoom only makes
// offers itself, but a WHEP player sends the offer. NoSIP is Janus's WebRTC <-> plain RTP bridge and answers
// a WebRTC offer: "generate" turns the player's offer into a plain RTP offer (ports NoSIP listens on), the
// VideoRoom's RTP forwarder feeds those ports with the publication, and "process" takes the plain answer
// written here and gives back the WebRTC answer for the player.
//
// NoSIP connect()s its RTP sockets to the address and ports of the plain answer, so it only takes packets
// from there: the answer names the port the VideoRoom's forwarders send from (one UDP socket per publisher,
// found once by forwarding to a socket of redred's). NoSIP's own RTCP then goes nowhere useful, so the
// player's keyframe requests do not reach the publisher: redred asks for a keyframe when a player joins and
// has the room ask every few seconds while players watch. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "media/sdp.hpp"

namespace redred::media::whep {

// What the player gets: per kind, the payload type and codec it offered that matches the publication.
struct Track {
    int payload_type = 0;
    std::string codec;     // "VP8", "H264", "opus"
    int clock_rate = 0;
    int channels = 0;
    std::string fmtp;
};
struct Plan {
    std::vector<std::string> order;  // m-line kinds in the offer's order ("audio", "video"), receiving ones
    std::optional<Track> audio, video;
};

// BadInput when the offer does not want to receive, or has no codec in common with the publication
// (`video_codec`/`audio_codec` as Janus answered the publisher: "VP8", "opus"; empty: not published).
Result<Plan> plan_from_offer(const sdp::Description& offer, const std::string& video_codec,
                             const std::string& audio_codec);

// The ports NoSIP listens on for RTP, read from its plain offer ("generated").
struct BridgePorts {
    std::string host;  // NoSIP's address (its local_ip)
    int audio = 0, video = 0;
};
Result<BridgePorts> bridge_ports(const sdp::Description& plain_offer, const Plan& plan);

// rtp_forward "streams" for the publication's mids: audio as is, video as one best-layer stream.
nlohmann::json forward_streams(const Plan& plan, const BridgePorts& ports, const std::string& audio_mid,
                               const std::string& video_mid);

// The forwarder ids in rtp_forward's answer (to stop them later).
std::vector<std::uint64_t> read_forwarders(const nlohmann::json& data);

// The plain RTP answer for NoSIP's "process": send-only, the player's payload types, m-lines in the offer's
// order, every one at `source_port` (where the publisher's forwarders send from) on the bridge's address.
std::string plain_answer(const Plan& plan, const BridgePorts& ports, int source_port);

}  // namespace redred::media::whep
