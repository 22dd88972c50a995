#include "core/result.hpp"

namespace redred {

const char* errc_name(Errc code) {
    switch (code) {
        case Errc::BadInput: return "bad_input";
        case Errc::Unauthenticated: return "unauthenticated";
        case Errc::Forbidden: return "forbidden";
        case Errc::NotFound: return "not_found";
        case Errc::Conflict: return "conflict";
        case Errc::TooLarge: return "too_large";
        case Errc::RateLimited: return "rate_limited";
        case Errc::Unavailable: return "unavailable";
        case Errc::Internal: return "internal";
    }
    return "internal";
}

}  // namespace redred
