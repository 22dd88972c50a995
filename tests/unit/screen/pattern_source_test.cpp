#include "screen/pattern_source.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
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

ImageView grab_image(PatternSource& source, TimePoint now) {
    auto capture = source.grab(now);
    EXPECT_TRUE(capture.ok());
    return capture->image;
}

TEST(PatternSource, ReturnsFramesOfTheConfiguredSize) {
    auto source = make_pattern(1280, 720);
    EXPECT_EQ(source->name(), "pattern");
    auto frame = source->grab(kNow);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->image.width, 1280);
    EXPECT_EQ(frame->image.height, 720);
    EXPECT_GE(frame->image.stride_bytes, 1280 * 4);
    EXPECT_EQ(source->width(), 1280);
    EXPECT_EQ(source->height(), 720);
}

TEST(PatternSource, HonoursMaxWidthKeepingAspectRatio) {
    auto source = make_pattern(1920, 1080, 1280);
    EXPECT_EQ(source->width(), 1280);
    EXPECT_EQ(source->height(), 720);
    auto frame = source->grab(kNow);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->image.width, 1280);
}

TEST(PatternSource, DrawsAtOddAndTinySizesWithoutOverrunning) {
    for (const auto& [w, h] : {std::pair{16, 16}, std::pair{333, 97}, std::pair{97, 333}, std::pair{641, 481}}) {
        auto source = make_pattern(w, h);
        for (int i = 0; i < 5; ++i) {
            auto frame = source->grab(kNow + milliseconds(i * 1777));
            ASSERT_TRUE(frame.ok());
            EXPECT_EQ(frame->image.width, w);
            EXPECT_EQ(frame->image.height, h);
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
    const auto first = copy_frame(grab_image(*source, kNow));
    const auto ms_later = copy_frame(grab_image(*source, kNow + milliseconds(1)));  // the clock's milliseconds
    const auto later = copy_frame(grab_image(*source, kNow + milliseconds(66)));
    EXPECT_NE(first, ms_later);
    EXPECT_NE(first, later);
    EXPECT_NE(ms_later, later);
}

TEST(PatternSource, IsDeterministicForTheSameTime) {
    auto a = make_pattern();
    auto b = make_pattern();
    const auto from_a = copy_frame(grab_image(*a, kNow));
    EXPECT_EQ(from_a, copy_frame(grab_image(*b, kNow)));
    // Going elsewhere in time and coming back restores exactly the same picture.
    (void)a->grab(kNow + milliseconds(4321));
    (void)a->grab(kNow - milliseconds(98765));
    EXPECT_EQ(from_a, copy_frame(grab_image(*a, kNow)));
}

TEST(PatternSource, EncodesToAboutTheSizeOfARealDesktopAt720pQuality75) {
    auto source = make_pattern();
    JpegEncoder encoder;
    for (int i = 0; i < 4; ++i) {
        auto frame = source->grab(kNow + milliseconds(i * 2500));
        ASSERT_TRUE(frame.ok());
        auto jpeg = encoder.encode(frame->image, 75);
        ASSERT_TRUE(jpeg.ok());
        EXPECT_GE(jpeg->size(), 90u * 1024u) << "frame " << i;
        EXPECT_LE(jpeg->size(), 170u * 1024u) << "frame " << i;
    }
}

// Every pixel that differs between `before` and `after` (copies of whole pictures) lies in one of `changed`,
// and every rect lies inside the picture. Returns how many pixels differ.
long long expect_changes_covered(const std::vector<std::uint8_t>& before, const std::vector<std::uint8_t>& after,
                                 int width, int height, const std::vector<Rect>& changed, const std::string& where) {
    for (const Rect& r : changed) {
        EXPECT_FALSE(r.empty()) << where;
        EXPECT_TRUE(r.x >= 0 && r.y >= 0 && r.x + r.w <= width && r.y + r.h <= height)
            << where << ": rect " << r.x << "," << r.y << " " << r.w << "x" << r.h << " leaves the picture";
    }
    std::vector<bool> covered(static_cast<std::size_t>(width) * height, false);
    for (const Rect& r : changed) {
        for (int y = std::max(0, r.y); y < std::min(height, r.y + r.h); ++y)
            for (int x = std::max(0, r.x); x < std::min(width, r.x + r.w); ++x)
                covered[static_cast<std::size_t>(y) * width + x] = true;
    }
    long long differing = 0;
    int reported = 0;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * width + x;
            if (std::memcmp(&before[i * 4], &after[i * 4], 4) == 0) continue;
            ++differing;
            if (!covered[i] && reported++ < 3)
                ADD_FAILURE() << where << ": pixel " << x << "," << y << " changed outside the reported rects";
        }
    }
    return differing;
}

