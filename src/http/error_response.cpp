#include "http/error_response.hpp"

namespace redred::http_server {

http::status status_for(Errc code) {
    switch (code) {
        case Errc::BadInput: return http::status::bad_request;
        case Errc::Unauthenticated: return http::status::unauthorized;
        case Errc::Forbidden: return http::status::forbidden;
        case Errc::NotFound: return http::status::not_found;
        case Errc::Conflict: return http::status::conflict;
        case Errc::TooLarge: return http::status::payload_too_large;
        case Errc::RateLimited: return http::status::too_many_requests;
        case Errc::Unavailable: return http::status::service_unavailable;
        case Errc::Internal: return http::status::internal_server_error;
    }
    return http::status::internal_server_error;
}

Response json_response(http::status status, const nlohmann::json& body, unsigned version, bool keep_alive) {
    Response res{status, version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    res.prepare_payload();
    return res;
}

Response error_response(const Error& error, unsigned version, bool keep_alive) {
    nlohmann::json body{{"error", errc_name(error.code)}, {"message", error.message}};
    if (!error.field.empty()) body["field"] = error.field;
    return json_response(status_for(error.code), body, version, keep_alive);
}

Response error_response(http::status status, std::string_view code, std::string_view message, unsigned version,
                        bool keep_alive) {
    return json_response(status, {{"error", code}, {"message", message}}, version, keep_alive);
}

}  // namespace redred::http_server
