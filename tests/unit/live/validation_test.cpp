#include "live/validation.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

template <class T>
void expect_bad(const Result<T>& result, const std::string& field) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, Errc::BadInput);
    EXPECT_EQ(result.error().field, field);
    EXPECT_FALSE(result.error().message.empty());
}

TEST(ValidateUsername, AcceptsThreeToThirtyLettersDigitsUnderscoresAndDashes) {
    EXPECT_EQ(*validate_username("ana"), "ana");
    EXPECT_EQ(*validate_username("Red_Red-42"), "Red_Red-42");
    EXPECT_TRUE(validate_username(std::string(30, 'x')).ok());
}

TEST(ValidateUsername, RefusesWrongLengthsAndOtherCharacters) {
    for (const std::string& name : {std::string("ab"), std::string(31, 'x'), std::string("ana maria"),
                                   std::string("ana!"), std::string("peña"), std::string(" ana"), std::string("")})
        expect_bad(validate_username(name), "username");
}

TEST(ValidatePassword, AcceptsEightToOneHundredTwentyEightBytes) {
    EXPECT_TRUE(validate_password("12345678").ok());
    EXPECT_TRUE(validate_password(std::string(128, 'p')).ok());
    expect_bad(validate_password("1234567"), "password");
    expect_bad(validate_password(std::string(129, 'p')), "password");
}

TEST(ValidateTitle, TrimsAndCountsCodePoints) {
    EXPECT_EQ(*validate_title("  Partida de ajedrez  "), "Partida de ajedrez");
    EXPECT_TRUE(validate_title(std::string(140, 't')).ok());
    const auto too_long = validate_title(std::string(141, 't'));
    expect_bad(too_long, "title");
    EXPECT_EQ(too_long.error().message, "title must be 1 to 140 characters");
    expect_bad(validate_title("   "), "title");
    expect_bad(validate_title("line\nbreak"), "title");
    expect_bad(validate_title("\xFF"), "title");
}

TEST(ValidateDescription, AllowsEmptyAndNewlinesButNoOtherControls) {
    EXPECT_EQ(*validate_description(""), "");
    EXPECT_EQ(*validate_description("  Reglas:\r\n1. respeto\n2. nada de spam \n"),
              "Reglas:\n1. respeto\n2. nada de spam");
    EXPECT_TRUE(validate_description(std::string(2000, 'd')).ok());
    expect_bad(validate_description(std::string(2001, 'd')), "description");
    expect_bad(validate_description("tab\there"), "description");
}

TEST(ParsePage, DefaultsToTwentyFromTheStart) {
    EXPECT_EQ(*parse_page(std::nullopt, std::nullopt), (Page{20, 0}));
    EXPECT_EQ(*parse_page("", ""), (Page{20, 0}));
    EXPECT_EQ(*parse_page("100", "40"), (Page{100, 40}));
    EXPECT_EQ(*parse_page("1", "0"), (Page{1, 0}));
}

TEST(ParsePage, RefusesOutOfRangeAndNonNumericValues) {
    for (const char* limit : {"0", "101", "-1", "+5", "1.5", "abc", " 5", "99999999999999"})
        expect_bad(parse_page(limit, std::nullopt), "limit");
    for (const char* offset : {"-1", "x", "2147483648", "1e3"}) expect_bad(parse_page(std::nullopt, offset), "offset");
    EXPECT_EQ(parse_page(std::nullopt, "2147483647")->offset, 2147483647);
}

}  // namespace
}  // namespace redred::live
