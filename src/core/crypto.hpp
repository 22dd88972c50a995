// Passwords, session tokens and TURN credentials. libsodium for everything it has; OpenSSL only for
// HMAC-SHA1, which coturn's shared-secret scheme (use-auth-secret) requires.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace redred::crypto {

// argon2id (crypto_pwhash_str, interactive limits: ~64 MiB and ~0.1 s). Blocking: never on an I/O thread.
std::optional<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view stored_hash, std::string_view password);

// 256 random bits, URL-safe base64 without padding (43 characters).
std::string new_session_token();
// What the database keeps instead of the token: BLAKE2b-256, hex.
std::string token_hash(std::string_view token);

// Constant-time comparison of two strings of possibly different length.
bool equal_constant_time(std::string_view a, std::string_view b);

// coturn REST-API credentials: username "<expiry unix>:<name>", credential base64(HMAC-SHA1(secret, username)).
struct TurnCredential {
    std::string username;
    std::string credential;
    std::int64_t expires_at = 0;
};
TurnCredential turn_credential(std::string_view secret, std::string_view name, std::int64_t expires_at_unix);

}  // namespace redred::crypto

namespace redred::crypto {
// A keyed BLAKE2b-256 of `message`, hex: a secret derived from `key` that anyone holding `key` can derive again.
std::string keyed_hash_hex(std::string_view key, std::string_view message);
}  // namespace redred::crypto
