#include "core/ids.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <sodium.h>

namespace redred {
namespace {
void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace

std::string random_hex(std::size_t bytes) {
    ensure_sodium();
    std::vector<unsigned char> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string hex(bytes * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
    hex.pop_back();
    return hex;
}

std::string random_uuid() {
    ensure_sodium();
    std::array<unsigned char, 16> b{};
    randombytes_buf(b.data(), b.size());
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4
    b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

}  // namespace redred
