// Fuzz target: the --redis URL (src/state/redis/redis_url.cpp). Whatever the text, a parse gives a usable
// endpoint or a BadInput that never echoes the password, and a parsed endpoint's label parses back to the
// same host, port and database.
#include <cstdint>
#include <cstdlib>

#include "state/redis/redis_url.hpp"

namespace {
void check(bool condition) {
    if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace redred::state::redis;
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_redis_url(url);
    if (!parsed) {
        check(parsed.error().code == redred::Errc::BadInput && parsed.error().field == "redis_url");
    }
    // The same text with a password in front of it: whatever goes wrong, the message must not show it.
    const std::string with_password = "redis://u:Pw-9c1f@" + std::string(url.substr(std::min<std::size_t>(8, size)));
    if (auto other = parse_redis_url(with_password); !other)
        check(other.error().message.find("Pw-9c1f") == std::string::npos);
    else
        check(other->password == "Pw-9c1f" || other->password.find("Pw-9c1f") != std::string::npos);
    if (!parsed) return 0;
    const Endpoint& e = *parsed;
    check(!e.host.empty() && e.port >= 1 && e.port <= 65535 && e.db >= 0);
    const std::string label = endpoint_label(e);
    // Exactly host, port and database: no credential can be in it.
    const bool ipv6 = e.host.find(':') != std::string::npos;
    check(label == (ipv6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port) + "/" + std::to_string(e.db));
    // The label is a URL again, naming the same server.
    auto again = parse_redis_url("redis://" + label);
    check(again && again->host == e.host && again->port == e.port && again->db == e.db);
    return 0;
}
