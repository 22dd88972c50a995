#include "media/sdp.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace redred::media::sdp {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) out.push_back(line);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return out;
}

std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        text.remove_prefix(start);
        auto end = text.find(' ');
        out.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end);
    }
    return out;
}

std::optional<int> to_int(std::string_view text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool printable(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

Codec* codec_of(Media& media, int pt) {
    for (auto& c : media.codecs)
        if (c.payload_type == pt) return &c;
    return nullptr;
}

// "a=name:value" -> (name, value); "a=flag" -> (flag, "")
std::pair<std::string_view, std::string_view> attribute(std::string_view line) {
    auto body = line.substr(2);
    auto colon = body.find(':');
    if (colon == std::string_view::npos) return {body, {}};
    return {body.substr(0, colon), body.substr(colon + 1)};
}

// "<pt> <rest>"
std::pair<std::optional<int>, std::string_view> payload_and_rest(std::string_view value) {
    auto space = value.find(' ');
    auto pt = to_int(value.substr(0, space));
    return {pt, space == std::string_view::npos ? std::string_view{} : value.substr(space + 1)};
}

}  // namespace

Result<Description> parse(std::string_view text, std::size_t max_bytes) {
    if (text.size() > max_bytes) return make_error(Errc::TooLarge, "the SDP is larger than " + std::to_string(max_bytes) + " bytes");
    auto lines = lines_of(text);
    if (lines.empty() || lines.front() != "v=0") return make_error(Errc::BadInput, "the body is not SDP: it must start with v=0");
    Description d;
    Media* current = nullptr;
    for (auto line : lines) {
        if (line.size() < 2 || line[1] != '=' || !printable(line))
            return make_error(Errc::BadInput, "the SDP has a malformed line");
        const char type = line[0];
        const auto value = line.substr(2);
        if (type == 'm') {
            auto words = words_of(value);
            if (words.size() < 3) return make_error(Errc::BadInput, "the SDP has an m= line without port and protocol");
            auto port = to_int(words[1].substr(0, words[1].find('/')));
            if (!port || *port < 0 || *port > 65535) return make_error(Errc::BadInput, "the SDP has an m= line with a bad port");
            Media m;
            m.kind = std::string(words[0]);
            m.port = *port;
            m.protocol = std::string(words[2]);
            for (std::size_t i = 3; i < words.size(); ++i)
                if (auto pt = to_int(words[i]); pt && *pt >= 0 && *pt <= 127) m.codecs.push_back(Codec{*pt, {}, 0, 0, {}, {}});
            m.connection_address = d.connection_address;
            d.media.push_back(std::move(m));
            current = &d.media.back();
            continue;
        }
        if (type == 'c') {
            auto words = words_of(value);
            if (words.size() >= 3) {
                std::string address(words[2].substr(0, words[2].find('/')));
                if (current)
                    current->connection_address = address;
                else
                    d.connection_address = address;
            }
            continue;
        }
        if (type != 'a') continue;
        auto [name, attr] = attribute(line);
        if (name == "ice-ufrag" && d.ice_ufrag.empty()) d.ice_ufrag = std::string(attr);
        if (name == "ice-pwd" && d.ice_pwd.empty()) d.ice_pwd = std::string(attr);
        if (!current) continue;
        if (name == "mid") {
            current->mid = std::string(attr);
        } else if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
            current->direction = std::string(name);
        } else if (name == "candidate") {
            current->candidates.push_back("candidate:" + std::string(attr));
        } else if (name == "rtpmap" || name == "fmtp" || name == "rtcp-fb") {
            auto [pt, rest] = payload_and_rest(attr);
            if (!pt) continue;
            Codec* codec = codec_of(*current, *pt);
            if (!codec) continue;
            if (name == "rtpmap") {
                auto parts = rest;
                auto slash = parts.find('/');
                codec->name = std::string(parts.substr(0, slash));
                if (slash != std::string_view::npos) {
                    parts.remove_prefix(slash + 1);
                    auto second = parts.find('/');
                    codec->clock_rate = to_int(parts.substr(0, second)).value_or(0);
                    if (second != std::string_view::npos) codec->channels = to_int(parts.substr(second + 1)).value_or(0);
                }
            } else if (name == "fmtp") {
                codec->fmtp = std::string(rest);
            } else {
                codec->feedback.emplace_back(rest);
            }
        }
    }
    if (d.media.empty()) return make_error(Errc::BadInput, "the SDP has no m= line (no audio or video)");
    return d;
}

const Codec* find_codec(const Media& media, std::string_view name) {
    for (const auto& c : media.codecs)
        if (equals_ignore_case(c.name, name)) return &c;
    return nullptr;
}

const Media* first_of_kind(const Description& d, std::string_view kind) {
    for (const auto& m : d.media)
        if (m.kind == kind) return &m;
    return nullptr;
}

Result<Fragment> parse_fragment(std::string_view text, std::size_t max_bytes) {
    if (text.size() > max_bytes) return make_error(Errc::TooLarge, "the ICE fragment is too large");
    Fragment f;
    std::string mid;
    int mline = -1;
    bool any_line = false;
    for (auto line : lines_of(text)) {
        if (line.size() < 2 || line[1] != '=' || !printable(line))
            return make_error(Errc::BadInput, "the ICE fragment has a malformed line");
        any_line = true;
        if (line[0] == 'm') {
            ++mline;
            mid.clear();
            continue;
        }
        if (line[0] != 'a') continue;
        auto [name, value] = attribute(line);
        if (name == "ice-ufrag") f.ice_ufrag = std::string(value);
        else if (name == "ice-pwd") f.ice_pwd = std::string(value);
        else if (name == "mid") mid = std::string(value);
        else if (name == "end-of-candidates") f.end_of_candidates = true;
        else if (name == "candidate") {
            if (value.empty()) return make_error(Errc::BadInput, "the ICE fragment has an empty candidate");
            nlohmann::json c{{"candidate", "candidate:" + std::string(value)}};
            if (!mid.empty()) c["sdpMid"] = mid;
            c["sdpMLineIndex"] = std::max(mline, 0);
            f.candidates.push_back(std::move(c));
        }
    }
    if (!any_line) return make_error(Errc::BadInput, "the ICE fragment is empty");
    return f;
}

}  // namespace redred::media::sdp
