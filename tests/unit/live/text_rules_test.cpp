#include "live/text_rules.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

TEST(Utf8, DecodesOneToFourByteSequences) {
    const std::string text = "a\xC3\xB1\xE2\x82\xAC\xF0\x9F\x94\xA5";  // a ñ € 🔥
    std::size_t pos = 0;
    EXPECT_EQ(decode_utf8_at(text, pos), U'a');
    EXPECT_EQ(decode_utf8_at(text, pos), U'\u00F1');
    EXPECT_EQ(decode_utf8_at(text, pos), U'\u20AC');
    EXPECT_EQ(decode_utf8_at(text, pos), U'\U0001F525');
    EXPECT_EQ(pos, text.size());
    EXPECT_EQ(decode_utf8_at(text, pos), std::nullopt);
    EXPECT_EQ(count_code_points(text), 4u);
}

TEST(Utf8, RejectsMalformedSequences) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF, the last code point
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x94"));      // truncated
    EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));      // bad continuation
    EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // five-byte form
}

TEST(TextRules, NewlinesAllowedWhenAskedAndCrlfBecomesLf) {
    const TextRules rules{.subject = "notes", .field = "notes", .min_code_points = 0, .max_code_points = 10,
                          .allow_newlines = true};
    EXPECT_EQ(*clean_text("\r\na\r\nb\n", rules), "a\nb");
    const auto refused = clean_text("a\tb", rules);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "notes cannot contain control characters other than newlines");
    EXPECT_FALSE(clean_text("a\rb", rules).ok());  // a lone CR is not a newline
}

}  // namespace
}  // namespace redred::live
