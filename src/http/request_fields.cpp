#include "http/request_fields.hpp"

namespace redred::http_server {

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view part = header.substr(0, semi);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
        if (semi == std::string_view::npos) break;
        header.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

std::optional<std::string> session_token(const Request& req, std::string_view cookie_name, bool allow_query,
                                         bool* via_cookie) {
    if (via_cookie) *via_cookie = false;
    const auto auth = req[http::field::authorization];
    if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer "))
        return std::string(auth.substr(7));
    if (auto cookie = cookie_value(req[http::field::cookie], cookie_name); cookie && !cookie->empty()) {
        if (via_cookie) *via_cookie = true;
        return cookie;
    }
    if (allow_query) return query_param(req.target(), "token");
    return std::nullopt;
}

Result<nlohmann::json> json_body(const Request& req) {
    if (req.body().empty()) return make_error(Errc::BadInput, "a JSON object body is required");
    auto body = nlohmann::json::parse(req.body(), nullptr, false);
    if (body.is_discarded()) return make_error(Errc::BadInput, "request body is not valid JSON");
    if (!body.is_object()) return make_error(Errc::BadInput, "request body must be a JSON object");
    return body;
}

Result<std::string> string_field(const nlohmann::json& body, const char* name, bool required) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
        if (!required) return std::string();
        return make_error(Errc::BadInput, std::string(name) + " is required", name);
    }
    if (!it->is_string()) return make_error(Errc::BadInput, std::string(name) + " must be a string", name);
    return it->get<std::string>();
}

}  // namespace redred::http_server
