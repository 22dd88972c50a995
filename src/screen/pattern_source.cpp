#include "screen/pattern_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "screen/image_scale.hpp"

namespace redred::screen {

namespace {

struct Rgb {
    std::uint8_t r = 0;
    std::uint8_t g = 0;
    std::uint8_t b = 0;
};

// Limits of create(): below 16 px nothing is recognisable, above 8K the frame no longer fits a sane budget.
constexpr int kMinSide = 16;
constexpr int kMaxWidth = 7680;
constexpr int kMaxHeight = 4320;

// ---------------------------------------------------------------------------------------------------------
// A 5x7 ASCII font, ' ' to '~': one byte per row from the top, bit 4 is the leftmost column. Real letters
// matter: JPEG spends its bytes on glyph edges, so text must have the stroke statistics of real text.
constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kAdvance = 6;  // glyph plus one column of spacing
constexpr std::uint8_t kFont[95][kGlyphHeight] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // space
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04},  // !
    {0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00},  // "
    {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A},  // #
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04},  // $
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},  // %
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D},  // &
    {0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00},  // quote
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02},  // (
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},  // )
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00},  // *
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},  // +
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},  // ,
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},  // -
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},  // .
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},  // /
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},  // 0
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 1
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},  // 2
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},  // 3
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},  // 4
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},  // 5
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},  // 6
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},  // 7
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},  // 8
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},  // 9
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},  // :
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08},  // ;
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02},  // <
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},  // =
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08},  // >
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},  // ?
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E},  // @
    {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11},  // A
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},  // B
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},  // C
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},  // D
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},  // E
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},  // F
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},  // G
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // H
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // I
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},  // J
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},  // K
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},  // L
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},  // M
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},  // N
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // O
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},  // P
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},  // Q
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},  // R
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},  // S
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // T
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // U
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},  // V
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},  // W
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},  // X
    {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},  // Y
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},  // Z
    {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E},  // [
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00},  // backslash
    {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E},  // ]
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00},  // ^
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},  // _
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00},  // `
    {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F},  // a
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E},  // b
    {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E},  // c
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F},  // d
    {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E},  // e
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08},  // f
    {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // g
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11},  // h
    {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E},  // i
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C},  // j
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12},  // k
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // l
    {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11},  // m
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11},  // n
    {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E},  // o
    {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10},  // p
    {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01},  // q
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10},  // r
    {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E},  // s
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06},  // t
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D},  // u
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04},  // v
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A},  // w
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11},  // x
    {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // y
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F},  // z
    {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02},  // {
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // |
    {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08},  // }
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00},  // ~
};

