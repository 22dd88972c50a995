#include "state/redis/redis_url.hpp"

#include <charconv>
#include <limits>

namespace redred::state::redis {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr const char* kField = "redis_url";
constexpr const char* kExample = "expected redis://[:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0";

Error bad_url(std::string message) {
    return make_error(Errc::BadInput, std::move(message), kField);
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes URL credentials so passwords may contain '@', ':' or '/'.
Result<std::string> percent_decode(std::string_view text, const char* what) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
        int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (high < 0 || low < 0) {
            return bad_url(std::string("redis url ") + what + " has a broken percent escape; write '%' as %25");
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

// Parses a decimal number of digits only (no sign, no spaces) within [min, max].
bool parse_number(std::string_view text, int min, int max, int& out) {
    if (text.empty() || text.size() > 10) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
    out = static_cast<int>(value);
    return true;
}

// A host name or IPv4 address: letters, digits, '.', '-', '_'. In brackets, an IPv6 address: hex digits, ':'
// (at least one) and '.', then maybe a zone after '%' ("fe80::1%eth0"). Anything else (spaces, controls, NUL)
// would reach the resolver as another name than the one written, so it is refused.
bool valid_host(std::string_view host, bool bracketed) {
    const auto name_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_';
    };
    if (!bracketed) {
        for (char c : host)
            if (!name_char(c)) return false;
        return true;
    }
    const std::size_t percent = host.find('%');
    const std::string_view address = host.substr(0, percent);
    if (address.find(':') == std::string_view::npos) return false;
    for (char c : address)
        if (hex_value(c) < 0 && c != ':' && c != '.') return false;
    if (percent == std::string_view::npos) return true;
    const std::string_view zone = host.substr(percent + 1);
    if (zone.empty()) return false;
    for (char c : zone)
        if (!name_char(c)) return false;
    return true;
}

}  // namespace

Result<Endpoint> parse_redis_url(std::string_view url) {
    if (url.empty()) return bad_url(std::string("redis url is empty; ") + kExample);
    if (starts_with_ignoring_case(url, "rediss://")) {
        return bad_url("redis url uses rediss:// (TLS), which is not supported; use redis://");
    }
    if (starts_with_ignoring_case(url, "unix://")) {
        return bad_url("redis url uses a unix socket, which is not supported; use redis://host:port");
    }
    if (!starts_with_ignoring_case(url, kScheme)) {
        return bad_url(std::string("redis url must start with redis://; ") + kExample);
    }
    std::string_view rest = url.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return bad_url("redis url options ('?...' or '#...') are not supported; put the database in the path (/db)");
    }

    Endpoint endpoint;
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

    // The last '@' ends the credentials: an unencoded '@' inside a password still parses.
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            return bad_url("redis url credentials must be ':password@' or 'user:password@'");
        }
        auto username = percent_decode(userinfo.substr(0, colon), "user name");
        if (!username) return username.error();
        auto password = percent_decode(userinfo.substr(colon + 1), "password");
        if (!password) return password.error();
        if (password->empty() && !username->empty()) {
            return bad_url("redis url has a user name but no password; use 'user:password@'");
        }
        endpoint.username = std::move(*username);
        endpoint.password = std::move(*password);
    }

    std::string_view host;
    std::string_view port;
    bool has_port = false;
    const bool bracketed = !authority.empty() && authority.front() == '[';
    if (bracketed) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url("redis url has '[' without ']' around an IPv6 host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url("redis url has text after ']'; expected ':port'");
            port = after.substr(1);
            has_port = true;
        }
    } else {
        size_t colon = authority.find(':');
        if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
            return bad_url("redis url host looks like an IPv6 address; put it in brackets, e.g. redis://[::1]:6379");
        }
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (host.empty()) return bad_url(std::string("redis url needs a host; ") + kExample);
    if (!valid_host(host, bracketed)) {
        return bad_url("redis url host may hold only letters, digits, '.', '-' and '_' (an IPv6 address: hex digits "
                       "and ':' in brackets)");
    }
    endpoint.host = std::string(host);
    if (has_port && !parse_number(port, 1, 65535, endpoint.port)) {
        return bad_url("redis url port must be a number from 1 to 65535");
    }

    if (!path.empty() && !parse_number(path, 0, std::numeric_limits<int>::max(), endpoint.db)) {
        return bad_url("redis url database (the path after the host) must be a number from 0, e.g. /0");
    }
    return endpoint;
}

std::string endpoint_label(const Endpoint& endpoint) {
    bool ipv6 = endpoint.host.find(':') != std::string::npos;
    std::string label = ipv6 ? "[" + endpoint.host + "]" : endpoint.host;
    return label + ":" + std::to_string(endpoint.port) + "/" + std::to_string(endpoint.db);
}

}  // namespace redred::state::redis
