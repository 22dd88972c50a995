#include "screen/pattern_source.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "screen/jpeg_encoder.hpp"

namespace redred::screen {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint kNow{milliseconds(1'714'993'445'123LL)};  // 2024-05-06 11:04:05.123 UTC

std::unique_ptr<PatternSource> make_pattern(int width = 1280, int height = 720, int max_width = 0) {
    SourceOptions options;
    options.pattern_width = width;
    options.pattern_height = height;
    options.max_width = max_width;
    auto source = PatternSource::create(options);
    EXPECT_TRUE(source.ok()) << source.error().message;
    return std::move(source).value();
}

// Copies a grabbed frame row by row (the view is only valid until the next grab).
std::vector<std::uint8_t> copy_frame(const ImageView& view) {
    std::vector<std::uint8_t> pixels;
    for (int y = 0; y < view.height; ++y) {
        const std::uint8_t* row = view.data + static_cast<std::size_t>(y) * view.stride_bytes;
        pixels.insert(pixels.end(), row, row + static_cast<std::size_t>(view.width) * 4);
    }
    return pixels;
}

TEST(PatternSource, ReturnsFramesOfTheConfiguredSize) {
    auto source = make_pattern(1280, 720);
    EXPECT_EQ(source->name(), "pattern");
    auto frame = source->grab(kNow);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->width, 1280);
    EXPECT_EQ(frame->height, 720);
    EXPECT_GE(frame->stride_bytes, 1280 * 4);
    EXPECT_EQ(source->width(), 1280);
    EXPECT_EQ(source->height(), 720);
}

TEST(PatternSource, HonoursMaxWidthKeepingAspectRatio) {
    auto source = make_pattern(1920, 1080, 1280);
    EXPECT_EQ(source->width(), 1280);
    EXPECT_EQ(source->height(), 720);
    auto frame = source->grab(kNow);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->width, 1280);
}

TEST(PatternSource, DrawsAtOddAndTinySizesWithoutOverrunning) {
    for (const auto& [w, h] : {std::pair{16, 16}, std::pair{333, 97}, std::pair{97, 333}, std::pair{641, 481}}) {
        auto source = make_pattern(w, h);
        for (int i = 0; i < 5; ++i) {
            auto frame = source->grab(kNow + milliseconds(i * 1777));
            ASSERT_TRUE(frame.ok());
            EXPECT_EQ(frame->width, w);
            EXPECT_EQ(frame->height, h);
        }
    }
}

TEST(PatternSource, RejectsSizesOutsideTheSupportedRange) {
    for (const auto& [w, h] : {std::pair{0, 720}, std::pair{1280, 8}, std::pair{10000, 720}, std::pair{1280, 5000}}) {
        SourceOptions options;
        options.pattern_width = w;
        options.pattern_height = h;
        auto source = PatternSource::create(options);
        ASSERT_FALSE(source.ok()) << w << "x" << h;
        EXPECT_EQ(source.error().code, Errc::BadInput);
    }
    SourceOptions negative;
    negative.max_width = -1;
    EXPECT_EQ(PatternSource::create(negative).error().code, Errc::BadInput);
}

TEST(PatternSource, FramesChangeOverTime) {
    auto source = make_pattern();
    const auto first = copy_frame(*source->grab(kNow));
    const auto ms_later = copy_frame(*source->grab(kNow + milliseconds(1)));  // the clock's milliseconds
    const auto later = copy_frame(*source->grab(kNow + milliseconds(66)));
    EXPECT_NE(first, ms_later);
    EXPECT_NE(first, later);
    EXPECT_NE(ms_later, later);
}

TEST(PatternSource, IsDeterministicForTheSameTime) {
    auto a = make_pattern();
    auto b = make_pattern();
    const auto from_a = copy_frame(*a->grab(kNow));
    EXPECT_EQ(from_a, copy_frame(*b->grab(kNow)));
    // Going elsewhere in time and coming back restores exactly the same picture.
    (void)a->grab(kNow + milliseconds(4321));
    (void)a->grab(kNow - milliseconds(98765));
    EXPECT_EQ(from_a, copy_frame(*a->grab(kNow)));
}

TEST(PatternSource, EncodesToAboutTheSizeOfARealDesktopAt720pQuality75) {
    auto source = make_pattern();
    JpegEncoder encoder;
    for (int i = 0; i < 4; ++i) {
        auto frame = source->grab(kNow + milliseconds(i * 2500));
        ASSERT_TRUE(frame.ok());
        auto jpeg = encoder.encode(*frame, 75);
        ASSERT_TRUE(jpeg.ok());
        EXPECT_GE(jpeg->size(), 90u * 1024u) << "frame " << i;
        EXPECT_LE(jpeg->size(), 170u * 1024u) << "frame " << i;
    }
}

}  // namespace
}  // namespace redred::screen