// lowbias32 (Chris Wellons): a cheap integer hash with good avalanche, our only source of "randomness".
std::uint32_t hash32(std::uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

std::int64_t floor_mod(std::int64_t value, std::int64_t divisor) {
    const std::int64_t m = value % divisor;
    return m < 0 ? m + divisor : m;
}

std::uint8_t clamp_byte(int value) { return static_cast<std::uint8_t>(std::clamp(value, 0, 255)); }

Rgb mix(Rgb a, Rgb b, int t256) {  // t256 = 0 gives a, 256 gives b
    return Rgb{static_cast<std::uint8_t>(a.r + (b.r - a.r) * t256 / 256),
               static_cast<std::uint8_t>(a.g + (b.g - a.g) * t256 / 256),
               static_cast<std::uint8_t>(a.b + (b.b - a.b) * t256 / 256)};
}

Rect intersect(Rect a, Rect b) {
    const int x0 = std::max(a.x, b.x);
    const int y0 = std::max(a.y, b.y);
    const int x1 = std::min(a.x + a.w, b.x + b.w);
    const int y1 = std::min(a.y + a.h, b.y + b.h);
    return Rect{x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

// Static text sits on the 8x8 JPEG block grid with 16 px line pitch: a line of 7 px glyphs then touches one
// block row, not two, which puts the pattern's bytes per frame where a real desktop's are.
int align8(int value) { return (value + 7) / 8 * 8; }

Rect inset(Rect r, int left, int top, int right, int bottom) {
    return Rect{r.x + left, r.y + top, std::max(0, r.w - left - right), std::max(0, r.h - top - bottom)};
}

// Drawing onto a BGRX image, clipped to the image and to an optional clip rectangle.
class Canvas {
public:
    explicit Canvas(Image& image) : image_(image), clip_{0, 0, image.width, image.height} {}

    void clip_to(Rect r) { clip_ = intersect(r, Rect{0, 0, image_.width, image_.height}); }
    void unclip() { clip_ = Rect{0, 0, image_.width, image_.height}; }

    void fill(Rect r, Rgb c) {
        r = intersect(r, clip_);
        if (r.w == 0 || r.h == 0) return;
        std::uint8_t* first = at(r.x, r.y);
        const std::uint8_t px[4] = {c.b, c.g, c.r, 255};
        for (int x = 0; x < r.w; ++x) std::memcpy(first + x * 4, px, 4);
        for (int y = 1; y < r.h; ++y) std::memcpy(at(r.x, r.y + y), first, static_cast<std::size_t>(r.w) * 4);
    }

    void blend(Rect r, Rgb c, int alpha256) {
        r = intersect(r, clip_);
        for (int y = r.y; y < r.y + r.h; ++y) {
            std::uint8_t* p = at(r.x, y);
            for (int x = 0; x < r.w; ++x, p += 4) blend_pixel(p, c, alpha256);
        }
    }

    void vertical_gradient(Rect r, Rgb top, Rgb bottom) {
        for (int y = 0; y < r.h; ++y)
            fill(Rect{r.x, r.y + y, r.w, 1}, mix(top, bottom, r.h > 1 ? y * 256 / (r.h - 1) : 0));
    }

    void outline(Rect r, Rgb c) {
        fill(Rect{r.x, r.y, r.w, 1}, c);
        fill(Rect{r.x, r.y + r.h - 1, r.w, 1}, c);
        fill(Rect{r.x, r.y, 1, r.h}, c);
        fill(Rect{r.x + r.w - 1, r.y, 1, r.h}, c);
    }

    void disc(int cx, int cy, int radius, Rgb c) {
        for (int dy = -radius; dy <= radius; ++dy) {
            const int half = static_cast<int>(std::sqrt(static_cast<double>(radius * radius - dy * dy)) + 0.5);
            fill(Rect{cx - half, cy + dy, 2 * half + 1, 1}, c);
        }
    }

    // Draws text with its top-left at (x, y); returns the x after the last glyph.
    int text(int x, int y, std::string_view s, Rgb c, int scale = 1) {
        for (const char ch : s) {
            glyph(x, y, ch, c, scale);
            x += kAdvance * scale;
        }
        return x;
    }

    void glyph(int x, int y, char ch, Rgb c, int scale) {
        const auto code = static_cast<unsigned char>(ch);
        if (code <= 32 || code > 126) return;
        if (x >= clip_.x + clip_.w || y >= clip_.y + clip_.h || x + kGlyphWidth * scale <= clip_.x ||
            y + kGlyphHeight * scale <= clip_.y) {
            return;
        }
        const std::uint8_t* rows = kFont[code - 32];
        if (scale == 1 && x >= clip_.x && y >= clip_.y && x + kGlyphWidth <= clip_.x + clip_.w &&
            y + kGlyphHeight <= clip_.y + clip_.h) {
            // Fast path for the common case (all terminal and editor text): no per-pixel clipping.
            const std::uint8_t px[4] = {c.b, c.g, c.r, 255};
            for (int row = 0; row < kGlyphHeight; ++row) {
                std::uint8_t* p = at(x, y + row);
                for (int col = 0; col < kGlyphWidth; ++col) {
                    if ((rows[row] & (0x10 >> col)) != 0) std::memcpy(p + col * 4, px, 4);
                }
            }
            return;
        }
        for (int row = 0; row < kGlyphHeight; ++row) {
            for (int col = 0; col < kGlyphWidth; ++col) {
                if ((rows[row] & (0x10 >> col)) != 0) fill(Rect{x + col * scale, y + row * scale, scale, scale}, c);
            }
        }
    }

    void put_alpha(int x, int y, Rgb c, int alpha256) {
        if (x < clip_.x || y < clip_.y || x >= clip_.x + clip_.w || y >= clip_.y + clip_.h) return;
        blend_pixel(at(x, y), c, alpha256);
    }

    std::uint8_t* at(int x, int y) {
        return image_.pixels.data() + static_cast<std::size_t>(y) * image_.stride_bytes +
               static_cast<std::size_t>(x) * 4;
    }

private:
    static void blend_pixel(std::uint8_t* p, Rgb c, int a) {
        p[0] = static_cast<std::uint8_t>(p[0] + (c.b - p[0]) * a / 256);
        p[1] = static_cast<std::uint8_t>(p[1] + (c.g - p[1]) * a / 256);
        p[2] = static_cast<std::uint8_t>(p[2] + (c.r - p[2]) * a / 256);
    }

    Image& image_;
    Rect clip_;
};

// ---------------------------------------------------------------------------------------------------------
// Content. Written for this file; the mix of short and long lines, indentation and punctuation is what a
// code editor and a documentation page show.

constexpr std::array<std::string_view, 58> kCodeLines = {
    "#include \"screen/frame_hub.hpp\"",
    "",
    "#include <algorithm>",
    "#include <utility>",
    "",
    "namespace redred::screen {",
    "",
    "// Keeps the latest encoded frame and hands it to every viewer.",
    "// Lives on the hub strand; never holds more than one pending frame.",
    "FrameHub::FrameHub(net::any_io_executor executor, Options options)",
    "    : strand_(net::make_strand(executor)), options_(std::move(options)) {}",
    "",
    "void FrameHub::publish(std::shared_ptr<const Frame> frame) {",
    "    net::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {",
    "        self->latest_ = frame;",
    "        ++self->stats_.frames_published;",
    "        for (auto it = self->viewers_.begin(); it != self->viewers_.end();) {",
    "            if (auto viewer = it->lock()) {",
    "                if (!viewer->offer(frame)) ++self->stats_.frames_dropped;",
    "                ++it;",
    "            } else {",
    "                it = self->viewers_.erase(it);  // viewer went away",
    "            }",
    "        }",
    "    });",
    "}",
    "",
    "Membership FrameHub::join(std::weak_ptr<Viewer> viewer) {",
    "    const auto id = next_id_++;",
    "    net::post(strand_, [self = shared_from_this(), id, viewer] {",
    "        self->viewers_.push_back(viewer);",
    "        self->stats_.peak_viewers = std::max(self->stats_.peak_viewers, self->viewers_.size());",
    "        if (self->latest_) {",
    "            if (auto v = viewer.lock()) v->offer(self->latest_);",
    "        }",
    "    });",
    "    return Membership{weak_from_this(), id};",
    "}",
    "",
    "bool Viewer::offer(const std::shared_ptr<const Frame>& frame) {",
    "    std::lock_guard lock(mutex_);",
    "    const bool replaced = pending_ != nullptr;",
    "    pending_ = frame;  // latest wins",
    "    wake_.cancel();",
    "    return !replaced;",
    "}",
    "",
    "net::awaitable<void> Viewer::write_loop(std::shared_ptr<Viewer> self) {",
    "    boost::system::error_code ec;",
    "    while (!self->closed_) {",
    "        auto frame = self->take_pending();",
    "        if (!frame) {",
    "            co_await self->wake_.async_wait(redirect_error(use_awaitable, ec));",
    "            continue;",
    "        }",
    "        co_await net::async_write(self->socket_, frame->buffers(), redirect_error(use_awaitable, ec));",
    "        if (ec) co_return;",
    "    }",
};

// The editor's file tree; 'v' is an open folder, '>' a closed one.
// clang-format off
constexpr std::array<std::string_view, 27> kExplorerTree = {
    "v REDRED",              "  > .github",           "  > bench",             "  v src",
    "    > app",             "    > core",            "    > http",            "    v screen",
    "      frame_hub.cpp",   "      frame_hub.hpp",   "      jpeg_encoder.cpp", "      sse_writer.cpp",
    "      x11_source.cpp",  "    > state",           "    > store",           "    > ws",
    "    main.cpp",          "  > tests",             "  > web",               "  .clang-format",
    "  CMakeLists.txt",      "  README.md",           "  LICENSE",             "> OUTLINE",
    "> TIMELINE",            "> NPM SCRIPTS",         "> DOCKER"};
// clang-format on

constexpr std::array<std::string_view, 12> kKeywords = {"auto", "bool", "const", "continue", "co_await", "co_return",
                                                        "else", "for",  "if",    "return",   "void",     "while"};
constexpr std::array<std::string_view, 6> kTypes = {"std", "net", "boost", "Frame", "Viewer", "FrameHub"};

// Paragraphs of the documentation page; [bracketed] words render as links.
constexpr std::array<std::string_view, 4> kProse = {
    "redred turns one screen into a live stream that thousands of viewers can watch at once. The capture "
    "thread grabs a frame, the [encoder] compresses it once, and the [frame hub] shares the same bytes with "
    "every viewer. Nothing is encoded twice and nothing waits on a slow client.",
    "Each viewer holds at most one pending frame. When a new frame arrives before the old one was sent, the "
    "old one is dropped and counted; a phone on a weak network simply sees fewer frames per second, while "
    "everyone else keeps the full rate. See [backpressure] for the exact policy and the metrics it exports.",
    "Chat, presence and signaling travel over one WebSocket per viewer. Messages are serialized once per "
    "room and coalesced per write, which keeps the cost per delivery near two microseconds on a small "
    "machine. Rooms are sharded by id, so adding a second process doubles the number of rooms it can hold.",
    "To try it locally, start Xvfb on display :99, run redred serve with the x11 source, and open the "
    "[viewer page] in two browsers. The [doctor] command checks the display, the database and Redis.",
};

constexpr std::array<std::string_view, 8> kLogAreas = {"http", "ws", "screen", "store", "state", "http", "ws", "http"};
constexpr std::array<std::string_view, 6> kRoutes = {"/api/streams",      "/api/streams/42/viewers",
                                                     "/api/rooms/7/chat", "/live/42.mjpeg",
                                                     "/api/me",           "/assets/index-4f9c2a.js"};
constexpr std::array<std::string_view, 6> kUsers = {"alice", "bob", "carol", "dmitri", "eve", "farid"};

// One line of the scrolling server log; a pure function of its index.
std::string log_line(std::int64_t index, Rgb& level_colour) {
    const std::uint32_t h = hash32(static_cast<std::uint32_t>(index) * 2654435761u ^ 0x5eed1234u);
    const std::int64_t ms = 9 * 3600000LL + index * 437;  // fake wall time: a line every ~0.4 s from 09:00
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d ", static_cast<int>(ms / 3600000 % 24),
                  static_cast<int>(ms / 60000 % 60), static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000));
    std::string line = stamp;
    const std::uint32_t kind = h % 16;
    const std::string_view area = kLogAreas[(h >> 4) % kLogAreas.size()];
    char body[160];
    if (kind < 9) {
        level_colour = Rgb{110, 200, 120};
        std::snprintf(body, sizeof body, "INFO  %-6s GET %s %u %uB %u.%ums", "http",
                      std::string(kRoutes[(h >> 8) % kRoutes.size()]).c_str(), (h >> 12) % 7 == 0 ? 304u : 200u,
                      (h >> 3) % 90000 + 120, (h >> 16) % 12, (h >> 20) % 10);
    } else if (kind < 12) {
        level_colour = Rgb{120, 170, 230};
        std::snprintf(body, sizeof body, "DEBUG %-6s viewer joined stream=%u user=%s viewers=%u", "ws",
                      40 + (h >> 8) % 5, std::string(kUsers[(h >> 12) % kUsers.size()]).c_str(), (h >> 16) % 900 + 3);
    } else if (kind < 15) {
        level_colour = Rgb{120, 170, 230};
        std::snprintf(body, sizeof body, "DEBUG %-6s frame seq=%lld %uB %u.%ums", "screen",
                      static_cast<long long>(index * 3 + 17), 118000 + (h >> 8) % 24000, 3 + (h >> 14) % 2,
                      (h >> 18) % 10);
    } else {
        level_colour = Rgb{235, 190, 90};
        std::snprintf(body, sizeof body, "WARN  %-6s slow viewer dropped frames=%u peer=10.0.%u.%u:%u",
                      std::string(area).c_str(), (h >> 8) % 40 + 1, (h >> 12) % 255, (h >> 20) % 255,
                      40000 + (h >> 4) % 20000);
    }
    line += body;
    return line;
}

// ---------------------------------------------------------------------------------------------------------
// Painting helpers for the static desktop.

constexpr int kTitleBarHeight = 22;

// A soft drop shadow below and right of `window`, painted before the window itself.
void paint_shadow(Canvas& canvas, Rect window) {
    constexpr int kRadius = 10;
    constexpr int kOffsetX = 3;
    constexpr int kOffsetY = 6;
    constexpr int kMaxAlpha = 110;
    const Rect core{window.x + kOffsetX, window.y + kOffsetY, window.w, window.h};
    for (int y = core.y - kRadius; y < core.y + core.h + kRadius; ++y) {
        for (int x = core.x - kRadius; x < core.x + core.w + kRadius; ++x) {
            const int dx = std::max({core.x - x, 0, x - (core.x + core.w - 1)});
            const int dy = std::max({core.y - y, 0, y - (core.y + core.h - 1)});
            if (dx == 0 && dy == 0) {
                canvas.put_alpha(x, y, Rgb{0, 0, 0}, kMaxAlpha);
                continue;
            }
            const double d = std::sqrt(static_cast<double>(dx * dx + dy * dy)) / kRadius;
            if (d >= 1.0) continue;
            canvas.put_alpha(x, y, Rgb{0, 0, 0}, static_cast<int>(kMaxAlpha * (1.0 - d) * (1.0 - d)));
        }
    }
}

struct WindowStyle {
    Rgb title_top;
    Rgb title_bottom;
    Rgb title_text;
    Rgb border;
    Rgb body;
};

constexpr WindowStyle kLightWindow{{236, 236, 238}, {214, 214, 218}, {40, 40, 44}, {150, 150, 156}, {255, 255, 255}};
constexpr WindowStyle kDarkWindow{{62, 62, 68}, {44, 44, 50}, {220, 220, 224}, {20, 20, 24}, {26, 26, 30}};

// Shadow, border, title bar with traffic-light buttons and a centred title; returns the client area.
Rect paint_window(Canvas& canvas, Rect r, std::string_view title, const WindowStyle& style) {
    paint_shadow(canvas, r);
    canvas.fill(r, style.body);
    canvas.vertical_gradient(Rect{r.x, r.y, r.w, kTitleBarHeight}, style.title_top, style.title_bottom);
    canvas.outline(r, style.border);
    canvas.fill(Rect{r.x, r.y + kTitleBarHeight, r.w, 1}, style.border);
    const int cy = r.y + kTitleBarHeight / 2;
    canvas.disc(r.x + 14, cy, 5, Rgb{236, 95, 86});
    canvas.disc(r.x + 30, cy, 5, Rgb{245, 190, 60});
    canvas.disc(r.x + 46, cy, 5, Rgb{98, 196, 84});
    const int title_w = static_cast<int>(title.size()) * kAdvance;
    canvas.clip_to(inset(r, 60, 0, 8, 0));
    canvas.text(r.x + std::max(60, (r.w - title_w) / 2), r.y + 8, title, style.title_text);
    canvas.unclip();
    return inset(r, 1, kTitleBarHeight + 1, 1, 1);
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// One line of C++ with light-theme syntax colours.
void paint_code_line(Canvas& canvas, int x, int y, std::string_view line) {
    constexpr Rgb kPlain{36, 36, 40};
    constexpr Rgb kKeyword{175, 0, 219};
    constexpr Rgb kType{38, 127, 153};
    constexpr Rgb kString{163, 21, 21};
    constexpr Rgb kComment{0, 128, 0};
    constexpr Rgb kNumber{9, 134, 88};
    constexpr Rgb kPreprocessor{0, 16, 200};
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        std::size_t end = i + 1;
        Rgb colour = kPlain;
        if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') {
            end = line.size();
            colour = kComment;
        } else if (c == '"') {
            end = line.find('"', i + 1);
            end = end == std::string_view::npos ? line.size() : end + 1;
            colour = kString;
        } else if (c == '#') {
            while (end < line.size() && is_word_char(line[end])) ++end;
            colour = kPreprocessor;
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            while (end < line.size() && is_word_char(line[end])) ++end;
            colour = kNumber;
        } else if (is_word_char(c)) {
            while (end < line.size() && is_word_char(line[end])) ++end;
            const std::string_view word = line.substr(i, end - i);
            if (std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end()) colour = kKeyword;
            if (std::find(kTypes.begin(), kTypes.end(), word) != kTypes.end()) colour = kType;
        }
        canvas.text(x + static_cast<int>(i) * kAdvance, y, line.substr(i, end - i), colour);
        i = end;
    }
}

