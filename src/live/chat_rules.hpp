// Chat rules: what a comment may contain and which roles may use the VIP emotes. Pure functions.
// A comment handler checks, in order: require(role, Action::Comment), the sender's timeout (Sanctions),
// the rate limit (RateLimiter), validate_comment, check_emotes; then persists and broadcasts with
// is_highlighted(role).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"
#include "live/types.hpp"

namespace redred::live {

inline constexpr std::size_t kMaxCommentCodePoints = 500;

// Valid UTF-8; leading/trailing spaces trimmed (see is_trimmable_space); then 1 to 500 code points
// (an emoji such as U+1F525 counts as one) and no control characters (\n and \t included).
// Returns the trimmed text, or BadInput with field "content".
Result<std::string> validate_comment(std::string_view raw);

// A VIP-only emote. The UI renders `code` (e.g. ":fire:") as `glyph`.
struct EmoteInfo {
    std::string_view code;   // ":fire:"
    std::string_view label;  // "Fire"
    std::string_view glyph;  // "🔥"
};
// {"code":":fire:","label":"Fire","glyph":"🔥"}
void to_json(nlohmann::json& j, const EmoteInfo& emote);

// The fixed list: :redred: :hype: :gg: :clap: :fire: :crown:
const std::vector<EmoteInfo>& vip_emotes();

// The VIP emote that appears first in `content`, if any. Codes match exactly and case-sensitively.
const EmoteInfo* first_vip_emote(std::string_view content);

// Ok unless a role without Action::VipEmotes uses one: Forbidden
// "the emote :crown: is for VIPs, moderators and the streamer" (field "content").
Result<Ok> check_emotes(std::string_view content, Role role);

// Comments by streamer, moderators and VIPs are shown highlighted (seed: "Chat destacado").
bool is_highlighted(Role role);

}  // namespace redred::live
