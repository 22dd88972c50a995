#include "screen/jpeg_encoder.hpp"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cstdlib>
#include <vector>

namespace redred::screen {
namespace {

struct Bgr {
    int b, g, r;
};

// Four solid quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.
Image quadrants(int width, int height, int stride_padding = 0) {
    Image image;
    image.width = width;
    image.height = height;
    image.stride_bytes = width * 4 + stride_padding;
    image.pixels.assign(static_cast<std::size_t>(image.stride_bytes) * height, 0x5a);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const bool right = x >= width / 2;
            const bool bottom = y >= height / 2;
            const Bgr c =
                !bottom ? (right ? Bgr{0, 255, 0} : Bgr{0, 0, 255}) : (right ? Bgr{255, 255, 255} : Bgr{255, 0, 0});
            std::uint8_t* p = image.pixels.data() + static_cast<std::size_t>(y) * image.stride_bytes + x * 4;
            p[0] = static_cast<std::uint8_t>(c.b);
            p[1] = static_cast<std::uint8_t>(c.g);
            p[2] = static_cast<std::uint8_t>(c.r);
            p[3] = 0;
        }
    }
    return image;
}

// Decodes to packed RGB with libturbojpeg itself.
std::vector<std::uint8_t> decode_rgb(const std::string& jpeg, int& width, int& height) {
    tjhandle handle = tjInitDecompress();
    const auto* data = reinterpret_cast<const unsigned char*>(jpeg.data());
    int subsampling = 0;
    int colourspace = 0;
    EXPECT_EQ(tjDecompressHeader3(handle, data, jpeg.size(), &width, &height, &subsampling, &colourspace), 0);
    EXPECT_EQ(subsampling, TJSAMP_420);
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * height * 3);
    EXPECT_EQ(tjDecompress2(handle, data, jpeg.size(), rgb.data(), width, 0, height, TJPF_RGB, 0), 0);
    tjDestroy(handle);
    return rgb;
}

void expect_colour_near(const std::vector<std::uint8_t>& rgb, int width, int x, int y, int r, int g, int b) {
    const std::uint8_t* p = rgb.data() + (static_cast<std::size_t>(y) * width + x) * 3;
    constexpr int kTolerance = 10;
    EXPECT_NEAR(p[0], r, kTolerance) << "red at " << x << "," << y;
    EXPECT_NEAR(p[1], g, kTolerance) << "green at " << x << "," << y;
    EXPECT_NEAR(p[2], b, kTolerance) << "blue at " << x << "," << y;
}

TEST(JpegEncoder, RoundTripKeepsSolidColoursOfEachQuadrant) {
    JpegEncoder encoder;
    const Image image = quadrants(96, 64);
    auto jpeg = encoder.encode(image.view(), 90);
    ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
    ASSERT_GE(jpeg->size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>((*jpeg)[0]), 0xFF);  // SOI marker
    EXPECT_EQ(static_cast<unsigned char>((*jpeg)[1]), 0xD8);

    int width = 0;
    int height = 0;
    const auto rgb = decode_rgb(*jpeg, width, height);
    ASSERT_EQ(width, 96);
    ASSERT_EQ(height, 64);
    expect_colour_near(rgb, width, 24, 16, 255, 0, 0);
    expect_colour_near(rgb, width, 72, 16, 0, 255, 0);
    expect_colour_near(rgb, width, 24, 48, 0, 0, 255);
    expect_colour_near(rgb, width, 72, 48, 255, 255, 255);
}

TEST(JpegEncoder, HonoursRowStrideLargerThanTheWidth) {
    JpegEncoder encoder;
    const Image image = quadrants(40, 40, 24);  // padding bytes are 0x5a garbage
    auto jpeg = encoder.encode(image.view(), 85);
    ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
    int width = 0;
    int height = 0;
    const auto rgb = decode_rgb(*jpeg, width, height);
    expect_colour_near(rgb, width, 8, 8, 255, 0, 0);
    expect_colour_near(rgb, width, 32, 32, 255, 255, 255);
}

TEST(JpegEncoder, ReusesOneEncoderAcrossGrowingAndShrinkingSizes) {
    JpegEncoder encoder;
    for (const int side : {16, 320, 48, 640, 8}) {
        auto jpeg = encoder.encode(quadrants(side, side).view(), 75);
        ASSERT_TRUE(jpeg.ok()) << side << ": " << jpeg.error().message;
        int width = 0;
        int height = 0;
        decode_rgb(*jpeg, width, height);
        EXPECT_EQ(width, side);
    }
}

TEST(JpegEncoder, HigherQualityGivesLargerOutput) {
    JpegEncoder encoder;
    Image image;
    image.resize(128, 128);
    for (std::size_t i = 0; i < image.pixels.size(); ++i)
        image.pixels[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
    auto low = encoder.encode(image.view(), 20);
    auto high = encoder.encode(image.view(), 95);
    ASSERT_TRUE(low.ok());
    ASSERT_TRUE(high.ok());
    EXPECT_LT(low->size(), high->size());
}

TEST(JpegEncoder, RejectsQualityOutsideOneToHundred) {
    JpegEncoder encoder;
    const Image image = quadrants(16, 16);
    for (const int quality : {0, -5, 101, 1000}) {
        auto jpeg = encoder.encode(image.view(), quality);
        ASSERT_FALSE(jpeg.ok()) << quality;
        EXPECT_EQ(jpeg.error().code, Errc::BadInput);
        EXPECT_EQ(jpeg.error().field, "quality");
    }
    EXPECT_TRUE(encoder.encode(image.view(), 1).ok());
    EXPECT_TRUE(encoder.encode(image.view(), 100).ok());
}

TEST(JpegEncoder, RejectsEmptyOrInconsistentImages) {
    JpegEncoder encoder;
    EXPECT_EQ(encoder.encode(ImageView{}, 75).error().code, Errc::BadInput);
    const Image image = quadrants(16, 16);
    ImageView narrow_stride = image.view();
    narrow_stride.stride_bytes = 16 * 4 - 1;
    EXPECT_EQ(encoder.encode(narrow_stride, 75).error().code, Errc::BadInput);
}

}  // namespace
}  // namespace redred::screen