// A landscape photo: sky, sun, two mountain ranges, a lake, and sensor-like noise. The noise matters:
// smooth gradients alone compress to almost nothing, real photos do not.
void paint_photo(Canvas& canvas, Rect r) {
    const int horizon = r.h * 62 / 100;
    for (int y = 0; y < r.h; ++y) {
        for (int x = 0; x < r.w; ++x) {
            const double u = static_cast<double>(x) / r.w;
            const double v = static_cast<double>(y) / r.h;
            double red = 0;
            double green = 0;
            double blue = 0;
            const double far_ridge =
                0.42 + 0.07 * std::sin(u * 9.0 + 1.3) + 0.04 * std::sin(u * 23.0) + 0.015 * std::sin(u * 71.0);
            const double near_ridge =
                0.52 + 0.06 * std::sin(u * 5.0 + 0.4) + 0.03 * std::sin(u * 31.0 + 2.0) + 0.012 * std::sin(u * 97.0);
            if (y >= horizon) {  // lake: a darker, blurred reflection of the sky
                const double depth = static_cast<double>(y - horizon) / (r.h - horizon);
                red = 60 - 30 * depth;
                green = 90 - 30 * depth;
                blue = 130 - 20 * depth;
                red += 12 * std::sin(y * 1.7 + u * 3.0);  // ripples
                blue += 10 * std::sin(y * 1.7 + u * 3.0);
            } else if (v >= near_ridge) {
                const double shade = (v - near_ridge) / 0.2;
                red = 40 + 25 * shade;
                green = 70 + 30 * shade;
                blue = 45 + 10 * shade;
            } else if (v >= far_ridge) {
                red = 95 - 20 * (v - far_ridge) * 5;
                green = 105 - 10 * (v - far_ridge) * 5;
                blue = 140;
            } else {  // sky, warmer towards the horizon, with a sun
                red = 90 + 160 * v;
                green = 140 + 70 * v;
                blue = 230 - 60 * v;
                const double sx = u - 0.7;
                const double sy = v - 0.25;
                const double sun = std::exp(-(sx * sx + sy * sy) * 90.0);
                red += 120 * sun;
                green += 100 * sun;
                blue += 40 * sun;
            }
            const std::uint32_t n = hash32(static_cast<std::uint32_t>((r.y + y) * 8191 + r.x + x));
            const int noise = static_cast<int>(n % 9) - 4;
            std::uint8_t* p = canvas.at(r.x + x, r.y + y);
            p[0] = clamp_byte(static_cast<int>(blue) + noise);
            p[1] = clamp_byte(static_cast<int>(green) + noise);
            p[2] = clamp_byte(static_cast<int>(red) + noise);
            p[3] = 255;
        }
    }
}

