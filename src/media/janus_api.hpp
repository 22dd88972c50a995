// Janus's WebSocket API ("janus-protocol"), as JSON: the envelopes redred sends and a typed view of what
// comes back. Pure: no sockets; JanusClient (media/io/) does the I/O. Reference: Janus 1.1 docs, "The Janus
// API" (create / attach / message / trickle / keepalive / detach) and the VideoRoom and NoSIP plugin APIs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace redred::media::janus {

using Json = nlohmann::json;
using SessionId = std::uint64_t;
using HandleId = std::uint64_t;

inline constexpr std::string_view kVideoRoom = "janus.plugin.videoroom";
inline constexpr std::string_view kNoSip = "janus.plugin.nosip";

// ---- requests (the client adds "transaction" and "apisecret") ----
Json info_request();
Json create_session_request();
Json attach_request(SessionId session, std::string_view plugin);
Json message_request(SessionId session, HandleId handle, Json body, Json jsep);  // jsep: null for none
// `candidate`: an RTCIceCandidateInit-like object {candidate, sdpMid, sdpMLineIndex}; null means "completed".
Json trickle_request(SessionId session, HandleId handle, const Json& candidate);
Json keepalive_request(SessionId session);
Json detach_request(SessionId session, HandleId handle);

// ---- what Janus sends ----
enum class Kind {
    Ack,        // a request was received; asynchronous plugin requests answer later with an Event
    Success,    // a synchronous answer (create, attach, synchronous plugin requests)
    Error,      // a core error: {"janus":"error","error":{"code","reason"}}
    Event,      // a plugin event (answer to an asynchronous request when it carries its transaction)
    WebrtcUp,   // the handle's PeerConnection is up
    Media,      // media started or stopped flowing on the handle
    SlowLink,   // the peer reports heavy loss
    Hangup,     // the handle's PeerConnection is gone
    Detached,   // the handle is gone
    Timeout,    // the session timed out
    Trickle,    // a candidate from Janus (full-trickle mode only)
    ServerInfo, // the answer to "info"
    Other,
};

struct Incoming {
    Kind kind = Kind::Other;
    std::string transaction;   // empty when none
    SessionId session = 0;
    HandleId sender = 0;       // the handle an event is about
    Json data;                 // plugindata.data (Event, Success of a plugin request) or "data" (Success of create/attach)
    Json jsep;                 // null when none
    Json raw;                  // the whole message
};

// BadInput when `text` is not a JSON object with a "janus" string.
Result<Incoming> parse_incoming(std::string_view text);

// The error a reply carries: a core error (Kind::Error) or a plugin's {"error_code","error"} inside data.
std::optional<Error> reply_error(const Incoming& in);

// ws://host:port/path (or wss://, refused: Janus is reached on loopback or a private network)
struct WsUrl {
    std::string host;
    std::string port;
    std::string path = "/";
};
Result<WsUrl> parse_ws_url(std::string_view url);

}  // namespace redred::media::janus
