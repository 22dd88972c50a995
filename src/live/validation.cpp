#include "live/validation.hpp"

#include <charconv>
#include <limits>

#include "live/text_rules.hpp"

namespace redred::live {
namespace {

bool is_username_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// A whole number in [min, max] written with digits only; nullopt otherwise (including overflow).
std::optional<int> parse_whole_number(std::string_view text, int min, int max) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
    return static_cast<int>(value);
}

}  // namespace

Result<std::string> validate_username(std::string_view username) {
    const auto bad = [] {
        return make_error(Errc::BadInput,
                          "usernames must be 3 to 30 characters: letters, digits, '_' or '-'", "username");
    };
    if (username.size() < kMinUsernameLength || username.size() > kMaxUsernameLength) return bad();
    for (char c : username)
        if (!is_username_char(c)) return bad();
    return std::string(username);
}

Result<Ok> validate_password(std::string_view password) {
    if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes)
        return make_error(Errc::BadInput, "passwords must be 8 to 128 bytes long", "password");
    return Ok{};
}

Result<std::string> validate_title(std::string_view title) {
    return clean_text(title, TextRules{.subject = "title",
                                       .field = "title",
                                       .min_code_points = 1,
                                       .max_code_points = kMaxTitleCodePoints,
                                       .allow_newlines = false});
}

Result<std::string> validate_description(std::string_view description) {
    return clean_text(description, TextRules{.subject = "description",
                                             .field = "description",
                                             .min_code_points = 0,
                                             .max_code_points = kMaxDescriptionCodePoints,
                                             .allow_newlines = true});
}

Result<Page> parse_page(std::optional<std::string_view> limit, std::optional<std::string_view> offset) {
    Page page;
    if (limit && !limit->empty()) {
        const std::optional<int> value = parse_whole_number(*limit, 1, kMaxPageLimit);
        if (!value) return make_error(Errc::BadInput, "limit must be a whole number from 1 to 100", "limit");
        page.limit = *value;
    }
    if (offset && !offset->empty()) {
        const std::optional<int> value = parse_whole_number(*offset, 0, std::numeric_limits<int>::max());
        if (!value) return make_error(Errc::BadInput, "offset must be a whole number from 0", "offset");
        page.offset = *value;
    }
    return page;
}

}  // namespace redred::live
