#include "core/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <stdexcept>
#include <cstring>
#include <vector>

namespace redred::crypto {
namespace {
void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_base64(const unsigned char* data, std::size_t size, int variant) {
    std::string out(sodium_base64_encoded_len(size, variant), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}
}  // namespace

std::optional<std::string> hash_password(std::string_view password) {
    ensure_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return std::nullopt;  // out of memory
    return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
    ensure_sodium();
    const std::string hash(stored_hash);  // must be NUL-terminated
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string new_session_token() {
    ensure_sodium();
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    return to_base64(raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string token_hash(std::string_view token) {
    ensure_sodium();
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    ensure_sodium();
    if (a.size() != b.size()) return false;
    return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

TurnCredential turn_credential(std::string_view secret, std::string_view name, std::int64_t expires_at_unix) {
    TurnCredential c;
    c.expires_at = expires_at_unix;
    c.username = std::to_string(expires_at_unix) + ":" + std::string(name);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac, &mac_size);
    c.credential = to_base64(mac, mac_size, sodium_base64_VARIANT_ORIGINAL);
    return c;
}

}  // namespace redred::crypto

namespace redred::crypto {

std::string keyed_hash_hex(std::string_view key, std::string_view message) {
    ensure_sodium();
    // BLAKE2b takes keys of 16 to 64 bytes: hash longer or shorter keys down to 32 first.
    unsigned char key_digest[32];
    crypto_generichash(key_digest, sizeof key_digest, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                       nullptr, 0);
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       key_digest, sizeof key_digest);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

}  // namespace redred::crypto
