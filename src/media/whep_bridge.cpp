#include "media/whep_bridge.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace redred::media::whep {
namespace {

bool wants_to_receive(const sdp::Media& m) {
    return m.port != 0 && (m.direction == "recvonly" || m.direction == "sendrecv");
}

bool same_name(std::string a, std::string b) {
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    };
    return lower(std::move(a)) == lower(std::move(b));
}

// H.264 needs packetization-mode 1 (what browsers and Janus use) when several are offered.
const sdp::Codec* pick(const sdp::Media& m, const std::string& codec) {
    const sdp::Codec* found = nullptr;
    for (const auto& c : m.codecs) {
        if (!same_name(c.name, codec)) continue;
        if (same_name(codec, "H264") && c.fmtp.find("packetization-mode=1") == std::string::npos) {
            if (!found) found = &c;
            continue;
        }
        return &c;
    }
    return found;
}

Track track_of(const sdp::Codec& c) {
    return Track{c.payload_type, c.name, c.clock_rate, c.channels, c.fmtp};
}

}  // namespace

Result<Plan> plan_from_offer(const sdp::Description& offer, const std::string& video_codec,
                             const std::string& audio_codec) {
    Plan plan;
    bool wanted_video = false;
    for (const auto& m : offer.media) {
        if (!wants_to_receive(m) || (m.kind != "audio" && m.kind != "video")) continue;
        if (m.kind == "video" && !plan.video) {
            wanted_video = true;
            if (video_codec.empty()) continue;
            if (const auto* c = pick(m, video_codec)) {
                plan.video = track_of(*c);
                plan.order.push_back("video");
            }
        } else if (m.kind == "audio" && !plan.audio) {
            if (audio_codec.empty()) continue;
            if (const auto* c = pick(m, audio_codec)) {
                plan.audio = track_of(*c);
                plan.order.push_back("audio");
            }
        }
    }
    if (!plan.audio && !plan.video) {
        if (wanted_video && !video_codec.empty())
            return make_error(Errc::BadInput, "the offer has no codec in common with the stream (it is " +
                                                  video_codec + "); offer " + video_codec, "sdp");
        return make_error(Errc::BadInput, "the offer must receive audio or video (recvonly m-lines)", "sdp");
    }
    return plan;
}

Result<BridgePorts> bridge_ports(const sdp::Description& plain_offer, const Plan& plan) {
    BridgePorts ports;
    for (const auto& m : plain_offer.media) {
        if (m.kind == "audio" && plan.audio && ports.audio == 0) ports.audio = m.port;
        if (m.kind == "video" && plan.video && ports.video == 0) ports.video = m.port;
        if (ports.host.empty()) ports.host = m.connection_address;
    }
    if (ports.host.empty()) ports.host = plain_offer.connection_address;
    if (ports.host.empty() || (plan.audio && ports.audio == 0) || (plan.video && ports.video == 0))
        return make_error(Errc::Unavailable, "the media server's bridge did not open the ports it needs");
    return ports;
}

nlohmann::json forward_streams(const Plan& plan, const BridgePorts& ports, const std::string& audio_mid,
                               const std::string& video_mid) {
    auto streams = nlohmann::json::array();
    if (plan.audio && !audio_mid.empty())
        streams.push_back({{"mid", audio_mid}, {"port", ports.audio}, {"pt", plan.audio->payload_type}});
    if (plan.video && !video_mid.empty())
        // "simulcast": true forwards one stream, the best layer available at any time (a viewer's view).
        streams.push_back({{"mid", video_mid}, {"port", ports.video}, {"pt", plan.video->payload_type},
                           {"simulcast", true}});
    return streams;
}

std::vector<std::uint64_t> read_forwarders(const nlohmann::json& data) {
    std::vector<std::uint64_t> ids;
    if (!data.is_object()) return ids;
    auto list = data.find("forwarders");
    if (list == data.end() || !list->is_array()) return ids;
    for (const auto& f : *list)
        if (f.is_object())
            if (auto id = f.find("stream_id"); id != f.end() && id->is_number_unsigned()) ids.push_back(id->get<std::uint64_t>());
    return ids;
}

std::string plain_answer(const Plan& plan, const BridgePorts& ports, int source_port) {
    std::string sdp = fmt::format("v=0\r\no=- 1 1 IN IP4 {0}\r\ns=redred WHEP bridge\r\nc=IN IP4 {0}\r\nt=0 0\r\n",
                                  ports.host);
    for (const auto& kind : plan.order) {
        const Track& t = kind == "audio" ? *plan.audio : *plan.video;
        sdp += fmt::format("m={} {} RTP/AVP {}\r\n", kind, source_port, t.payload_type);
        if (t.channels > 0)
            sdp += fmt::format("a=rtpmap:{} {}/{}/{}\r\n", t.payload_type, t.codec, t.clock_rate, t.channels);
        else
            sdp += fmt::format("a=rtpmap:{} {}/{}\r\n", t.payload_type, t.codec, t.clock_rate);
        if (!t.fmtp.empty()) sdp += fmt::format("a=fmtp:{} {}\r\n", t.payload_type, t.fmtp);
        if (kind == "video")
            sdp += fmt::format("a=rtcp-fb:{0} nack\r\na=rtcp-fb:{0} nack pli\r\na=rtcp-fb:{0} ccm fir\r\n",
                               t.payload_type);
        sdp += "a=sendonly\r\n";
    }
    return sdp;
}

}  // namespace redred::media::whep