long long total_area(const std::vector<Rect>& rects) {
    long long area = 0;
    for (const Rect& r : rects) area += r.area();
    return area;
}

TEST(PatternSourceChanges, FirstGrabReportsTheWholePicture) {
    auto source = make_pattern(640, 360);
    auto capture = source->grab(kNow);
    ASSERT_TRUE(capture.ok());
    ASSERT_EQ(capture->changed.size(), 1u);
    EXPECT_EQ(capture->changed[0], (Rect{0, 0, 640, 360}));
}

TEST(PatternSourceChanges, TheSameTimeTwiceIsNoChange) {
    auto source = make_pattern();
    const auto first = copy_frame(grab_image(*source, kNow + milliseconds(5)));
    auto again = source->grab(kNow + milliseconds(5));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->changed.empty());
    EXPECT_EQ(copy_frame(again->image), first);
}

TEST(PatternSourceChanges, EveryPixelThatDiffersLiesInsideTheReportedRects) {
    // Steps from a millisecond (only the clock's digits) to minutes, and jumps back in time.
    const std::vector<long long> steps_ms = {1,    1,   16,   33,     66,      66, 100,       437, 438, 500,
                                             1000, 999, 4567, 60'000, -98'765, 66, 3'600'000, 1,   -1,  250};
    for (const auto& [w, h] : {std::pair{1280, 720}, std::pair{333, 97}, std::pair{641, 481}}) {
        auto source = make_pattern(w, h);
        TimePoint now = kNow;
        auto before = copy_frame(grab_image(*source, now));
        for (std::size_t i = 0; i < steps_ms.size(); ++i) {
            now += milliseconds(steps_ms[i]);
            auto capture = source->grab(now);
            ASSERT_TRUE(capture.ok());
            auto after = copy_frame(capture->image);
            const std::string where = std::to_string(w) + "x" + std::to_string(h) + " step " + std::to_string(i);
            const long long differing = expect_changes_covered(before, after, w, h, capture->changed, where);
            if (differing == 0) {
                EXPECT_TRUE(capture->changed.empty()) << where << ": reports a change that is not there";
            }
            before = std::move(after);
        }
    }
}

TEST(PatternSourceChanges, SmallStepsReportAFractionOfThePicture) {
    auto source = make_pattern();
    TimePoint now = kNow;
    (void)source->grab(now);
    auto before = copy_frame(grab_image(*source, now));
    long long reported = 0;
    constexpr int kFrames = 60;  // 4 s at 15 fps: the log scrolls 9 times, the chart shifts 4 times
    for (int i = 0; i < kFrames; ++i) {
        now += milliseconds(66);
        auto capture = source->grab(now);
        ASSERT_TRUE(capture.ok());
        auto after = copy_frame(capture->image);
        EXPECT_FALSE(capture->changed.empty()) << "frame " << i;  // the clock's milliseconds always move
        expect_changes_covered(before, after, 1280, 720, capture->changed, "frame " + std::to_string(i));
        reported += total_area(capture->changed);
        before = std::move(after);
    }
    const double share = static_cast<double>(reported) / kFrames / (1280.0 * 720.0);
    EXPECT_LT(share, 0.10) << "mean changed area per frame: " << share * 100 << " % of the picture";
    RecordProperty("mean_changed_percent", std::to_string(share * 100));
}

}  // namespace
}  // namespace redred::screen
