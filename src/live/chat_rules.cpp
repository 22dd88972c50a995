#include "live/chat_rules.hpp"

#include <nlohmann/json.hpp>

#include "live/permissions.hpp"
#include "live/text_rules.hpp"

namespace redred::live {

Result<std::string> validate_comment(std::string_view raw) {
    return clean_text(raw, TextRules{.subject = "comments",
                                     .field = "content",
                                     .min_code_points = 1,
                                     .max_code_points = kMaxCommentCodePoints,
                                     .allow_newlines = false});
}

void to_json(nlohmann::json& j, const EmoteInfo& emote) {
    j = nlohmann::json{{"code", emote.code}, {"label", emote.label}, {"glyph", emote.glyph}};
}

const std::vector<EmoteInfo>& vip_emotes() {
    static const std::vector<EmoteInfo> emotes = {
        {":redred:", "RED-RED", "\xF0\x9F\x94\xB4"},  // U+1F534 red circle
        {":hype:", "Hype", "\xF0\x9F\x9A\x80"},       // U+1F680 rocket
        {":gg:", "Good game", "\xF0\x9F\xA4\x9D"},    // U+1F91D handshake
        {":clap:", "Clap", "\xF0\x9F\x91\x8F"},       // U+1F44F clapping hands
        {":fire:", "Fire", "\xF0\x9F\x94\xA5"},       // U+1F525 fire
        {":crown:", "Crown", "\xF0\x9F\x91\x91"},     // U+1F451 crown
    };
    return emotes;
}

const EmoteInfo* first_vip_emote(std::string_view content) {
    const EmoteInfo* first = nullptr;
    std::size_t first_at = std::string_view::npos;
    for (const EmoteInfo& emote : vip_emotes()) {
        const std::size_t at = content.find(emote.code);
        if (at < first_at) first = &emote, first_at = at;
    }
    return first;
}

Result<Ok> check_emotes(std::string_view content, Role role) {
    if (can(role, Action::VipEmotes)) return Ok{};
    if (const EmoteInfo* emote = first_vip_emote(content))
        return make_error(Errc::Forbidden,
                          "the emote " + std::string(emote->code) + " is for VIPs, moderators and the streamer",
                          "content");
    return Ok{};
}

bool is_highlighted(Role role) { return can(role, Action::HighlightedChat); }

}  // namespace redred::live
