// X11Source against a real Xvfb: what XDamage and the cursor make of a grab. The screen is painted by
// tests/tools/paint_screen (four quadrants, then commands on its stdin, each answered "ok" after XSync), so
// every change is on the server before the grab that should see it.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "screen/image_scale.hpp"
#include "screen/x11_source.hpp"

namespace redred::screen {

// For failure messages (found by argument-dependent lookup, so not in the anonymous namespace).
void PrintTo(const Rect& r, std::ostream* out) {
    *out << r.x << "," << r.y << " " << r.w << "x" << r.h;
}

namespace {

using std::chrono::milliseconds;

constexpr int kWidth = 1280;
constexpr int kHeight = 720;

struct Rgb {
    int r, g, b;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};
constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kGreen{0, 255, 0};
constexpr Rgb kBlue{0, 0, 255};
constexpr Rgb kWhite{255, 255, 255};

std::ostream& operator<<(std::ostream& out, const Rgb& c) {
    return out << "rgb(" << c.r << "," << c.g << "," << c.b << ")";
}

Rgb pixel(const ImageView& image, int x, int y) {
    const std::uint8_t* p =
        image.data + static_cast<std::size_t>(y) * image.stride_bytes + static_cast<std::size_t>(x) * 4;
    return Rgb{p[2], p[1], p[0]};  // BGRX
}

// The quadrant colour paint_screen gives (x, y) of a kWidth x kHeight screen.
Rgb quadrant(int x, int y) {
    if (y < kHeight / 2) return x < kWidth / 2 ? kRed : kGreen;
    return x < kWidth / 2 ? kBlue : kWhite;
}

bool contains(Rect outer, Rect inner) {
    return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w &&
           inner.y + inner.h <= outer.y + outer.h;
}

// True when every pixel of `r` lies in some rect of `rects`.
bool covered(const std::vector<Rect>& rects, Rect r) {
    for (int y = r.y; y < r.y + r.h; ++y) {
        for (int x = r.x; x < r.x + r.w; ++x) {
            bool in = false;
            for (const Rect& c : rects) in = in || contains(c, Rect{x, y, 1, 1});
            if (!in) return false;
        }
    }
    return true;
}

long long total_area(const std::vector<Rect>& rects) {
    long long area = 0;
    for (const Rect& r : rects) area += r.area();
    return area;
}

Rect cursor_rect_at(int x, int y) {
    return Rect{x - 7, y - 7, 16, 16};
}  // Xvfb's root cursor: 16x16, hot 7,7

// An Xvfb on a free display number, stopped with the object.
class Xvfb {
public:
    explicit Xvfb(std::vector<std::string> extra_args = {}) {
        std::mt19937 random(static_cast<unsigned>(::getpid()) ^
                            static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
        for (int n = 400 + static_cast<int>(random() % 400); n < 1000; ++n) {
            const std::string socket = "/tmp/.X11-unix/X" + std::to_string(n);
            if (std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock") || std::filesystem::exists(socket))
                continue;
            std::vector<std::string> args = {"Xvfb",
                                             ":" + std::to_string(n),
                                             "-screen",
                                             "0",
                                             std::to_string(kWidth) + "x" + std::to_string(kHeight) + "x24",
                                             "-nolisten",
                                             "tcp"};
            args.insert(args.end(), extra_args.begin(), extra_args.end());
            pid_ = test::spawn_process(args);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            int code = 0;
            while (std::chrono::steady_clock::now() < deadline) {
                if (test::reap_if_exited(pid_, &code)) break;
                if (std::filesystem::exists(socket)) {
                    display_ = ":" + std::to_string(n);
                    return;
                }
                std::this_thread::sleep_for(milliseconds(20));
            }
            if (code == 127) throw std::runtime_error("cannot run Xvfb (bash scripts/setup.sh installs xvfb)");
            test::stop_process(pid_, SIGKILL, milliseconds(2000));
        }
        throw std::runtime_error("no free X display for Xvfb");
    }
    ~Xvfb() { test::stop_process(pid_, SIGTERM, milliseconds(3000)); }
    const std::string& display() const { return display_; }

private:
    pid_t pid_ = -1;
    std::string display_;
};

// tests/tools/paint_screen on a display, driven line by line.
class Painter {
public:
    explicit Painter(const std::string& display) {
        int to_child[2];
        int from_child[2];
        if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        test::SpawnOptions options;
        options.stdin_fd = to_child[0];
        options.stdout_fd = from_child[1];
        pid_ = test::spawn_process({REDRED_PAINT_SCREEN, display}, options);
        ::close(to_child[0]);
        ::close(from_child[1]);
        to_ = to_child[1];
        from_ = from_child[0];
        const std::string first = read_line();
        if (first.rfind("painted ", 0) != 0) throw std::runtime_error("paint_screen said: '" + first + "'");
    }
    ~Painter() {
        ::close(to_);
        ::close(from_);
        test::stop_process(pid_, SIGTERM, milliseconds(2000));
    }

    // Sends one command and waits for its "ok" (the drawing has reached the server).
    void run(const std::string& command) {
        const std::string line = command + "\n";
        ASSERT_EQ(::write(to_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
        ASSERT_EQ(read_line(), "ok") << command;
    }

private:
    std::string read_line() {
        std::string line;
        char c = 0;
        while (::read(from_, &c, 1) == 1) {  // paint_screen answers at once; ctest's timeout covers a hang
            if (c == '\n') return line;
            line += c;
        }
        return line;
    }

    pid_t pid_ = -1;
    int to_ = -1;
    int from_ = -1;
};

std::unique_ptr<X11Source> open_source(const std::string& display, int max_width = 0, bool try_shm = true) {
    SourceOptions options;
    options.display = display;
    options.max_width = max_width;
    auto source = X11Source::open(options, try_shm);
    if (!source) throw std::runtime_error(source.error().message);
    return std::move(source).value();
}

Capture grab(X11Source& source) {
    auto capture = source.grab(std::chrono::system_clock::now());
    if (!capture) throw std::runtime_error(capture.error().message);
    return std::move(capture).value();
}

// One Xvfb with paint_screen for the whole suite; each test leaves the quadrants and the pointer as it found
// them (pointer at the centre, where Xvfb starts it).
class X11SourceOnXvfb : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        xvfb_ = new Xvfb();
        painter_ = new Painter(xvfb_->display());
    }
    static void TearDownTestSuite() {
        delete painter_;
        delete xvfb_;
        painter_ = nullptr;
        xvfb_ = nullptr;
    }
    void TearDown() override {
        painter_->run("rect 0 0 640 360 255 0 0");
        painter_->run("rect 640 0 640 360 0 255 0");
        painter_->run("rect 0 360 640 360 0 0 255");
        painter_->run("rect 640 360 640 360 255 255 255");
        painter_->run("warp 640 360");
    }

    static const std::string& display() { return xvfb_->display(); }
    static Painter& painter() { return *painter_; }

    static Xvfb* xvfb_;
    static Painter* painter_;
};

Xvfb* X11SourceOnXvfb::xvfb_ = nullptr;
Painter* X11SourceOnXvfb::painter_ = nullptr;

TEST_F(X11SourceOnXvfb, UsesDamageAndDrawsTheCursor) {
    auto source = open_source(display());
    EXPECT_TRUE(source->uses_shm());
    EXPECT_TRUE(source->uses_damage());
    EXPECT_TRUE(source->draws_cursor());
}

TEST_F(X11SourceOnXvfb, AStaticScreenReportsTheWholePictureOnceThenNoChange) {
    auto source = open_source(display());
    const Capture first = grab(*source);
    ASSERT_EQ(first.changed.size(), 1u);
    EXPECT_EQ(first.changed[0], (Rect{0, 0, kWidth, kHeight}));
    EXPECT_EQ(pixel(first.image, 320, 180), kRed);
    EXPECT_EQ(pixel(first.image, 960, 540), kWhite);
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(milliseconds(20));
        const Capture later = grab(*source);
        EXPECT_TRUE(later.changed.empty())
            << "grab " << i << ": " << later.changed.size() << " rects, first "
            << ::testing::PrintToString(later.changed.empty() ? Rect{} : later.changed[0]);
        EXPECT_EQ(later.image.data, first.image.data);  // the previous picture, not a new one
        EXPECT_EQ(pixel(later.image, 320, 540), kBlue);
    }
}

TEST_F(X11SourceOnXvfb, ARectangleDrawnIsReportedWithItsPixels) {
    for (const bool shm : {true, false}) {
        SCOPED_TRACE(shm ? "MIT-SHM" : "XGetSubImage");
        auto source = open_source(display(), 0, shm);
        ASSERT_EQ(source->uses_shm(), shm);
        (void)grab(*source);
        const Rect drawn{100, 80, 64, 48};
        painter().run("rect 100 80 64 48 10 200 30");
        const Capture capture = grab(*source);
        EXPECT_TRUE(covered(capture.changed, drawn));
        EXPECT_LE(total_area(capture.changed), 2 * drawn.area()) << capture.changed.size() << " rects";
        for (const auto& [x, y] : {std::pair{100, 80}, std::pair{163, 127}, std::pair{130, 100}}) {
            EXPECT_EQ(pixel(capture.image, x, y), (Rgb{10, 200, 30})) << x << "," << y;
        }
        EXPECT_EQ(pixel(capture.image, 99, 80), kRed);  // just outside
        EXPECT_EQ(pixel(capture.image, 164, 128), kRed);
        EXPECT_TRUE(grab(*source).changed.empty());
        painter().run("rect 100 80 64 48 255 0 0");
        const Capture restored = grab(*source);
        EXPECT_TRUE(covered(restored.changed, drawn));
        EXPECT_EQ(pixel(restored.image, 130, 100), kRed);

        // Two changes far apart (two separate captures of rows with MIT-SHM).
        painter().run("rect 10 10 8 8 1 2 3");
        painter().run("rect 1200 700 8 8 4 5 6");
        const Capture apart = grab(*source);
        EXPECT_TRUE(covered(apart.changed, Rect{10, 10, 8, 8}));
        EXPECT_TRUE(covered(apart.changed, Rect{1200, 700, 8, 8}));
        EXPECT_LE(total_area(apart.changed), 4 * 64);
        EXPECT_EQ(pixel(apart.image, 12, 12), (Rgb{1, 2, 3}));
        EXPECT_EQ(pixel(apart.image, 1205, 705), (Rgb{4, 5, 6}));
        painter().run("rect 10 10 8 8 255 0 0");
        painter().run("rect 1200 700 8 8 255 255 255");
        const Capture back = grab(*source);
        EXPECT_EQ(pixel(back.image, 12, 12), kRed);
        EXPECT_EQ(pixel(back.image, 1205, 705), kWhite);
    }
}

TEST_F(X11SourceOnXvfb, AMovedCursorIsDrawnAndItsOldAndNewPlacesAreReported) {
    auto source = open_source(display());
    const Capture first = grab(*source);
    const Rect centre = cursor_rect_at(640, 360);
    // The root cursor sits at the centre, where the four quadrants meet: some of its pixels are not the quadrants'.
    int cursor_pixels = 0;
    for (int y = centre.y; y < centre.y + centre.h; ++y)
        for (int x = centre.x; x < centre.x + centre.w; ++x)
            cursor_pixels += pixel(first.image, x, y) != quadrant(x, y);
    EXPECT_GT(cursor_pixels, 20);

    painter().run("warp 900 500");  // onto the flat white quadrant
    const Capture moved = grab(*source);
    const Rect there = cursor_rect_at(900, 500);
    EXPECT_TRUE(covered(moved.changed, centre));
    EXPECT_TRUE(covered(moved.changed, there));
    EXPECT_LE(total_area(moved.changed), 2 * 16 * 16);  // only the cursor: the screen did not change
    int dark = 0;
    for (int y = there.y; y < there.y + there.h; ++y)
        for (int x = there.x; x < there.x + there.w; ++x) dark += pixel(moved.image, x, y).r < 128;
    EXPECT_GT(dark, 20) << "the cursor's black pixels on white";
    // Under the old place, the quadrants came back exactly.
    for (int y = centre.y; y < centre.y + centre.h; ++y) {
        for (int x = centre.x; x < centre.x + centre.w; ++x) {
            ASSERT_EQ(pixel(moved.image, x, y), quadrant(x, y)) << x << "," << y;
        }
    }
    EXPECT_TRUE(grab(*source).changed.empty());

    // A change under the cursor leaves it drawn once, over the new pixels.
    painter().run("rect 880 480 40 40 0 0 0");
    const Capture under = grab(*source);
    EXPECT_TRUE(covered(under.changed, Rect{880, 480, 40, 40}));
    int light = 0;
    for (int y = there.y; y < there.y + there.h; ++y)
        for (int x = there.x; x < there.x + there.w; ++x) light += pixel(under.image, x, y).r > 128;
    EXPECT_GT(light, 10) << "the cursor's white outline on black";

    painter().run("warp 1000 600");
    const Capture again = grab(*source);
    EXPECT_TRUE(covered(again.changed, there));
    for (int y = there.y; y < there.y + there.h; ++y) {
        for (int x = there.x; x < there.x + there.w; ++x) {
            const Rgb expected = x >= 880 && x < 920 && y >= 480 && y < 520 ? Rgb{0, 0, 0} : kWhite;
            ASSERT_EQ(pixel(again.image, x, y), expected) << x << "," << y;
        }
    }
}

TEST_F(X11SourceOnXvfb, WithMaxWidthChangesAreMappedOutwardAndOnlyTheyAreRescaled) {
    auto native = open_source(display());
    auto scaled = open_source(display(), 640);
    ASSERT_EQ(scaled->width(), 640);
    ASSERT_EQ(scaled->height(), 360);
    const Capture first = grab(*scaled);
    ASSERT_EQ(first.changed.size(), 1u);
    EXPECT_EQ(first.changed[0], (Rect{0, 0, 640, 360}));
    (void)grab(*native);

    painter().run("noise 201 101 41 41 7");
    painter().run("warp 300 300");
    const Capture capture = grab(*scaled);
    EXPECT_TRUE(covered(capture.changed, Rect{100, 50, 21, 21}));  // [201, 242) -> [100.5, 121), rounded outward
    EXPECT_TRUE(covered(capture.changed, Rect{146, 146, 9, 9}));   // the cursor [293, 309) -> [146.5, 154.5)
    EXPECT_LE(total_area(capture.changed), 21 * 21 + 2 * 9 * 9);
    for (const Rect& r : capture.changed) EXPECT_TRUE(contains(Rect{0, 0, 640, 360}, r)) << ::testing::PrintToString(r);
    // The partly rescaled picture equals a whole rescale of the native one (same screen, same cursor).
    const Capture full = grab(*native);
    const Image reference = scale_area_average(full.image, 640, 360);
    for (int y = 0; y < 360; ++y) {
        for (int x = 0; x < 640; ++x) {
            ASSERT_EQ(pixel(capture.image, x, y), pixel(reference.view(), x, y)) << x << "," << y;
        }
    }
}

TEST(X11SourceWithoutDamage, ReportsTheWholeScreenOnEveryGrab) {
    Xvfb xvfb({"-extension", "DAMAGE"});
    Painter painter(xvfb.display());
    auto source = open_source(xvfb.display());
    EXPECT_FALSE(source->uses_damage());
    for (int i = 0; i < 3; ++i) {
        const Capture capture = grab(*source);
        ASSERT_EQ(capture.changed.size(), 1u);
        EXPECT_EQ(capture.changed[0], (Rect{0, 0, kWidth, kHeight}));
        EXPECT_EQ(pixel(capture.image, 960, 180), kGreen);
    }
    painter.run("rect 10 10 20 20 1 2 3");
    EXPECT_EQ(pixel(grab(*source).image, 15, 15), (Rgb{1, 2, 3}));
}

}  // namespace
}  // namespace redred::screen
