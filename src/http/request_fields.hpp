// What a request says, read without I/O: query parameters, cookies, the session token, a JSON object body and
// its string fields. Pure functions of the request; the fuzz target fuzz/http_request_fuzz.cpp runs them on
// whatever Beast's parser accepts.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/types.hpp"

namespace redred::http_server {

// The value of `name` in the target's query string ("" for a bare `?name`); not percent-decoded.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// The value of cookie `name` in a Cookie header.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);
// The session token of a request: Bearer header, then cookie `cookie_name`, then (if allowed) the `token`
// query parameter.
std::optional<std::string> session_token(const Request& req, std::string_view cookie_name, bool allow_query,
                                         bool* via_cookie = nullptr);

// Parses a JSON object body; BadInput with a clear message otherwise.
Result<nlohmann::json> json_body(const Request& req);
// A string field of a JSON object; BadInput naming the field when missing or not a string.
Result<std::string> string_field(const nlohmann::json& body, const char* name, bool required = true);

}  // namespace redred::http_server
