#include "live/chat_rules.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace redred::live {
namespace {

const std::string kFire = "\xF0\x9F\x94\xA5";  // U+1F525, four bytes, one code point
const std::string kNbsp = "\xC2\xA0";          // U+00A0
const std::string kIdeographicSpace = "\xE3\x80\x80";  // U+3000
const std::string kZeroWidthSpace = "\xE2\x80\x8B";    // U+200B

std::string repeat(const std::string& piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += piece;
    return out;
}

void expect_bad_comment(std::string_view raw, const std::string& message) {
    const auto result = validate_comment(raw);
    ASSERT_FALSE(result.ok()) << raw;
    EXPECT_EQ(result.error().code, Errc::BadInput);
    EXPECT_EQ(result.error().field, "content");
    EXPECT_EQ(result.error().message, message);
}

TEST(ValidateComment, AcceptsOrdinaryTextAndTrimsSpaces) {
    EXPECT_EQ(*validate_comment("¡Hola!"), "¡Hola!");
    EXPECT_EQ(*validate_comment("  hola  que tal \t"), "hola  que tal");
}

TEST(ValidateComment, TrimsUnicodeWhitespaceAtBothEnds) {
    const std::string raw = kNbsp + kIdeographicSpace + " hola " + kZeroWidthSpace + "\xE2\x80\x80" + kNbsp;
    EXPECT_EQ(*validate_comment(raw), "hola");
    // Inside the text, such spaces stay.
    EXPECT_EQ(*validate_comment("a" + kNbsp + "b"), "a" + kNbsp + "b");
}

TEST(ValidateComment, CountsCodePointsSoAnEmojiIsOneCharacter) {
    EXPECT_EQ(*validate_comment(repeat(kFire, 500)), repeat(kFire, 500));
    expect_bad_comment(repeat(kFire, 501), "comments must be 1 to 500 characters");
}

TEST(ValidateComment, AcceptsFiveHundredCharactersAndRefusesFiveHundredOne) {
    EXPECT_TRUE(validate_comment(std::string(500, 'a')).ok());
    expect_bad_comment(std::string(501, 'a'), "comments must be 1 to 500 characters");
    // Spaces trimmed away do not count.
    EXPECT_TRUE(validate_comment("   " + std::string(500, 'a') + "   ").ok());
}

TEST(ValidateComment, RefusesEmptyAndOnlySpaces) {
    expect_bad_comment("", "comments must be 1 to 500 characters");
    expect_bad_comment("    ", "comments must be 1 to 500 characters");
    expect_bad_comment(" \n\t " + kNbsp + kIdeographicSpace, "comments must be 1 to 500 characters");
}

TEST(ValidateComment, RefusesControlCharacters) {
    for (const std::string& raw : {std::string("a\nb"), std::string("a\tb"), std::string("a\rb"),
                                  std::string("a\0b", 3), std::string("a\x1b[31mb"), std::string("a\x7f" "b"),
                                  std::string("a\xC2\x80" "b"), std::string("a\xC2\x9F" "b")}) {
        SCOPED_TRACE(nlohmann::json(raw).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        expect_bad_comment(raw, "comments cannot contain control characters");
    }
}

TEST(ValidateComment, RefusesInvalidUtf8) {
    for (const std::string& raw : {std::string("\xFF"),              // never a UTF-8 byte
                                   std::string("a\xC3"),             // truncated
                                   std::string("\xC0\xAF"),          // overlong '/'
                                   std::string("\xED\xA0\x80"),      // a UTF-16 surrogate
                                   std::string("\xF4\x90\x80\x80"),  // above U+10FFFF
                                   std::string("\x80" "abc")}) {     // a stray continuation byte
        expect_bad_comment(raw, "comments must be valid UTF-8");
    }
}

TEST(VipEmotes, ListHasCodesLabelsAndGlyphs) {
    ASSERT_EQ(vip_emotes().size(), 6u);
    for (const EmoteInfo& emote : vip_emotes()) {
        EXPECT_EQ(emote.code.front(), ':');
        EXPECT_EQ(emote.code.back(), ':');
        EXPECT_FALSE(emote.label.empty());
        EXPECT_FALSE(emote.glyph.empty());
    }
    const nlohmann::json j = vip_emotes();
    EXPECT_EQ(j[0]["code"], ":redred:");
    EXPECT_EQ(j[5]["code"], ":crown:");
}

TEST(VipEmotes, OnlyVipsModeratorsAndTheStreamerMayUseThem) {
    for (Role role : {Role::Streamer, Role::Moderator, Role::Vip})
        EXPECT_TRUE(check_emotes("gg :crown: :fire:", role).ok()) << role_name(role);
    const auto refused = check_emotes("nice :crown: and :fire:", Role::Viewer);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::Forbidden);
    EXPECT_EQ(refused.error().message, "the emote :crown: is for VIPs, moderators and the streamer");
    EXPECT_FALSE(check_emotes(":gg:", Role::Guest).ok());
}

TEST(VipEmotes, ViewersMayWriteTextThatIsNotAnEmoteCode) {
    for (const char* text : {"gg", "crown", ":CROWN:", ": fire :", "::", "time 10:30:"})
        EXPECT_TRUE(check_emotes(text, Role::Viewer).ok()) << text;
}

TEST(VipEmotes, FirstEmoteIsTheEarliestInTheText) {
    ASSERT_NE(first_vip_emote("x :hype: :redred:"), nullptr);
    EXPECT_EQ(first_vip_emote("x :hype: :redred:")->code, ":hype:");
    EXPECT_EQ(first_vip_emote("nothing here"), nullptr);
}

TEST(ChatHighlight, StreamerModeratorsAndVipsAreHighlighted) {
    EXPECT_TRUE(is_highlighted(Role::Streamer));
    EXPECT_TRUE(is_highlighted(Role::Moderator));
    EXPECT_TRUE(is_highlighted(Role::Vip));
    EXPECT_FALSE(is_highlighted(Role::Viewer));
    EXPECT_FALSE(is_highlighted(Role::Guest));
}

}  // namespace
}  // namespace redred::live
