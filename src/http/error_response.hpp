// The one place where errors become HTTP responses (STYLE §5).
#pragma once
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/types.hpp"

namespace redred::http_server {

http::status status_for(Errc code);
Response json_response(http::status status, const nlohmann::json& body, unsigned version = 11, bool keep_alive = true);
// {"error": "<code name>", "message": "...", "field": "..."(optional)}
Response error_response(const Error& error, unsigned version = 11, bool keep_alive = true);
Response error_response(http::status status, std::string_view code, std::string_view message, unsigned version = 11,
                        bool keep_alive = true);

}  // namespace redred::http_server
