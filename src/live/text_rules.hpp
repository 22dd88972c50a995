// UTF-8 text checks shared by chat comments and form fields (title, description): valid UTF-8, trimmed,
// length in code points, no control characters. Pure functions.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace redred::live {

// Decodes the code point starting at bytes[pos] and advances pos past it. nullopt (pos unchanged) on
// malformed input: bad lead or continuation byte, truncated sequence, overlong form, surrogate, > U+10FFFF.
std::optional<char32_t> decode_utf8_at(std::string_view bytes, std::size_t& pos);
bool is_valid_utf8(std::string_view bytes);
std::size_t count_code_points(std::string_view valid_utf8);

// Spaces trimmed from both ends: ASCII whitespace (\t \n \v \f \r and space), U+0085, U+00A0, U+1680,
// U+2000–U+200B, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
bool is_trimmable_space(char32_t c);
// C0 (U+0000–U+001F, including \n and \t), DEL (U+007F) and C1 (U+0080–U+009F).
bool is_control_character(char32_t c);

struct TextRules {
    std::string_view subject;  // starts messages: "comments" → "comments must be 1 to 500 characters"
    std::string_view field;    // Error::field: "content", "title", ...
    std::size_t min_code_points = 1;
    std::size_t max_code_points = 0;
    bool allow_newlines = false;  // "\n" (and "\r\n", stored as "\n") inside the text; other controls never
};

// Checks in order: valid UTF-8, trim, no control characters, length in code points. Returns the trimmed
// text or BadInput with rules.field.
Result<std::string> clean_text(std::string_view raw, const TextRules& rules);

}  // namespace redred::live
