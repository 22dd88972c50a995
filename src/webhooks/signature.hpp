// The X-Redred-Signature header: "sha256=" + hex HMAC-SHA256 of the raw request body, keyed with
// --webhook-secret (libsodium's HMAC-SHA256, keys of any length as in RFC 2104).
#pragma once
#include <string>
#include <string_view>

namespace redred::webhooks {

inline constexpr std::string_view kSignatureHeader = "X-Redred-Signature";

std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string signature_header_value(std::string_view secret, std::string_view body);  // "sha256=<hex>"

}  // namespace redred::webhooks
