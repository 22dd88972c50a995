// encode_bench: what one screen frame costs. For the test pattern at 1280x720 and 1920x1080 (and with --x11
// the real screen of $DISPLAY), at JPEG quality 60, 75 and 85: mean time to generate/capture a frame, mean
// time to encode it, and the mean JPEG size. Frames advance 66 ms each (15 fps) so moving parts move.
//
//   encode_bench [--frames N] [--x11] [--max-width W]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "screen/jpeg_encoder.hpp"
#include "screen/pattern_source.hpp"
#include "screen/x11_source.hpp"

namespace {

using redred::screen::JpegEncoder;
using redred::screen::ScreenSource;
using Clock = std::chrono::steady_clock;

struct Row {
    double grab_ms = 0;
    double encode_ms = 0;
    double encode_p95_ms = 0;
    double kilobytes = 0;
};

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Row measure(ScreenSource& source, int quality, int frames) {
    JpegEncoder encoder;
    std::vector<double> encode_ms;
    double grab_total = 0;
    double bytes_total = 0;
    auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'714'993'445'000LL));
    for (int i = 0; i < frames; ++i) {
        now += std::chrono::milliseconds(66);
        const auto grab_start = Clock::now();
        auto capture = source.grab(now);
        grab_total += ms_since(grab_start);
        if (!capture) {
            std::fprintf(stderr, "grab failed: %s\n", capture.error().message.c_str());
            std::exit(1);
        }
        // The whole picture, as the full-frame feeds send it (also when nothing changed).
        const auto encode_start = Clock::now();
        auto jpeg = encoder.encode(capture->image, quality);
        encode_ms.push_back(ms_since(encode_start));
        if (!jpeg) {
            std::fprintf(stderr, "encode failed: %s\n", jpeg.error().message.c_str());
            std::exit(1);
        }
        bytes_total += static_cast<double>(jpeg->size());
    }
    Row row;
    row.grab_ms = grab_total / frames;
    for (const double ms : encode_ms) row.encode_ms += ms;
    row.encode_ms /= frames;
    std::sort(encode_ms.begin(), encode_ms.end());
    row.encode_p95_ms = encode_ms[std::min(encode_ms.size() - 1, encode_ms.size() * 95 / 100)];
    row.kilobytes = bytes_total / frames / 1024.0;
    return row;
}

void report(ScreenSource& source, std::string_view label, int frames) {
    for (const int quality : {60, 75, 85}) {
        const Row row = measure(source, quality, frames);
        std::printf("%-8s %5dx%-5d %4d %10.3f %10.3f %10.3f %9.1f\n", std::string(label).c_str(), source.width(),
                    source.height(), quality, row.grab_ms, row.encode_ms, row.encode_p95_ms, row.kilobytes);
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    int frames = 200;
    bool x11 = false;
    int max_width = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--frames" && i + 1 < argc) {
            frames = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--x11") {
            x11 = true;
        } else if (arg == "--max-width" && i + 1 < argc) {
            max_width = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: encode_bench [--frames N] [--x11] [--max-width W]\n");
            return 2;
        }
    }

    std::printf("%d frames per row; times are means in ms (p95 for encode), size is the mean JPEG in KB\n", frames);
    std::printf("%-8s %11s %4s %10s %10s %10s %9s\n", "source", "size", "q", "grab_ms", "encode_ms", "enc_p95", "KB");
    for (const auto& [width, height] : {std::pair{1280, 720}, std::pair{1920, 1080}}) {
        redred::screen::SourceOptions options;
        options.pattern_width = width;
        options.pattern_height = height;
        options.max_width = max_width;
        auto pattern = redred::screen::PatternSource::create(options);
        if (!pattern) {
            std::fprintf(stderr, "pattern: %s\n", pattern.error().message.c_str());
            return 1;
        }
        report(**pattern, "pattern", frames);
    }

    if (x11) {
        redred::screen::SourceOptions options;
        options.max_width = max_width;
        auto screen = redred::screen::X11Source::open(options);
        if (!screen) {
            std::fprintf(stderr, "x11: %s\n", screen.error().message.c_str());
            return 1;
        }
        std::printf("x11: screen %dx%d, %s, %s\n", (*screen)->screen_width(), (*screen)->screen_height(),
                    (*screen)->uses_shm() ? "MIT-SHM" : "XGetImage (no MIT-SHM)",
                    (*screen)->uses_damage() ? "XDamage" : "no XDamage");
        report(**screen, "x11", frames);
    }
    return 0;
}