// Word-wraps `text` into lines at most `columns` wide, marking [links].
struct Word {
    std::string text;
    bool link = false;
};
std::vector<std::vector<Word>> wrap(std::string_view text, int columns) {
    std::vector<std::vector<Word>> lines(1);
    int used = 0;
    bool in_link = false;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) end = text.size();
        if (end == i) break;
        Word word{std::string(text.substr(i, end - i)), in_link};
        if (word.text.front() == '[') {
            word.text.erase(0, 1);
            word.link = in_link = true;
        }
        const auto close = word.text.find(']');
        if (close != std::string::npos) {
            word.text.erase(close, 1);
            in_link = false;
        }
        const int length = static_cast<int>(word.text.size());
        if (used > 0 && used + 1 + length > columns) {
            lines.emplace_back();
            used = 0;
        }
        used += (used > 0 ? 1 : 0) + length;
        lines.back().push_back(std::move(word));
        i = end;
    }
    return lines;
}

void paint_paragraph_line(Canvas& canvas, int x, int y, const std::vector<Word>& words) {
    constexpr Rgb kBody{52, 52, 58};
    constexpr Rgb kLink{26, 92, 200};
    for (std::size_t w = 0; w < words.size(); ++w) {
        const Word& word = words[w];
        const int end = canvas.text(x, y, word.text, word.link ? kLink : kBody);
        if (word.link) canvas.fill(Rect{x, y + kGlyphHeight, end - x - 1, 1}, kLink);
        x = end + kAdvance;
    }
}

void paint_icon(Canvas& canvas, Rect r, Rgb colour, char letter) {
    canvas.fill(inset(r, 1, 0, 1, 0), colour);
    canvas.fill(inset(r, 0, 1, 0, 1), colour);
    canvas.glyph(r.x + (r.w - kGlyphWidth) / 2, r.y + (r.h - kGlyphHeight) / 2, letter, Rgb{255, 255, 255}, 1);
}

std::string two_digits(int value) {
    char text[4];
    std::snprintf(text, sizeof text, "%02d", value);
    return text;
}

struct UtcTime {
    int year, month, day, hour, minute, second, millisecond;
};

UtcTime to_utc(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(now);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> time{ms - day};
    return UtcTime{static_cast<int>(date.year()),
                   static_cast<int>(static_cast<unsigned>(date.month())),
                   static_cast<int>(static_cast<unsigned>(date.day())),
                   static_cast<int>(time.hours().count()),
                   static_cast<int>(time.minutes().count()),
                   static_cast<int>(time.seconds().count()),
                   static_cast<int>(time.subseconds().count())};
}

// Triangle wave in [0, 1] with the given period: the bouncing window's path, one per axis.
double bounce(std::int64_t t_ms, std::int64_t period_ms) {
    const double phase = static_cast<double>(floor_mod(t_ms, period_ms)) / static_cast<double>(period_ms);
    return phase < 0.5 ? phase * 2.0 : 2.0 - phase * 2.0;
}

void copy_rect(const Image& from, Image& to, Rect r) {
    r = intersect(r, Rect{0, 0, to.width, to.height});
    for (int y = r.y; y < r.y + r.h; ++y) {
        const std::size_t offset = static_cast<std::size_t>(y) * to.stride_bytes + static_cast<std::size_t>(r.x) * 4;
        std::memcpy(to.pixels.data() + offset, from.pixels.data() + offset, static_cast<std::size_t>(r.w) * 4);
    }
}

// Alpha-blends a sprite whose fourth byte is its opacity (the bouncer and its shadow).
void blit_sprite(const Image& sprite, Image& to, int left, int top) {
    const Rect r = intersect(Rect{left, top, sprite.width, sprite.height}, Rect{0, 0, to.width, to.height});
    for (int y = r.y; y < r.y + r.h; ++y) {
        const std::uint8_t* s = sprite.pixels.data() + static_cast<std::size_t>(y - top) * sprite.stride_bytes +
                                static_cast<std::size_t>(r.x - left) * 4;
        std::uint8_t* d =
            to.pixels.data() + static_cast<std::size_t>(y) * to.stride_bytes + static_cast<std::size_t>(r.x) * 4;
        for (int x = 0; x < r.w; ++x, s += 4, d += 4) {
            const int a = s[3];
            if (a == 255) {
                std::memcpy(d, s, 3);
            } else if (a != 0) {
                d[0] = static_cast<std::uint8_t>(d[0] + (s[0] - d[0]) * a / 255);
                d[1] = static_cast<std::uint8_t>(d[1] + (s[1] - d[1]) * a / 255);
                d[2] = static_cast<std::uint8_t>(d[2] + (s[2] - d[2]) * a / 255);
            }
        }
    }
}

