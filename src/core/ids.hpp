// Random identifiers from libsodium's CSPRNG.
#pragma once
#include <string>

namespace redred {

// A UUID v4 in its usual text form ("3f1c...-....") — the shape of the seed's Celery task ids.
std::string random_uuid();
// `bytes` random bytes as lowercase hex.
std::string random_hex(std::size_t bytes);

}  // namespace redred
