#include "media/janus_api.hpp"

#include <charconv>

namespace redred::media::janus {

Json info_request() {
    return {{"janus", "info"}};
}

Json create_session_request() {
    return {{"janus", "create"}};
}

Json attach_request(SessionId session, std::string_view plugin) {
    return {{"janus", "attach"}, {"session_id", session}, {"plugin", plugin}};
}

Json message_request(SessionId session, HandleId handle, Json body, Json jsep) {
    Json j{{"janus", "message"}, {"session_id", session}, {"handle_id", handle}, {"body", std::move(body)}};
    if (!jsep.is_null()) j["jsep"] = std::move(jsep);
    return j;
}

Json trickle_request(SessionId session, HandleId handle, const Json& candidate) {
    Json j{{"janus", "trickle"}, {"session_id", session}, {"handle_id", handle}};
    if (candidate.is_null())
        j["candidate"] = {{"completed", true}};
    else
        j["candidate"] = candidate;
    return j;
}

Json keepalive_request(SessionId session) {
    return {{"janus", "keepalive"}, {"session_id", session}};
}

Json detach_request(SessionId session, HandleId handle) {
    return {{"janus", "detach"}, {"session_id", session}, {"handle_id", handle}};
}

namespace {

Kind kind_of(std::string_view name) {
    if (name == "ack") return Kind::Ack;
    if (name == "success") return Kind::Success;
    if (name == "error") return Kind::Error;
    if (name == "event") return Kind::Event;
    if (name == "webrtcup") return Kind::WebrtcUp;
    if (name == "media") return Kind::Media;
    if (name == "slowlink") return Kind::SlowLink;
    if (name == "hangup") return Kind::Hangup;
    if (name == "detached") return Kind::Detached;
    if (name == "timeout") return Kind::Timeout;
    if (name == "trickle") return Kind::Trickle;
    if (name == "server_info") return Kind::ServerInfo;
    return Kind::Other;
}

std::uint64_t id_field(const Json& j, const char* name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_unsigned()) return 0;
    return it->get<std::uint64_t>();
}

}  // namespace

Result<Incoming> parse_incoming(std::string_view text) {
    auto j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(Errc::BadInput, "janus sent something that is not JSON");
    auto name = j.find("janus");
    if (name == j.end() || !name->is_string()) return make_error(Errc::BadInput, "janus message without \"janus\"");
    Incoming in;
    in.kind = kind_of(name->get<std::string>());
    if (auto t = j.find("transaction"); t != j.end() && t->is_string()) in.transaction = t->get<std::string>();
    in.session = id_field(j, "session_id");
    in.sender = id_field(j, "sender");
    if (auto pd = j.find("plugindata"); pd != j.end() && pd->is_object()) {
        if (auto d = pd->find("data"); d != pd->end()) in.data = *d;
    } else if (auto d = j.find("data"); d != j.end()) {
        in.data = *d;
    }
    if (auto jsep = j.find("jsep"); jsep != j.end() && jsep->is_object()) in.jsep = *jsep;
    in.raw = std::move(j);
    return in;
}

std::optional<Error> reply_error(const Incoming& in) {
    if (in.kind == Kind::Error) {
        const Json& e = in.raw.value("error", Json::object());
        const int code = e.value("code", 0);
        const std::string reason = e.value("reason", std::string("unknown error"));
        // 458: no such session, 459: no such handle, 403: unauthorized (API secret)
        const Errc errc = code == 403 ? Errc::Forbidden : (code == 458 || code == 459) ? Errc::NotFound : Errc::Unavailable;
        return make_error(errc, "janus error " + std::to_string(code) + ": " + reason);
    }
    if (in.data.is_object()) {
        auto code = in.data.find("error_code");
        if (code != in.data.end()) {
            const int c = code->is_number_integer() ? code->get<int>() : 0;
            const std::string reason = in.data.value("error", std::string("plugin error"));
            return make_error(Errc::Unavailable, "janus plugin error " + std::to_string(c) + ": " + reason);
        }
    }
    return std::nullopt;
}

Result<WsUrl> parse_ws_url(std::string_view url) {
    constexpr std::string_view kScheme = "ws://";
    if (url.rfind(kScheme, 0) != 0)
        return make_error(Errc::BadInput, "the Janus URL must look like ws://127.0.0.1:8188 (wss is not supported)");
    std::string_view rest = url.substr(kScheme.size());
    WsUrl out;
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
        out.path = std::string(rest.substr(slash));
        rest = rest.substr(0, slash);
    }
    std::string_view host = rest, port = "8188";
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return make_error(Errc::BadInput, "the Janus URL has an unclosed [ipv6]");
        host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') return make_error(Errc::BadInput, "the Janus URL has junk after ]");
            port = rest.substr(close + 2);
        }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    int number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (host.empty() || ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535)
        return make_error(Errc::BadInput, "the Janus URL needs a host and a port from 1 to 65535");
    out.host = std::string(host);
    out.port = std::string(port);
    return out;
}

}  // namespace redred::media::janus
