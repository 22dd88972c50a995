#include "webhooks/url.hpp"

#include <algorithm>
#include <cctype>

namespace redred::webhooks {

std::string WebhookUrl::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    if (port != (tls ? "443" : "80")) h += ":" + port;
    return h;
}

Result<WebhookUrl> parse_webhook_url(const std::string& url) {
    WebhookUrl out;
    std::string rest;
    if (url.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else if (url.rfind("https://", 0) == 0) {
        out.tls = true;
        rest = url.substr(8);
    } else {
        return make_error(Errc::BadInput, "webhook URL '" + url + "' must start with http:// or https://");
    }
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
        return make_error(Errc::BadInput, "webhook URL '" + url + "' must not contain spaces or control characters");
    if (const auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
    const auto slash = rest.find_first_of("/?");
    std::string authority = rest.substr(0, slash);
    out.target = slash == std::string::npos ? "/" : rest.substr(slash);
    if (out.target.front() == '?') out.target.insert(0, "/");
    if (authority.find('@') != std::string::npos)
        return make_error(Errc::BadInput, "webhook URL '" + url + "' must not carry a user name or password");
    std::string port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string::npos) return make_error(Errc::BadInput, "webhook URL '" + url + "': unclosed [");
        out.host = authority.substr(1, close - 1);
        const std::string after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return make_error(Errc::BadInput, "webhook URL '" + url + "': bad port");
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
    }
    if (out.host.empty()) return make_error(Errc::BadInput, "webhook URL '" + url + "' has no host");
    if (port.empty()) {
        out.port = out.tls ? "443" : "80";
    } else {
        const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](unsigned char c) {
            return std::isdigit(c) != 0;
        });
        if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
            return make_error(Errc::BadInput, "webhook URL '" + url + "': the port must be 1..65535");
        out.port = port;
    }
    return out;
}

}  // namespace redred::webhooks
