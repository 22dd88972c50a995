// Sanctions with an expiry, for one stream. A timeout silences a user (no comments) until it expires; a
// kick closes every connection of the user and keeps them out (no joining) until the ban expires.
// Owned by the stream's hub, used on its strand. A sanction is active while now < until.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "live/types.hpp"

namespace redred::live {

enum class SanctionKind { Timeout, Kick };
const char* sanction_kind_name(SanctionKind kind);  // "timeout" | "kick"

struct Sanction {
    UserId user = 0;
    SanctionKind kind = SanctionKind::Timeout;
    TimePoint until;
    bool operator==(const Sanction&) const = default;
};

inline constexpr std::chrono::seconds kMinTimeout{1};
inline constexpr std::chrono::seconds kMaxTimeout{7 * 24 * 3600};
inline constexpr std::chrono::seconds kDefaultKickBan{10 * 60};

// 1 s to 7 days, else BadInput "timeouts must last 1 second to 7 days (604800 seconds)" (field "seconds").
Result<std::chrono::seconds> validate_timeout_seconds(long long seconds);

// A moderator's reason for a warning, a timeout or a kick, shown to the user it concerns and kept in the
// moderation log. Optional: empty or only spaces → nullopt. Otherwise trimmed, valid UTF-8, no control
// characters, at most 200 characters (code points), else BadInput "reasons must be at most 200 characters"
// (field "reason").
inline constexpr std::size_t kMaxReasonCodePoints = 200;
Result<std::optional<std::string>> validate_reason(std::string_view raw);

Sanction make_timeout(UserId user, TimePoint now, std::chrono::seconds duration);
Sanction make_kick(UserId user, TimePoint now, std::chrono::seconds ban = kDefaultKickBan);

class Sanctions {
public:
    // Replaces any sanction of the same kind for the same user: the latest decision wins, so a moderator can
    // shorten a timeout as well as extend it.
    void add(const Sanction& sanction);
    // Lifts a sanction early; false if there was none.
    bool lift(UserId user, SanctionKind kind);

    bool is_timed_out(UserId user, TimePoint now) const { return timed_out_until(user, now).has_value(); }
    bool is_kicked(UserId user, TimePoint now) const { return kicked_until(user, now).has_value(); }
    std::optional<TimePoint> timed_out_until(UserId user, TimePoint now) const;
    std::optional<TimePoint> kicked_until(UserId user, TimePoint now) const;

    // Forgets expired sanctions; returns how many.
    std::size_t prune(TimePoint now);
    // Active sanctions ordered by user then kind (to persist or show to moderators).
    std::vector<Sanction> active(TimePoint now) const;

private:
    std::optional<TimePoint> active_until(UserId user, SanctionKind kind, TimePoint now) const;

    std::map<std::pair<UserId, SanctionKind>, TimePoint> until_;
};

}  // namespace redred::live
