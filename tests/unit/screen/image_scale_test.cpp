#include "screen/image_scale.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <tuple>

namespace redred::screen {
namespace {

Image solid(int width, int height, std::uint8_t b, std::uint8_t g, std::uint8_t r) {
    Image image;
    image.resize(width, height);
    for (std::size_t i = 0; i < image.pixels.size(); i += 4) {
        image.pixels[i] = b;
        image.pixels[i + 1] = g;
        image.pixels[i + 2] = r;
        image.pixels[i + 3] = 255;
    }
    return image;
}

const std::uint8_t* pixel(const Image& image, int x, int y) {
    return image.pixels.data() + static_cast<std::size_t>(y) * image.stride_bytes + static_cast<std::size_t>(x) * 4;
}

void set_grey(Image& image, int x, int y, std::uint8_t value) {
    std::uint8_t* p =
        image.pixels.data() + static_cast<std::size_t>(y) * image.stride_bytes + static_cast<std::size_t>(x) * 4;
    p[0] = p[1] = p[2] = value;
}

TEST(FitToWidth, ScalesDownKeepingAspectRatio) {
    EXPECT_EQ(fit_to_width(1920, 1080, 1280).width, 1280);
    EXPECT_EQ(fit_to_width(1920, 1080, 1280).height, 720);
    EXPECT_EQ(fit_to_width(2560, 1440, 1920).height, 1080);
    EXPECT_EQ(fit_to_width(1000, 333, 500).height, 167);  // 166.5 rounds up
    EXPECT_EQ(fit_to_width(5000, 1, 100).height, 1);      // never zero
}

TEST(FitToWidth, LeavesNarrowerImagesAndZeroMaxWidthAlone) {
    EXPECT_EQ(fit_to_width(1280, 720, 0).width, 1280);
    EXPECT_EQ(fit_to_width(1280, 720, 1280).width, 1280);
    EXPECT_EQ(fit_to_width(1280, 720, 1920).width, 1280);
    EXPECT_EQ(fit_to_width(1280, 720, 1920).height, 720);
}

TEST(ScaleAreaAverage, ProducesTheRequestedSize) {
    const Image source = solid(1920, 1080, 1, 2, 3);
    const Image target = scale_area_average(source.view(), 1280, 720);
    EXPECT_EQ(target.width, 1280);
    EXPECT_EQ(target.height, 720);
    EXPECT_EQ(target.stride_bytes, 1280 * 4);
    EXPECT_EQ(target.pixels.size(), 1280u * 720u * 4u);
}

TEST(ScaleAreaAverage, KeepsFlatColoursExactAtAnyRatio) {
    for (const auto& [w, h] : {std::pair{1280, 720}, std::pair{997, 561}, std::pair{640, 360}, std::pair{7, 3}}) {
        const Image target = scale_area_average(solid(1920, 1080, 17, 134, 251).view(), w, h);
        for (const auto& [x, y] : {std::pair{0, 0}, std::pair{w - 1, h - 1}, std::pair{w / 2, h / 3}}) {
            const std::uint8_t* p = pixel(target, x, y);
            EXPECT_EQ(p[0], 17) << w << "x" << h;
            EXPECT_EQ(p[1], 134) << w << "x" << h;
            EXPECT_EQ(p[2], 251) << w << "x" << h;
        }
    }
}

TEST(ScaleAreaAverage, AveragesEachTwoByTwoBlockWhenHalving) {
    Image source = solid(4, 2, 0, 0, 0);
    // Left block: 0, 100, 200, 100 -> 100. Right block: all 40 -> 40.
    set_grey(source, 0, 0, 0);
    set_grey(source, 1, 0, 100);
    set_grey(source, 0, 1, 200);
    set_grey(source, 1, 1, 100);
    for (int x = 2; x < 4; ++x) {
        for (int y = 0; y < 2; ++y) set_grey(source, x, y, 40);
    }
    const Image target = scale_area_average(source.view(), 2, 1);
    EXPECT_EQ(pixel(target, 0, 0)[0], 100);
    EXPECT_EQ(pixel(target, 0, 0)[2], 100);
    EXPECT_EQ(pixel(target, 1, 0)[1], 40);
}

TEST(ScaleAreaAverage, WeighsPartiallyCoveredPixelsByArea) {
    // Three source pixels into two: target 0 is 2/3 of p0 + 1/3 of p1, target 1 is 1/3 of p1 + 2/3 of p2.
    Image source = solid(3, 1, 0, 0, 0);
    set_grey(source, 0, 0, 0);
    set_grey(source, 1, 0, 90);
    set_grey(source, 2, 0, 180);
    const Image target = scale_area_average(source.view(), 2, 1);
    EXPECT_NEAR(pixel(target, 0, 0)[0], 30, 1);
    EXPECT_NEAR(pixel(target, 1, 0)[0], 150, 1);
}

TEST(ScaleAreaAverage, AveragesQuadrantsIntoBlocksAcrossALargeReduction) {
    // 1920x1080 with a red left half and a blue right half, scaled to 1280x720: the halves stay pure and
    // the one boundary column is a mix.
    Image source = solid(1920, 1080, 0, 0, 255);
    for (int y = 0; y < 1080; ++y) {
        for (int x = 960; x < 1920; ++x) {
            std::uint8_t* p = source.pixels.data() + static_cast<std::size_t>(y) * source.stride_bytes + x * 4;
            p[0] = 255;
            p[2] = 0;
        }
    }
    const Image target = scale_area_average(source.view(), 1280, 720);
    EXPECT_EQ(pixel(target, 100, 100)[2], 255);
    EXPECT_EQ(pixel(target, 100, 100)[0], 0);
    EXPECT_EQ(pixel(target, 1200, 600)[0], 255);
    EXPECT_EQ(pixel(target, 1200, 600)[2], 0);
    EXPECT_EQ(pixel(target, 639, 10)[2], 255);  // source 958.5..960: all red
    EXPECT_EQ(pixel(target, 640, 10)[0], 255);  // source 960..961.5: all blue
}

TEST(ScaleAreaAverage, ReadsSourcesWithPaddedRows) {
    Image source = solid(4, 4, 10, 20, 30);
    Image padded;
    padded.width = 4;
    padded.height = 4;
    padded.stride_bytes = 4 * 4 + 12;
    padded.pixels.assign(static_cast<std::size_t>(padded.stride_bytes) * 4, 0xee);
    for (int y = 0; y < 4; ++y) {
        std::copy_n(source.pixels.begin() + y * 16, 16, padded.pixels.begin() + y * padded.stride_bytes);
    }
    const Image target = scale_area_average(padded.view(), 2, 2);
    EXPECT_EQ(pixel(target, 1, 1)[0], 10);
    EXPECT_EQ(pixel(target, 1, 1)[2], 30);
}

TEST(ScaleAreaAverage, CopiesWhenSizesAreEqual) {
    const Image source = solid(5, 3, 9, 8, 7);
    const Image target = scale_area_average(source.view(), 5, 3);
    EXPECT_EQ(target.pixels, source.pixels);
}

Rect intersect_for_test(Rect r, int width, int height) {
    const int x0 = std::max(r.x, 0);
    const int y0 = std::max(r.y, 0);
    const int x1 = std::min(r.x + r.w, width);
    const int y1 = std::min(r.y + r.h, height);
    return Rect{x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

// Pseudo-random pixels (a fixed LCG): every tap weight matters, unlike flat colours.
Image noise(int width, int height, std::uint32_t seed) {
    Image image;
    image.resize(width, height);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        image.pixels[i] = static_cast<std::uint8_t>(seed >> 24);
    }
    return image;
}

void scribble(Image& image, Rect r, std::uint32_t seed) {
    for (int y = r.y; y < r.y + r.h; ++y) {
        for (int x = r.x; x < r.x + r.w; ++x) {
            seed = seed * 1664525u + 1013904223u;
            set_grey(image, x, y, static_cast<std::uint8_t>(seed >> 24));
        }
    }
}

TEST(AreaScaler, RescalingWhatAChangeAffectsGivesTheWholeScale) {
    for (const auto& [sw, sh, tw, th] : {std::tuple{997, 561, 640, 360}, std::tuple{1920, 1080, 1280, 720},
                                         std::tuple{333, 97, 7, 3}, std::tuple{64, 48, 64, 48}}) {
        Image source = noise(sw, sh, 7);
        AreaScaler scaler(sw, sh, tw, th);
        Image target = scale_area_average(source.view(), tw, th);
        for (const Rect change : {Rect{0, 0, 1, 1}, Rect{sw - 1, sh - 1, 1, 1}, Rect{sw / 3, sh / 4, 5, 17},
                                  Rect{sw / 2, 0, sw - sw / 2, sh}, Rect{-5, -5, 10, 10}}) {
            scribble(source, intersect_for_test(change, sw, sh), static_cast<std::uint32_t>(change.x * 31 + change.y));
            const Rect affected = scaler.affected(change);
            scaler.scale(source.view(), target, affected);
            const Image reference = scale_area_average(source.view(), tw, th);
            EXPECT_EQ(target.pixels, reference.pixels)
                << sw << "x" << sh << " -> " << tw << "x" << th << " change at " << change.x << "," << change.y;
        }
    }
}

TEST(AreaScaler, AffectedRoundsOutwardAndClips) {
    const AreaScaler half(1280, 720, 640, 360);
    EXPECT_EQ(half.affected(Rect{0, 0, 2, 2}), (Rect{0, 0, 1, 1}));
    EXPECT_EQ(half.affected(Rect{1, 1, 2, 2}), (Rect{0, 0, 2, 2}));
    EXPECT_EQ(half.affected(Rect{1270, 710, 100, 100}), (Rect{635, 355, 5, 5}));
    EXPECT_TRUE(half.affected(Rect{2000, 0, 10, 10}).empty());
    EXPECT_TRUE(half.affected(Rect{10, 10, 0, 5}).empty());
    const AreaScaler odd(1920, 1080, 1000, 563);
    const Rect one = odd.affected(Rect{959, 539, 1, 1});
    EXPECT_GE(one.w, 1);
    EXPECT_LE(one.w, 2);
    EXPECT_GE(one.h, 1);
    EXPECT_LE(one.h, 2);
}

}  // namespace
}  // namespace redred::screen
