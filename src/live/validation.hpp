// Input validation for accounts, stream forms and pagination. Pure functions returning the cleaned value
// or BadInput naming the field.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace redred::live {

inline constexpr std::size_t kMinUsernameLength = 3, kMaxUsernameLength = 30;
inline constexpr std::size_t kMinPasswordBytes = 8, kMaxPasswordBytes = 128;
inline constexpr std::size_t kMaxTitleCodePoints = 140;
inline constexpr std::size_t kMaxDescriptionCodePoints = 2000;
inline constexpr int kDefaultPageLimit = 20, kMaxPageLimit = 100;

// 3 to 30 of [A-Za-z0-9_-], taken as is (no trimming, case kept). Field "username".
Result<std::string> validate_username(std::string_view username);
// 8 to 128 bytes, any content (it is only hashed). Field "password".
Result<Ok> validate_password(std::string_view password);
// Trimmed, 1 to 140 code points, no control characters. Field "title".
Result<std::string> validate_title(std::string_view title);
// Trimmed, 0 to 2000 code points; newlines allowed ("\r\n" stored as "\n"), other controls not.
// Field "description".
Result<std::string> validate_description(std::string_view description);

struct Page {
    int limit = kDefaultPageLimit;
    int offset = 0;
    bool operator==(const Page&) const = default;
};
// Query parameters ?limit=&offset=. Absent or empty → default (limit 20, offset 0). limit: a whole number
// 1..100; offset: a whole number >= 0 that fits an int. Only digits: no sign, spaces or decimals.
// Fields "limit" / "offset".
Result<Page> parse_page(std::optional<std::string_view> limit, std::optional<std::string_view> offset);

}  // namespace redred::live
