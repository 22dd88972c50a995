// The little of SDP that redred reads or writes itself: checking that a WHIP/WHEP body is an offer of the
// right kind, trickle ICE fragments (RFC 8840, WHIP/WHEP PATCH), and the plain-RTP answer of the WHEP bridge.
// Everything else in SDP passes through untouched to Janus and back. Pure; input is untrusted.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace redred::media::sdp {

struct Codec {
    int payload_type = 0;
    std::string name;    // as in rtpmap, e.g. "VP8", "H264", "opus"
    int clock_rate = 0;
    int channels = 0;    // audio only; 0 when not given
    std::string fmtp;    // parameters, empty when none
    std::vector<std::string> feedback;  // rtcp-fb values ("nack", "nack pli", "ccm fir", ...)
};

struct Media {
    std::string kind;        // audio | video | application
    int port = 0;
    std::string protocol;    // UDP/TLS/RTP/SAVPF, RTP/AVP ...
    std::string mid;
    std::string direction = "sendrecv";  // sendrecv | sendonly | recvonly | inactive
    std::vector<Codec> codecs;           // in m-line order
    std::string connection_address;      // c= of the section, or of the session when the section has none
    std::vector<std::string> candidates; // "candidate:..." lines, without "a="
};

struct Description {
    std::string connection_address;  // session-level c=
    std::string ice_ufrag, ice_pwd;  // session level or the first section's
    std::vector<Media> media;
};

// BadInput (naming what is wrong) for something that is not an SDP description with at least one m= line, or
// is larger than `max_bytes`.
Result<Description> parse(std::string_view text, std::size_t max_bytes = 64 * 1024);

// The first codec of `media` called `name` (case-insensitive), if any.
const Codec* find_codec(const Media& media, std::string_view name);
const Media* first_of_kind(const Description& d, std::string_view kind);

// A trickle ICE fragment (application/trickle-ice-sdpfrag): candidates as Janus wants them, each
// {candidate, sdpMid, sdpMLineIndex}; `ice_ufrag`/`ice_pwd` set when the fragment carries them (an ICE restart
// when they differ from the session's).
struct Fragment {
    std::string ice_ufrag, ice_pwd;
    std::vector<nlohmann::json> candidates;
    bool end_of_candidates = false;
};
Result<Fragment> parse_fragment(std::string_view text, std::size_t max_bytes = 16 * 1024);

}  // namespace redred::media::sdp
