#include "live/text_rules.hpp"

namespace redred::live {

std::optional<char32_t> decode_utf8_at(std::string_view bytes, std::size_t& pos) {
    if (pos >= bytes.size()) return std::nullopt;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(pos);
    std::size_t length = 0;
    char32_t c = 0;
    char32_t smallest = 0;  // anything below is an overlong encoding
    if (lead < 0x80) {
        ++pos;
        return lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, c = lead & 0x1F, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, c = lead & 0x0F, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, c = lead & 0x07, smallest = 0x10000;
    } else {
        return std::nullopt;  // a continuation byte or 0xF8..0xFF where a character should start
    }
    if (bytes.size() - pos < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char next = byte(pos + i);
        if ((next & 0xC0) != 0x80) return std::nullopt;
        c = (c << 6) | (next & 0x3F);
    }
    if (c < smallest || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
    pos += length;
    return c;
}

bool is_valid_utf8(std::string_view bytes) {
    std::size_t pos = 0;
    while (pos < bytes.size())
        if (!decode_utf8_at(bytes, pos)) return false;
    return true;
}

std::size_t count_code_points(std::string_view valid_utf8) {
    std::size_t count = 0;
    for (char ch : valid_utf8)
        if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++count;  // every byte but continuation bytes
    return count;
}

bool is_trimmable_space(char32_t c) {
    return c == U' ' || (c >= U'\t' && c <= U'\r') || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000 || c == 0xFEFF;
}

bool is_control_character(char32_t c) {
    return c <= 0x1F || (c >= 0x7F && c <= 0x9F);
}

Result<std::string> clean_text(std::string_view raw, const TextRules& rules) {
    const auto bad = [&](std::string message) {
        return make_error(Errc::BadInput, std::move(message), std::string(rules.field));
    };
    const std::string subject(rules.subject);

    // Pass 1: validate and find the bytes between the first and last non-space characters.
    std::size_t first = std::string_view::npos, end = 0;
    for (std::size_t pos = 0; pos < raw.size();) {
        const std::size_t start = pos;
        const std::optional<char32_t> c = decode_utf8_at(raw, pos);
        if (!c) return bad(subject + " must be valid UTF-8");
        if (is_trimmable_space(*c)) continue;
        if (first == std::string_view::npos) first = start;
        end = pos;
    }
    const std::string_view trimmed =
        first == std::string_view::npos ? std::string_view{} : raw.substr(first, end - first);

    // Pass 2: control characters and length, on the trimmed text.
    std::string out;
    out.reserve(trimmed.size());
    std::size_t code_points = 0;
    for (std::size_t pos = 0; pos < trimmed.size();) {
        const std::size_t start = pos;
        const char32_t c = *decode_utf8_at(trimmed, pos);
        if (rules.allow_newlines && c == U'\r' && trimmed.substr(pos, 1) == "\n") continue;  // CRLF → LF
        if (is_control_character(c) && !(rules.allow_newlines && c == U'\n'))
            return bad(subject + (rules.allow_newlines ? " cannot contain control characters other than newlines"
                                                       : " cannot contain control characters"));
        ++code_points;
        out.append(trimmed.substr(start, pos - start));
    }
    if (code_points < rules.min_code_points || code_points > rules.max_code_points) {
        if (rules.min_code_points == 0)
            return bad(subject + " must be at most " + std::to_string(rules.max_code_points) + " characters");
        return bad(subject + " must be " + std::to_string(rules.min_code_points) + " to " +
                   std::to_string(rules.max_code_points) + " characters");
    }
    return out;
}

}  // namespace redred::live
