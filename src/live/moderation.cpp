#include "live/moderation.hpp"

#include <string>

#include "live/text_rules.hpp"

namespace redred::live {

const char* sanction_kind_name(SanctionKind kind) {
    switch (kind) {
        case SanctionKind::Timeout: return "timeout";
        case SanctionKind::Kick: return "kick";
    }
    return "timeout";
}

Result<std::chrono::seconds> validate_timeout_seconds(long long seconds) {
    if (seconds < kMinTimeout.count() || seconds > kMaxTimeout.count())
        return make_error(Errc::BadInput,
                          "timeouts must last 1 second to 7 days (" + std::to_string(kMaxTimeout.count()) + " seconds)",
                          "seconds");
    return std::chrono::seconds(seconds);
}

Result<std::optional<std::string>> validate_reason(std::string_view raw) {
    auto cleaned = clean_text(raw, TextRules{.subject = "reasons",
                                             .field = "reason",
                                             .min_code_points = 0,
                                             .max_code_points = kMaxReasonCodePoints,
                                             .allow_newlines = false});
    if (!cleaned) return cleaned.error();
    if (cleaned->empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(*cleaned));
}

Sanction make_timeout(UserId user, TimePoint now, std::chrono::seconds duration) {
    return Sanction{user, SanctionKind::Timeout, now + duration};
}

Sanction make_kick(UserId user, TimePoint now, std::chrono::seconds ban) {
    return Sanction{user, SanctionKind::Kick, now + ban};
}

void Sanctions::add(const Sanction& sanction) { until_[{sanction.user, sanction.kind}] = sanction.until; }

bool Sanctions::lift(UserId user, SanctionKind kind) { return until_.erase({user, kind}) > 0; }

std::optional<TimePoint> Sanctions::active_until(UserId user, SanctionKind kind, TimePoint now) const {
    const auto it = until_.find({user, kind});
    if (it == until_.end() || now >= it->second) return std::nullopt;
    return it->second;
}

std::optional<TimePoint> Sanctions::timed_out_until(UserId user, TimePoint now) const {
    return active_until(user, SanctionKind::Timeout, now);
}

std::optional<TimePoint> Sanctions::kicked_until(UserId user, TimePoint now) const {
    return active_until(user, SanctionKind::Kick, now);
}

std::size_t Sanctions::prune(TimePoint now) {
    return std::erase_if(until_, [&](const auto& entry) { return now >= entry.second; });
}

std::vector<Sanction> Sanctions::active(TimePoint now) const {
    std::vector<Sanction> result;
    for (const auto& [key, until] : until_)
        if (now < until) result.push_back(Sanction{key.first, key.second, until});
    return result;
}

}  // namespace redred::live