// Appends to `changed` where `now` and `before` differ inside `area`: per band of kBand rows the tight box
// of the differing pixels, a band merged into the box above it while that adds little area.
void append_differences(const Image& before, const Image& now, Rect area, std::vector<Rect>& changed) {
    constexpr int kBand = 16;
    area = intersect(area, Rect{0, 0, now.width, now.height});
    const std::size_t first_new = changed.size();
    for (int band = area.y - area.y % kBand; band < area.y + area.h; band += kBand) {
        const int y0 = std::max(band, area.y);
        const int y1 = std::min(band + kBand, area.y + area.h);
        int left = area.x + area.w;
        int right = area.x;
        int top = y1;
        int bottom = y0;
        for (int y = y0; y < y1; ++y) {
            const std::size_t offset =
                static_cast<std::size_t>(y) * now.stride_bytes + static_cast<std::size_t>(area.x) * 4;
            const auto* a = reinterpret_cast<const std::uint32_t*>(before.pixels.data() + offset);
            const auto* b = reinterpret_cast<const std::uint32_t*>(now.pixels.data() + offset);
            if (std::memcmp(a, b, static_cast<std::size_t>(area.w) * 4) == 0) continue;
            int l = 0;
            while (a[l] == b[l]) ++l;
            int r = area.w - 1;
            while (a[r] == b[r]) --r;
            left = std::min(left, area.x + l);
            right = std::max(right, area.x + r + 1);
            top = std::min(top, y);
            bottom = y + 1;
        }
        if (top >= bottom) continue;
        const Rect box{left, top, right - left, bottom - top};
        if (changed.size() > first_new) {
            Rect& above = changed.back();
            const int x0 = std::min(above.x, box.x);
            const int x1 = std::max(above.x + above.w, box.x + box.w);
            const Rect merged{x0, above.y, x1 - x0, box.y + box.h - above.y};
            if (above.y + above.h + kBand >= box.y && merged.area() <= (above.area() + box.area()) * 5 / 4 + 1024) {
                above = merged;
                continue;
            }
        }
        changed.push_back(box);
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

Result<std::unique_ptr<PatternSource>> PatternSource::create(const SourceOptions& options) {
    if (options.max_width < 0) {
        return make_error(Errc::BadInput, "max_width must be 0 (native size) or a positive width", "max_width");
    }
    if (options.pattern_width < kMinSide || options.pattern_height < kMinSide || options.pattern_width > kMaxWidth ||
        options.pattern_height > kMaxHeight) {
        return make_error(Errc::BadInput,
                          "test pattern size must be 16x16 to 7680x4320, got " + std::to_string(options.pattern_width) +
                              "x" + std::to_string(options.pattern_height),
                          "pattern_width");
    }
    // Painting at the target size is cheaper and sharper than painting large and scaling every frame.
    ImageSize size = fit_to_width(options.pattern_width, options.pattern_height, options.max_width);
    size.width = std::max(size.width, kMinSide);
    size.height = std::max(size.height, kMinSide);
    return std::make_unique<PatternSource>(size.width, size.height);
}

PatternSource::PatternSource(int width, int height) {
    background_.resize(width, height);
    paint_desktop();
    frame_ = background_;
}

void PatternSource::paint_desktop() {
    const int W = background_.width;
    const int H = background_.height;
    const auto fx = [W](double f) { return static_cast<int>(std::lround(W * f)); };
    const int taskbar_h = std::clamp(H * 45 / 1000, 16, 48);
    const Rect desk{0, 0, W, H - taskbar_h};
    const auto fy = [&desk](double f) { return static_cast<int>(std::lround(desk.h * f)); };
    Canvas canvas(background_);

    // Wallpaper: a diagonal dusk gradient with a soft glow and a little dither, like a photo wallpaper
    // that has been blurred by the desktop.
    for (int y = 0; y < desk.h; ++y) {
        for (int x = 0; x < W; ++x) {
            const double u = static_cast<double>(x) / W;
            const double v = static_cast<double>(y) / std::max(1, desk.h);
            const double t = (u + v) / 2;
            const double gx = u - 0.8;
            const double gy = v - 0.25;
            const double glow = std::exp(-(gx * gx + gy * gy) * 6.0);
            const int dither = static_cast<int>(hash32(static_cast<std::uint32_t>(y * 7919 + x)) % 3) - 1;
            std::uint8_t* p = canvas.at(x, y);
            p[0] = clamp_byte(static_cast<int>(90 + 40 * t + 60 * glow) + dither);
            p[1] = clamp_byte(static_cast<int>(44 + 10 * t + 90 * glow) + dither);
            p[2] = clamp_byte(static_cast<int>(24 + 80 * t + 20 * glow) + dither);
            p[3] = 255;
        }
    }

    // --- Code editor, left: the largest window, mostly text. ---
    {
        const Rect window{fx(0.015), fy(0.03), fx(0.49), fy(0.64)};
        const Rect client = paint_window(canvas, window, "frame_hub.cpp - redred - Code", kLightWindow);
        canvas.clip_to(client);
        const Rect menu{client.x, client.y, client.w, 16};
        canvas.fill(menu, Rgb{246, 246, 248});
        canvas.text(menu.x + 8, menu.y + 5, "File  Edit  Selection  View  Go  Run  Terminal  Help", Rgb{60, 60, 66});

        const Rect status{client.x, client.y + client.h - 16, client.w, 16};
        canvas.fill(status, Rgb{0, 122, 204});
        canvas.text(status.x + 8, status.y + 5, "main*  0 errors  2 warnings", Rgb{255, 255, 255});
        canvas.text(status.x + std::max(8, status.w - 280), status.y + 5, "Ln 43, Col 27  Spaces: 4  UTF-8  LF  C++",
                    Rgb{255, 255, 255});

        const int sidebar_w = client.w * 26 / 100;
        const Rect sidebar{client.x, menu.y + menu.h, sidebar_w, status.y - menu.y - menu.h};
        canvas.fill(sidebar, Rgb{243, 243, 245});
        canvas.fill(Rect{sidebar.x + sidebar.w - 1, sidebar.y, 1, sidebar.h}, Rgb{220, 220, 224});
        canvas.text(sidebar.x + 10, sidebar.y + 7, "EXPLORER", Rgb{110, 110, 118});
        int row_y = align8(sidebar.y + 22);
        canvas.clip_to(intersect(sidebar, client));
        for (const std::string_view entry : kExplorerTree) {
            if (entry.find("frame_hub.cpp") != std::string_view::npos) {
                canvas.fill(Rect{sidebar.x, row_y - 4, sidebar.w - 1, 16}, Rgb{214, 228, 248});
            }
            const std::size_t indent = entry.find_first_not_of(' ');
            const bool is_file = entry[indent] != '>' && entry[indent] != 'v';
            int x = sidebar.x + 8 + static_cast<int>(indent) * 4;
            if (is_file) {
                const bool header = entry.find(".hpp") != std::string_view::npos;
                const bool source = entry.find(".cpp") != std::string_view::npos;
                const Rgb icon = header ? Rgb{160, 90, 200} : source ? Rgb{60, 120, 210} : Rgb{150, 150, 160};
                canvas.fill(Rect{x, row_y, 7, 7}, icon);
                x += 11;
            }
            canvas.text(x, row_y, entry.substr(indent), Rgb{50, 50, 56});
            row_y += 16;
        }
        canvas.clip_to(client);

        const Rect tabs{sidebar.x + sidebar.w, sidebar.y, client.x + client.w - sidebar.x - sidebar.w, 22};
        canvas.fill(tabs, Rgb{236, 236, 240});
        int tab_x = tabs.x;
        for (const std::string_view name : {"frame_hub.cpp", "frame_hub.hpp", "sse_writer.cpp", "CMakeLists.txt"}) {
            const int tab_w = static_cast<int>(name.size()) * kAdvance + 34;
            const bool active = tab_x == tabs.x;
            canvas.fill(Rect{tab_x, tabs.y, tab_w, tabs.h}, active ? Rgb{255, 255, 255} : Rgb{236, 236, 240});
            if (active) canvas.fill(Rect{tab_x, tabs.y, tab_w, 2}, Rgb{0, 122, 204});
            canvas.fill(Rect{tab_x + tab_w - 1, tabs.y, 1, tabs.h}, Rgb{220, 220, 224});
            canvas.text(tab_x + 10, tabs.y + 8, name, active ? Rgb{30, 30, 34} : Rgb{110, 110, 118});
            canvas.text(tab_x + tab_w - 14, tabs.y + 8, "x", Rgb{140, 140, 150});
            tab_x += tab_w;
        }

        const Rect code{tabs.x, tabs.y + tabs.h, tabs.w, status.y - tabs.y - tabs.h};
        constexpr int kLineHeight = 16;
        constexpr int kGutter = 34;
        constexpr int kMinimap = 54;
        const Rect minimap{code.x + code.w - kMinimap, code.y, kMinimap, code.h};
        canvas.fill(Rect{code.x, code.y, kGutter, code.h}, Rgb{250, 250, 250});
        canvas.fill(minimap, Rgb{248, 248, 250});
        canvas.fill(Rect{minimap.x, minimap.y + 40, minimap.w, 60}, Rgb{232, 232, 238});
        canvas.clip_to(intersect(code, client));
        for (std::size_t i = 0; i < kCodeLines.size(); ++i) {
            const int y = align8(code.y + 6) + static_cast<int>(i) * kLineHeight;
            if (y > code.y + code.h) break;
            if (i == 42) {
                canvas.fill(Rect{code.x + kGutter, y - 4, code.w - kGutter - kMinimap, kLineHeight},
                            Rgb{255, 250, 222});
                canvas.fill(Rect{code.x + kGutter + 8 + 26 * kAdvance, y - 1, 1, kGlyphHeight + 2}, Rgb{20, 20, 20});
            }
            const std::string number = std::to_string(i + 1);
            canvas.text(code.x + kGutter - 6 - static_cast<int>(number.size()) * kAdvance, y, number,
                        Rgb{160, 160, 170});
            paint_code_line(canvas, code.x + kGutter + 8, y, kCodeLines[i]);
            // Minimap: one thin bar per line, like the real thing.
            const std::string_view line = kCodeLines[i];
            const std::size_t start = line.find_first_not_of(' ');
            if (start != std::string_view::npos) {
                canvas.fill(Rect{minimap.x + 4 + static_cast<int>(start) / 2, minimap.y + 4 + static_cast<int>(i) * 2,
                                 std::min(static_cast<int>(line.size() - start) / 2, kMinimap - 8), 1},
                            Rgb{150, 150, 170});
            }
        }
        canvas.unclip();
    }

    // --- Browser with a documentation page and a photo, right. ---
    {
        const Rect window{fx(0.585), fy(0.05), fx(0.40), fy(0.50)};
        const Rect client = paint_window(canvas, window, "Fan-out - redred docs - Browser", kLightWindow);
        canvas.clip_to(client);
        const Rect toolbar{client.x, client.y, client.w, 28};
        canvas.fill(toolbar, Rgb{240, 240, 243});
        canvas.fill(Rect{toolbar.x, toolbar.y + toolbar.h - 1, toolbar.w, 1}, Rgb{214, 214, 220});
        canvas.text(toolbar.x + 10, toolbar.y + 11, "<  >  C", Rgb{90, 90, 98});
        const Rect url{toolbar.x + 60, toolbar.y + 5, toolbar.w - 100, 18};
        canvas.fill(url, Rgb{255, 255, 255});
        canvas.outline(url, Rgb{200, 200, 208});
        canvas.clip_to(intersect(url, client));
        const int after_scheme = canvas.text(url.x + 8, url.y + 6, "https://", Rgb{130, 130, 140});
        canvas.text(after_scheme, url.y + 6, "redred.example/docs/architecture#fan-out-and-backpressure",
                    Rgb{30, 30, 36});
        canvas.clip_to(client);
        canvas.text(toolbar.x + toolbar.w - 30, toolbar.y + 11, "=", Rgb{90, 90, 98});

        const Rect page =
            inset(Rect{client.x, toolbar.y + toolbar.h, client.w, client.y + client.h - toolbar.y - toolbar.h}, 16, 12,
                  16, 8);
        canvas.clip_to(page);
        canvas.text(page.x, page.y, "Fan-out and backpressure", Rgb{24, 24, 30}, 2);
        canvas.text(page.x, page.y + 20, "Updated 2 days ago  -  6 min read  -  Edit this page", Rgb{130, 130, 140});
        canvas.fill(Rect{page.x, page.y + 32, page.w, 1}, Rgb{226, 226, 232});

        const int photo_w = page.w * 56 / 100;
        const Rect photo{page.x + page.w - photo_w, page.y + 42, photo_w, photo_w * 62 / 100};
        paint_photo(canvas, intersect(photo, page));
        canvas.text(photo.x, photo.y + photo.h + 4, "Fig. 1  Lake at dusk, 1/250 s", Rgb{130, 130, 140});
        const int photo_bottom = photo.y + photo.h + 16;

        constexpr int kLineHeight = 16;
        int y = align8(page.y + 44);
        for (const std::string_view paragraph : kProse) {
            // Lines beside the photo are narrower; wrap each paragraph at the width of where it starts,
            // then re-wrap the remainder at full width once past the photo.
            const int narrow = (photo.x - page.x - 12) / kAdvance;
            const int wide = page.w / kAdvance;
            const auto lines = wrap(paragraph, y < photo_bottom ? narrow : wide);
            std::size_t line = 0;
            for (; line < lines.size() && y < photo_bottom; ++line, y += kLineHeight)
                paint_paragraph_line(canvas, page.x, y, lines[line]);
            if (line < lines.size()) {
                std::string rest;
                for (std::size_t l = line; l < lines.size(); ++l) {
                    for (const Word& word : lines[l]) {
                        if (!rest.empty()) rest += ' ';
                        rest += word.link ? "[" + word.text + "]" : word.text;
                    }
                }
                for (const auto& words : wrap(rest, wide)) {
                    paint_paragraph_line(canvas, page.x, y, words);
                    y += kLineHeight;
                }
            }
            y += 8;
        }
        canvas.unclip();
    }

    // --- Terminal, bottom left, in front of the editor: its text area scrolls every frame. ---
    {
        const Rect window{fx(0.10), fy(0.64), fx(0.40), std::max(kTitleBarHeight + 12, fy(0.32))};
        const Rect client =
            paint_window(canvas, window, "alice@studio: ~/redred - tail -f /var/log/redred/server.log", kDarkWindow);
        terminal_text_ = intersect(inset(client, 6, 4, 6, 4), desk);
    }

    // --- Clock widget, bottom right: the big UTC clock is redrawn every frame. ---
    {
        const Rect window{fx(0.585), fy(0.63), fx(0.40), fy(0.34)};
        const Rect client = paint_window(canvas, window, "World clock", kDarkWindow);
        canvas.fill(client, Rgb{18, 26, 44});
        canvas.clip_to(client);
        canvas.text(client.x + 12, client.y + 8, "Coordinated Universal Time", Rgb{140, 160, 190});
        canvas.unclip();
        clock_panel_ = intersect(inset(client, 0, 20, 0, 0), desk);
    }

    // --- Taskbar. ---
    {
        const Rect bar{0, desk.h, W, taskbar_h};
        canvas.vertical_gradient(bar, Rgb{44, 46, 58}, Rgb{22, 24, 30});
        canvas.fill(Rect{0, bar.y, W, 1}, Rgb{80, 82, 100});
        const int icon = taskbar_h - 10;
        paint_icon(canvas, Rect{6, bar.y + 5, icon, icon}, Rgb{0, 120, 215}, 'R');
        const Rect search{16 + icon, bar.y + 5, std::min(200, W / 6), icon};
        canvas.fill(search, Rgb{60, 62, 76});
        canvas.clip_to(search);
        canvas.text(search.x + 8, search.y + (icon - kGlyphHeight) / 2, "Type here to search", Rgb{170, 170, 185});
        canvas.unclip();
        int x = search.x + search.w + 10;
        const std::array<std::pair<std::string_view, Rgb>, 5> apps = {{{"Code", {0, 122, 204}},
                                                                       {"Browser", {230, 110, 40}},
                                                                       {"Terminal", {60, 60, 70}},
                                                                       {"Clock", {40, 160, 120}},
                                                                       {"Files", {220, 180, 50}}}};
        for (std::size_t i = 0; i < apps.size(); ++i) {
            const int button_w = 36 + static_cast<int>(apps[i].first.size()) * kAdvance;
            if (x + button_w > W - 120) break;
            if (i < 4)
                canvas.fill(Rect{x, bar.y + 2, button_w, taskbar_h - 4}, i == 2 ? Rgb{70, 74, 92} : Rgb{52, 54, 68});
            if (i < 4) canvas.fill(Rect{x + 6, bar.y + taskbar_h - 4, button_w - 12, 2}, Rgb{100, 170, 255});
            paint_icon(canvas, Rect{x + 6, bar.y + (taskbar_h - 16) / 2, 16, 16}, apps[i].second, apps[i].first[0]);
            canvas.text(x + 28, bar.y + (taskbar_h - kGlyphHeight) / 2, apps[i].first, Rgb{225, 225, 232});
            x += button_w + 6;
        }
        const int tray_x = W - 150;
        if (tray_x > x) {
            canvas.text(tray_x, bar.y + (taskbar_h - kGlyphHeight) / 2, "EN", Rgb{210, 210, 220});
            for (int b = 0; b < 4; ++b) {  // signal bars
                canvas.fill(Rect{tray_x + 20 + b * 4, bar.y + taskbar_h / 2 + 4 - b * 3, 3, 2 + b * 3},
                            Rgb{210, 210, 220});
            }
            canvas.outline(Rect{tray_x + 42, bar.y + taskbar_h / 2 - 4, 16, 9}, Rgb{210, 210, 220});  // battery
            canvas.fill(Rect{tray_x + 44, bar.y + taskbar_h / 2 - 2, 9, 5}, Rgb{120, 210, 120});
        }
        taskbar_clock_ = intersect(Rect{W - 80, bar.y + 1, 76, taskbar_h - 1}, Rect{0, 0, W, H});
    }

    // --- The bouncing "now playing" window: a sprite with its shadow in the alpha byte. ---
    {
        bouncer_w_ = std::clamp(fx(0.17), 40, std::max(40, desk.w - 24));
        bouncer_h_ = std::max(kTitleBarHeight + 20, bouncer_w_ * 58 / 100);
        constexpr int kMargin = 16;  // room for the shadow
        bouncer_.resize(bouncer_w_ + kMargin, bouncer_h_ + kMargin);
        for (int y = 0; y < bouncer_.height; ++y) {
            for (int x = 0; x < bouncer_.width; ++x) {
                // Same falloff as paint_shadow, stored as opacity over black.
                const int dx = std::max({3 - x, 0, x - (3 + bouncer_w_ - 1)});
                const int dy = std::max({6 - y, 0, y - (6 + bouncer_h_ - 1)});
                const double d = std::sqrt(static_cast<double>(dx * dx + dy * dy)) / 10.0;
                bouncer_.pixels[static_cast<std::size_t>(y) * bouncer_.stride_bytes + x * 4 + 3] =
                    d >= 1.0 ? 0 : static_cast<std::uint8_t>(110 * (1.0 - d) * (1.0 - d));
            }
        }
        Canvas sprite(bouncer_);
        const Rect window{0, 0, bouncer_w_, bouncer_h_};
        sprite.fill(window, kDarkWindow.body);
        sprite.vertical_gradient(Rect{0, 0, bouncer_w_, kTitleBarHeight}, Rgb{90, 60, 140}, Rgb{60, 40, 100});
        sprite.outline(window, Rgb{20, 20, 24});
        sprite.disc(14, kTitleBarHeight / 2, 5, Rgb{236, 95, 86});
        sprite.clip_to(inset(window, 26, 0, 4, 0));
        sprite.text(28, 8, "Now playing", Rgb{240, 240, 250});
        const int art = std::max(8, bouncer_h_ - kTitleBarHeight - 16);
        const Rect cover{8, kTitleBarHeight + 8, art, art};
        sprite.clip_to(inset(window, 1, kTitleBarHeight + 1, 1, 1));
        for (int y = 0; y < cover.h; ++y) {
            for (int x = 0; x < cover.w; ++x) {
                const double dx = x - cover.w * 0.5;
                const double dy = y - cover.h * 0.5;
                const double ring = std::sin(std::sqrt(dx * dx + dy * dy) * 0.35);
                sprite.fill(Rect{cover.x + x, cover.y + y, 1, 1}, Rgb{clamp_byte(static_cast<int>(200 + 50 * ring)),
                                                                      clamp_byte(static_cast<int>(90 + 60 * ring)),
                                                                      clamp_byte(static_cast<int>(140 - 40 * ring))});
            }
        }
        // At small sizes the cover shrinks and only the lines that fit beside it are drawn.
        const int text_x = cover.x + cover.w + 10;
        const int controls_y = cover.y + cover.h - 16;
        int line_y = cover.y + 2;
        for (const auto& [line, colour] :
             {std::pair{"Lo-fi beats", Rgb{240, 240, 250}}, std::pair{"Stream #42", Rgb{170, 170, 190}},
              std::pair{"1.2k watching", Rgb{170, 170, 190}}}) {
            if (line_y + kGlyphHeight + 4 > controls_y) break;
            sprite.text(text_x, line_y, line, colour);
            line_y += 12;
        }
        if (controls_y > cover.y) {
            sprite.fill(Rect{text_x, controls_y, bouncer_w_ - text_x - 10, 3}, Rgb{70, 70, 84});
            sprite.fill(Rect{text_x, controls_y, (bouncer_w_ - text_x - 10) * 2 / 5, 3}, Rgb{160, 110, 240});
            sprite.text(text_x, cover.y + cover.h - 8, "|<   ||   >|", Rgb{220, 220, 230});
        }
        bouncer_bounds_ = desk;
    }
}

Result<Capture> PatternSource::grab(std::chrono::system_clock::time_point now) {
    const std::int64_t t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    if (grabbed_ && t_ms == grabbed_ms_) return Capture{frame_.view(), {}};  // nothing moves within a millisecond
    const UtcTime utc = to_utc(now);
    // Every place this grab restores or paints; nothing outside them can change.
    std::vector<Rect> touched = {bouncer_last_, clock_panel_, taskbar_clock_, terminal_text_};

    // Put back what moved last time; everything else in frame_ is still the static desktop.
    copy_rect(background_, frame_, bouncer_last_);
    copy_rect(background_, frame_, clock_panel_);
    copy_rect(background_, frame_, taskbar_clock_);
    Canvas canvas(frame_);

    // Server log, as `tail -f` shows it: a new line every 437 ms pushes the others up; the prompt stays at
    // the bottom with a blinking cursor.
    {
        constexpr std::int64_t kLinePeriodMs = 437;
        constexpr int kLineHeight = 16;
        const Rect area = terminal_text_;
        canvas.fill(area, kDarkWindow.body);
        canvas.clip_to(area);
        const int top = align8(area.y + 2);
        const int rows = std::max(1, (area.y + area.h - top) / kLineHeight);
        const int prompt_y = top + (rows - 1) * kLineHeight;
        const int prompt_end = canvas.text(area.x, prompt_y, "alice@studio:~/redred$ ", Rgb{110, 200, 120});
        if (floor_mod(t_ms, 1000) < 500)
            canvas.fill(Rect{prompt_end, prompt_y, kGlyphWidth, kGlyphHeight}, Rgb{220, 220, 224});
        const std::int64_t newest = (t_ms - floor_mod(t_ms, kLinePeriodMs)) / kLinePeriodMs;
        for (int row = rows - 2; row >= 0; --row) {
            Rgb level_colour;
            const std::string line = log_line(newest - (rows - 2 - row), level_colour);
            const std::string_view view(line);
            const int y = top + row * kLineHeight;
            int x = canvas.text(area.x, y, view.substr(0, 13), Rgb{130, 130, 145});
            x = canvas.text(x, y, view.substr(13, 6), level_colour);
            canvas.text(x, y, view.substr(19), Rgb{188, 188, 196});
        }
        canvas.unclip();
    }

    // Big clock HH:MM:SS.mmm, the date, and a bar that fills every second.
    if (clock_panel_.w > 0 && clock_panel_.h > 0) {
        const Rect panel = clock_panel_;
        const std::string time = two_digits(utc.hour) + ":" + two_digits(utc.minute) + ":" + two_digits(utc.second) +
                                 "." + std::to_string(1000 + utc.millisecond).substr(1);
        const int scale = std::clamp(std::min((panel.w - 24) / (12 * kAdvance), (panel.h - 40) / kGlyphHeight), 1, 12);
        canvas.clip_to(panel);
        canvas.text(panel.x + 12, panel.y + 6, time, Rgb{120, 220, 255}, scale);
        const int below = panel.y + 6 + kGlyphHeight * scale + 8;
        const std::string date =
            std::to_string(utc.year) + "-" + two_digits(utc.month) + "-" + two_digits(utc.day) + "  UTC";
        canvas.text(panel.x + 12, below, date, Rgb{200, 210, 230}, scale >= 4 ? 2 : 1);
        const int bar_y = below + (scale >= 4 ? 22 : 12);
        const int bar_w = panel.w - 24;
        canvas.fill(Rect{panel.x + 12, bar_y, bar_w, 4}, Rgb{40, 52, 80});
        canvas.fill(Rect{panel.x + 12, bar_y, bar_w * utc.millisecond / 1000, 4}, Rgb{120, 220, 255});
        // Viewers over the last minute: one bar per second, shifting left every second.
        const int chart_top = bar_y + 22;
        const int chart_h = panel.y + panel.h - 12 - chart_top;
        if (chart_h >= 16) {
            canvas.text(panel.x + 12, chart_top, "viewers, last 60 s", Rgb{140, 160, 190});
            constexpr int kBars = 60;
            const int bar_pitch = std::max(2, bar_w / kBars);
            const std::int64_t second = (t_ms - floor_mod(t_ms, 1000)) / 1000;
            const int base = chart_top + chart_h;
            for (int i = 0; i < kBars && (i + 1) * bar_pitch <= bar_w; ++i) {
                const std::int64_t s = second - (kBars - 1 - i);
                const double level = 0.55 + 0.25 * std::sin(static_cast<double>(floor_mod(s, 3600)) / 9.0) +
                                     0.2 * static_cast<double>(hash32(static_cast<std::uint32_t>(s)) % 100) / 100.0;
                const int h = std::max(1, static_cast<int>(level * (chart_h - 14)));
                canvas.fill(Rect{panel.x + 12 + i * bar_pitch, base - h, bar_pitch, h}, Rgb{52, 104, 170});
            }
        }
        canvas.unclip();
    }

    // Taskbar clock.
    if (taskbar_clock_.h >= 2 * kGlyphHeight + 3) {
        const Rect r = taskbar_clock_;
        canvas.clip_to(r);
        const int gap = (r.h - 2 * kGlyphHeight) / 3;
        const std::string hm = two_digits(utc.hour) + ":" + two_digits(utc.minute);
        const std::string ymd = std::to_string(utc.year) + "-" + two_digits(utc.month) + "-" + two_digits(utc.day);
        canvas.text(r.x + (r.w - 5 * kAdvance) / 2, r.y + gap, hm, Rgb{230, 230, 238});
        canvas.text(r.x + (r.w - static_cast<int>(ymd.size()) * kAdvance) / 2, r.y + 2 * gap + kGlyphHeight, ymd,
                    Rgb{190, 190, 204});
        canvas.unclip();
    }

    // The bouncing window, on top of everything.
    {
        const int travel_x = std::max(0, bouncer_bounds_.w - bouncer_.width);
        const int travel_y = std::max(0, bouncer_bounds_.h - bouncer_.height);
        const int x = bouncer_bounds_.x + static_cast<int>(bounce(t_ms, 9100) * travel_x);
        const int y = bouncer_bounds_.y + static_cast<int>(bounce(t_ms, 6700) * travel_y);
        blit_sprite(bouncer_, frame_, x, y);
        bouncer_last_ = intersect(Rect{x, y, bouncer_.width, bouncer_.height}, Rect{0, 0, frame_.width, frame_.height});
        touched.push_back(bouncer_last_);
    }

    Capture capture{frame_.view(), {}};
    if (!grabbed_) {
        previous_ = frame_;
        capture.changed.push_back(Rect{0, 0, frame_.width, frame_.height});
    } else {
        // Compared and then brought in step place by place: where places overlap, a difference is reported once.
        for (const Rect& place : touched) {
            append_differences(previous_, frame_, place, capture.changed);
            copy_rect(frame_, previous_, place);
        }
    }
    grabbed_ = true;
    grabbed_ms_ = t_ms;
    return capture;
}

}  // namespace redred::screen
