#include "screen/screen_source.hpp"

#include <gtest/gtest.h>

#include <string>

namespace redred::screen {
namespace {

// A display name without ':' is rejected by Xlib's parser, so these tests never open a socket.
constexpr const char* kUnparseableDisplay = "no-such-display";

TEST(SourceKind, ParsesEveryNameItPrints) {
    for (const SourceKind kind : {SourceKind::Auto, SourceKind::X11, SourceKind::Pattern, SourceKind::None}) {
        auto parsed = parse_source_kind(source_kind_name(kind));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, kind);
    }
}

TEST(SourceKind, RejectsUnknownNamesListingTheAcceptedOnes) {
    for (const char* text : {"", "X11", "screen", "patterns"}) {
        auto parsed = parse_source_kind(text);
        ASSERT_FALSE(parsed.ok()) << text;
        EXPECT_EQ(parsed.error().code, Errc::BadInput);
        EXPECT_NE(parsed.error().message.find("auto, x11, pattern, none"), std::string::npos);
    }
}

TEST(OpenScreenSource, NoneIsABadInputError) {
    auto source = open_screen_source(SourceKind::None, SourceOptions{});
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().code, Errc::BadInput);
    EXPECT_EQ(source.error().message, "screen source 'none' captures nothing");
}

TEST(OpenScreenSource, PatternGivesThePatternAtTheRequestedSize) {
    SourceOptions options;
    options.pattern_width = 640;
    options.pattern_height = 360;
    auto source = open_screen_source(SourceKind::Pattern, options);
    ASSERT_TRUE(source.ok()) << source.error().message;
    EXPECT_EQ((*source)->name(), "pattern");
    EXPECT_EQ((*source)->width(), 640);
    EXPECT_EQ((*source)->height(), 360);
}

TEST(OpenScreenSource, X11WithoutADisplayIsUnavailableWithAdvice) {
    SourceOptions options;
    options.display = kUnparseableDisplay;
    auto source = open_screen_source(SourceKind::X11, options);
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().code, Errc::Unavailable);
    // Appended piecewise: GCC 12 warns falsely (-Warray-bounds) on a chain of std::string operator+.
    std::string expected = "cannot open X display '";
    expected += kUnparseableDisplay;
    expected += "' (is DISPLAY set? is Xvfb running?)";
    EXPECT_EQ(source.error().message, expected);
}

TEST(OpenScreenSource, AutoFallsBackToThePatternWhenNoDisplayOpens) {
    SourceOptions options;
    options.display = kUnparseableDisplay;
    options.pattern_width = 320;
    options.pattern_height = 200;
    auto source = open_screen_source(SourceKind::Auto, options);
    ASSERT_TRUE(source.ok()) << source.error().message;
    EXPECT_EQ((*source)->name(), "pattern");
    EXPECT_EQ((*source)->width(), 320);
}

}  // namespace
}  // namespace redred::screen
