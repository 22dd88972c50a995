// paint_screen: paints the whole root window of $DISPLAY with something a capture test or benchmark knows,
// prints "painted WIDTHxHEIGHT" once that has reached the server, then runs until it is killed (SIGTERM).
//
//   paint_screen [DISPLAY] [--scene quadrants|static|typing|video] [--cps N]
//
// Scenes:
//   quadrants (default)  four solid quadrants: top-left red (255,0,0), top-right green (0,255,0), bottom-left
//                        blue (0,0,255), bottom-right white
//   static               a desktop-like still picture: wallpaper, windows with text and flat areas, a taskbar
//   typing               the desktop plus a terminal where lines are typed at --cps characters per second
//                        (default 30), scrolling when full
//   video                the desktop plus a 320x240 window showing a moving, textured pattern at 30 fps
//
// Commands on stdin, one per line, each answered with a line "ok" once the drawing has reached the server
// (XSync), or "error: ..." for a line it does not understand:
//   rect X Y W H R G B     fill a rectangle        fill R G B            fill the whole screen
//   warp X Y               move the pointer        noise X Y W H SEED    pseudo-random pixels (hard for JPEG)
//
// Everything is drawn into one pixmap that is the background of one override-redirect window covering the
// root, then cleared onto the window: the server repaints exposures by itself. Links only Xlib.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Box {
    int x = 0;
    int y = 0;
    int w = 0;
    int h = 0;
};

std::uint32_t hash32(std::uint32_t x) {  // lowbias32
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

class Painter {
public:
    Painter(Display* display, int width, int height)
        : display_(display), width_(width), height_(height), screen_(DefaultScreen(display)) {
        const Window root = RootWindow(display_, screen_);
        pixmap_ = XCreatePixmap(display_, root, static_cast<unsigned>(width_), static_cast<unsigned>(height_),
                                static_cast<unsigned>(DefaultDepth(display_, screen_)));
        gc_ = XCreateGC(display_, pixmap_, 0, nullptr);
        font_ = XLoadQueryFont(display_, "fixed");  // built into every X server
        if (font_ != nullptr) XSetFont(display_, gc_, font_->fid);
        fill(Box{0, 0, width_, height_}, 0, 0, 0);
        // Override-redirect: no window manager decorations or placement, exactly the root's geometry.
        XSetWindowAttributes attributes{};
        attributes.override_redirect = True;
        attributes.background_pixmap = pixmap_;
        attributes.event_mask = ExposureMask;
        window_ = XCreateWindow(display_, root, 0, 0, static_cast<unsigned>(width_), static_cast<unsigned>(height_), 0,
                                CopyFromParent, InputOutput, CopyFromParent,
                                CWOverrideRedirect | CWBackPixmap | CWEventMask, &attributes);
    }

    int width() const { return width_; }
    int height() const { return height_; }
    int char_width() const { return font_ != nullptr ? font_->max_bounds.width : 6; }
    int line_height() const { return font_ != nullptr ? font_->ascent + font_->descent : 13; }
    int ascent() const { return font_ != nullptr ? font_->ascent : 10; }

    // Maps the window and waits for its first Expose: drawing shown before that may be lost.
    void map() {
        XMapRaised(display_, window_);
        for (;;) {
            XEvent event;
            XNextEvent(display_, &event);
            if (event.type == Expose) break;
        }
    }

    // Everything below draws into the pixmap; show() puts a part of it on the screen.
    void fill(Box b, int r, int g, int bl) {
        XSetForeground(display_, gc_, rgb(r, g, bl));
        XFillRectangle(display_, pixmap_, gc_, b.x, b.y, static_cast<unsigned>(std::max(0, b.w)),
                       static_cast<unsigned>(std::max(0, b.h)));
    }
    void text(int x, int baseline, const std::string& s, int r, int g, int b) {
        XSetForeground(display_, gc_, rgb(r, g, b));
        XDrawString(display_, pixmap_, gc_, x, baseline, s.data(), static_cast<int>(s.size()));
    }
    void copy(Box from, int to_x, int to_y) {
        XCopyArea(display_, pixmap_, pixmap_, gc_, from.x, from.y, static_cast<unsigned>(from.w),
                  static_cast<unsigned>(from.h), to_x, to_y);
    }
    // Pixels from `pixel(x, y)` as 0xRRGGBB, for textures and noise.
    template <class Pixel>
    void image(Box b, Pixel pixel) {
        if (b.w <= 0 || b.h <= 0) return;
        buffer_.resize(static_cast<std::size_t>(b.w) * b.h);
        for (int y = 0; y < b.h; ++y)
            for (int x = 0; x < b.w; ++x) buffer_[static_cast<std::size_t>(y) * b.w + x] = pixel(x, y);
        XImage* image = XCreateImage(display_, DefaultVisual(display_, screen_),
                                     static_cast<unsigned>(DefaultDepth(display_, screen_)), ZPixmap, 0,
                                     reinterpret_cast<char*>(buffer_.data()), static_cast<unsigned>(b.w),
                                     static_cast<unsigned>(b.h), 32, b.w * 4);
        XPutImage(display_, pixmap_, gc_, image, 0, 0, b.x, b.y, static_cast<unsigned>(b.w),
                  static_cast<unsigned>(b.h));
        image->data = nullptr;  // ours (buffer_), not Xlib's to free
        XDestroyImage(image);
    }
    void show(Box b) {
        XClearArea(display_, window_, b.x, b.y, static_cast<unsigned>(std::max(0, b.w)),
                   static_cast<unsigned>(std::max(0, b.h)), False);
    }
    void show_all() { show(Box{0, 0, width_, height_}); }
    void warp(int x, int y) { XWarpPointer(display_, None, RootWindow(display_, screen_), 0, 0, 0, 0, x, y); }
    void sync() { XSync(display_, False); }
    // Reads and drops events (the server repaints exposures from the background pixmap).
    void drain_events() {
        while (XPending(display_) > 0) {
            XEvent event;
            XNextEvent(display_, &event);
        }
    }

private:
    // The capture needs a 24-bit TrueColor visual anyway (Xvfb -screen 0 WxHx24), where a pixel is 0xRRGGBB.
    static unsigned long rgb(int r, int g, int b) {
        return (static_cast<unsigned long>(r & 255) << 16) | (static_cast<unsigned long>(g & 255) << 8) |
               static_cast<unsigned long>(b & 255);
    }

    Display* display_;
    int width_;
    int height_;
    int screen_;
    Pixmap pixmap_ = 0;
    GC gc_ = nullptr;
    XFontStruct* font_ = nullptr;
    Window window_ = 0;
    std::vector<std::uint32_t> buffer_;
};

void paint_quadrants(Painter& p) {
    const int w = p.width();
    const int h = p.height();
    p.fill(Box{0, 0, w / 2, h / 2}, 255, 0, 0);
    p.fill(Box{w / 2, 0, w - w / 2, h / 2}, 0, 255, 0);
    p.fill(Box{0, h / 2, w / 2, h - h / 2}, 0, 0, 255);
    p.fill(Box{w / 2, h / 2, w - w / 2, h - h / 2}, 255, 255, 255);
}

// Words for text that looks like text to a JPEG encoder: varied lengths, spaces, punctuation.
constexpr const char* kWords[] = {"the",     "screen", "feed",   "sends",  "only",    "what",    "changed,", "and",
                                  "every",   "viewer", "gets",   "tiles",  "of",      "JPEG",    "bytes",    "at",
                                  "its",     "own",    "rate.",  "Damage", "reports", "regions", "to",       "the",
                                  "capture", "loop;",  "cursor", "moves",  "(x, y)",  "=",       "{42};",    "return"};

std::string words(std::uint32_t seed, int columns) {
    std::string line;
    for (std::uint32_t i = 0;; ++i) {
        const char* word = kWords[hash32(seed * 977u + i) % (sizeof kWords / sizeof kWords[0])];
        if (static_cast<int>(line.size() + std::strlen(word) + 1) > columns) break;
        if (!line.empty()) line += ' ';
        line += word;
    }
    return line;
}

// A window: title bar with a title, a light or dark client area; returns the client area.
Box paint_window(Painter& p, Box b, const std::string& title, bool dark) {
    p.fill(Box{b.x + 4, b.y + 6, b.w, b.h}, 20, 24, 40);  // hard shadow
    p.fill(b, 90, 90, 100);                               // border
    p.fill(Box{b.x + 1, b.y + 1, b.w - 2, 20}, dark ? 60 : 225, dark ? 62 : 226, dark ? 70 : 232);
    p.fill(Box{b.x + 8, b.y + 6, 10, 10}, 236, 95, 86);
    p.fill(Box{b.x + 24, b.y + 6, 10, 10}, 245, 190, 60);
    p.fill(Box{b.x + 40, b.y + 6, 10, 10}, 98, 196, 84);
    const int title_colour = dark ? 220 : 40;
    p.text(b.x + 60, b.y + 15, title, title_colour, title_colour, title_colour);
    const Box client{b.x + 1, b.y + 22, b.w - 2, b.h - 23};
    if (dark) {
        p.fill(client, 26, 26, 30);
    } else {
        p.fill(client, 255, 255, 255);
    }
    return client;
}

struct Desktop {
    Box terminal;  // the terminal's text area (typing scene)
    Box video;     // the video window's picture (video scene)
};

Desktop paint_desktop(Painter& p) {
    const int w = p.width();
    const int h = p.height();
    const int taskbar = std::max(16, h / 24);
    // Wallpaper: 48 horizontal bands, dusk blue to purple; flat areas like a real desktop's.
    for (int band = 0; band < 48; ++band) {
        const int y0 = (h - taskbar) * band / 48;
        const int y1 = (h - taskbar) * (band + 1) / 48;
        p.fill(Box{0, y0, w, y1 - y0}, 30 + band * 2, 50 + band, 110 - band);
    }
    const int lh = p.line_height();
    const int cw = p.char_width();
    // Editor: light, lines of code-like text with indentation.
    {
        const Box client = paint_window(p, Box{w * 2 / 100, h * 3 / 100, w * 46 / 100, h * 60 / 100},
                                        "tiles.cpp - redred - Code", false);
        p.fill(Box{client.x, client.y, 40, client.h}, 240, 240, 244);  // gutter
        for (int line = 0; (line + 1) * lh + 4 < client.h; ++line) {
            const int indent = static_cast<int>(hash32(static_cast<std::uint32_t>(line)) % 4) * 4;
            const std::uint32_t colour = hash32(static_cast<std::uint32_t>(line) + 99u) % 3;
            p.text(client.x + 6, client.y + 4 + line * lh + p.ascent(), std::to_string(line + 1), 140, 140, 150);
            p.text(client.x + 48 + indent * cw, client.y + 4 + line * lh + p.ascent(),
                   words(static_cast<std::uint32_t>(line), std::max(4, (client.w - 56) / cw - indent)),
                   colour == 0 ? 175 : 30, colour == 1 ? 120 : 30, colour == 2 ? 160 : 40);
        }
    }
    // Browser: a heading, paragraphs and a flat "photo" of blocks.
    {
        const Box client =
            paint_window(p, Box{w * 50 / 100, h * 4 / 100, w * 48 / 100, h * 56 / 100}, "Screen feed - Browser", false);
        p.fill(Box{client.x, client.y, client.w, 28}, 242, 242, 245);  // toolbar
        p.fill(Box{client.x + 60, client.y + 5, client.w - 80, 18}, 255, 255, 255);
        p.text(client.x + 66, client.y + 18, "https://redred.example/docs/screen", 60, 60, 70);
        const Box photo{client.x + client.w / 2, client.y + 44, client.w / 2 - 12, client.h / 3};
        for (int i = 0; i < 6; ++i) {
            p.fill(Box{photo.x, photo.y + photo.h * i / 6, photo.w, photo.h / 6 + 1}, 80 + i * 25, 130 + i * 10,
                   200 - i * 20);
        }
        p.text(client.x + 12, client.y + 48, "Send only what changed", 20, 20, 30);
        for (int line = 0; client.y + 70 + line * lh < client.y + client.h - 8; ++line) {
            const int columns =
                (client.y + 70 + line * lh < photo.y + photo.h + 8 ? client.w / 2 - 24 : client.w - 24) / cw;
            p.text(client.x + 12, client.y + 70 + line * lh, words(static_cast<std::uint32_t>(line) + 500u, columns),
                   50, 50, 58);
        }
    }
    Desktop desktop;
    // Terminal, bottom left: a prompt; the typing scene types into it.
    {
        const Box client = paint_window(p, Box{w * 4 / 100, h * 64 / 100, w * 44 / 100, h * 30 / 100 - taskbar / 2},
                                        "alice@studio: ~/redred", true);
        desktop.terminal = Box{client.x + 6, client.y + 4, client.w - 12, client.h - 8};
        p.text(desktop.terminal.x, desktop.terminal.y + p.ascent(), "alice@studio:~/redred$ ", 110, 200, 120);
    }
    // Video window, bottom right: its 320x240 picture (black until the video scene plays).
    {
        const Box client = paint_window(p, Box{w - 340, h - taskbar - 270, 322, 263}, "Player", true);
        desktop.video = Box{client.x + 1, client.y + 1, 320, 240};
        p.fill(desktop.video, 0, 0, 0);
    }
    // Taskbar.
    p.fill(Box{0, h - taskbar, w, taskbar}, 34, 36, 46);
    for (int i = 0; i < 5; ++i) p.fill(Box{8 + i * 110, h - taskbar + 3, 100, taskbar - 6}, 56, 58, 72);
    p.text(w - 60, h - taskbar / 2 + 4, "12:00", 230, 230, 238);
    return desktop;
}

// The typing scene's terminal: one character per tick, a new line when a line is full, scrolling when the
// area is full.
class Terminal {
public:
    Terminal(Painter& p, Box area) : p_(p), area_(area) {
        columns_ = std::max(8, area.w / p.char_width());
        rows_ = std::max(2, area.h / p.line_height());
        row_ = 1;  // below the prompt
        next_line();
    }

    void type_one() {
        const int cw = p_.char_width();
        const int lh = p_.line_height();
        if (column_ >= static_cast<int>(line_.size())) {
            const Box cursor{area_.x + column_ * cw, area_.y + row_ * lh, cw, lh};  // left at the end of the line
            p_.fill(cursor, 26, 26, 30);
            p_.show(cursor);
            ++row_;
            if (row_ >= rows_) scroll();
            next_line();
        }
        const Box cell{area_.x + column_ * cw, area_.y + row_ * lh, cw, lh};
        p_.fill(Box{cell.x, cell.y, cw * 2, lh}, 26, 26, 30);
        p_.text(cell.x, cell.y + p_.ascent(), std::string(1, line_[static_cast<std::size_t>(column_)]), 200, 200, 205);
        p_.fill(Box{cell.x + cw, cell.y, cw, lh}, 200, 200, 205);  // block cursor after the character
        p_.show(Box{cell.x, cell.y, cw * 2, lh});
        ++column_;
    }

private:
    void next_line() {
        line_ = words(static_cast<std::uint32_t>(lines_++) + 7000u, columns_ - 2);
        if (line_.empty()) line_ = ".";
        column_ = 0;
    }
    void scroll() {
        const int lh = p_.line_height();
        p_.copy(Box{area_.x, area_.y + lh, area_.w, (rows_ - 1) * lh}, area_.x, area_.y);
        p_.fill(Box{area_.x, area_.y + (rows_ - 1) * lh, area_.w, lh}, 26, 26, 30);
        p_.show(Box{area_.x, area_.y, area_.w, rows_ * lh});
        row_ = rows_ - 1;
    }

    Painter& p_;
    Box area_;
    int columns_ = 0;
    int rows_ = 0;
    int row_ = 0;
    int column_ = 0;
    int lines_ = 0;
    std::string line_;
};

// The video scene's frame `n`: diagonal stripes and rings drifting over a noisy texture.
void paint_video_frame(Painter& p, Box area, int n) {
    p.image(area, [n](int x, int y) -> std::uint32_t {
        const int u = x + n * 3;
        const int v = y + n * 2;
        const int stripes = ((u + v) / 12) % 2 == 0 ? 60 : 0;
        const int dx = x - 160 - (n * 5) % 200 + 100;
        const int dy = y - 120;
        const int ring = ((dx * dx + dy * dy) / 300 + n) % 4 * 30;
        const int grain = static_cast<int>(hash32(static_cast<std::uint32_t>(y * 331 + x + n * 7919)) % 48);
        const int r = std::min(255, 40 + stripes + ring + grain);
        const int g = std::min(255, 90 + ring / 2 + grain);
        const int b = std::min(255, 150 - stripes / 2 + grain);
        return static_cast<std::uint32_t>(r << 16 | g << 8 | b);
    });
    p.show(area);
}

// Runs one stdin command; returns the answer line.
std::string run_command(Painter& p, const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    int a[7] = {};
    const auto read = [&](int count) {
        for (int i = 0; i < count; ++i)
            if (!(in >> a[i])) return false;
        return true;
    };
    if (verb == "rect" && read(7)) {
        const Box b{a[0], a[1], a[2], a[3]};
        p.fill(b, a[4], a[5], a[6]);
        p.show(b);
    } else if (verb == "fill" && read(3)) {
        p.fill(Box{0, 0, p.width(), p.height()}, a[0], a[1], a[2]);
        p.show_all();
    } else if (verb == "warp" && read(2)) {
        p.warp(a[0], a[1]);
    } else if (verb == "noise" && read(5)) {
        const Box b{std::max(0, a[0]), std::max(0, a[1]), std::min(a[2], p.width() - std::max(0, a[0])),
                    std::min(a[3], p.height() - std::max(0, a[1]))};
        const auto seed = static_cast<std::uint32_t>(a[4]);
        p.image(b, [seed](int x, int y) {
            return hash32(seed * 2654435761u + static_cast<std::uint32_t>(y * 65599 + x)) & 0xffffffu;
        });
        p.show(b);
    } else {
        return "error: unknown command (rect X Y W H R G B | fill R G B | warp X Y | noise X Y W H SEED)";
    }
    p.sync();
    return "ok";
}

}  // namespace

int main(int argc, char** argv) {
    const char* name = nullptr;  // default: $DISPLAY
    std::string scene = "quadrants";
    double cps = 30;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--scene" && i + 1 < argc) {
            scene = argv[++i];
        } else if (arg == "--cps" && i + 1 < argc) {
            cps = std::atof(argv[++i]);
        } else if (arg.rfind("--", 0) != 0) {
            name = argv[i];
        } else {
            std::fprintf(stderr, "usage: paint_screen [DISPLAY] [--scene quadrants|static|typing|video] [--cps N]\n");
            return 2;
        }
    }
    if (scene != "quadrants" && scene != "static" && scene != "typing" && scene != "video") {
        std::fprintf(stderr, "paint_screen: unknown scene '%s' (quadrants, static, typing, video)\n", scene.c_str());
        return 2;
    }
    if (!(cps > 0 && cps <= 10000)) {
        std::fprintf(stderr, "paint_screen: --cps must be from 0 (exclusive) to 10000\n");
        return 2;
    }
    Display* display = XOpenDisplay(name);
    if (display == nullptr) {
        std::fprintf(stderr, "paint_screen: cannot open X display '%s'\n", XDisplayName(name));
        return 1;
    }
    const int screen = DefaultScreen(display);
    Painter p(display, DisplayWidth(display, screen), DisplayHeight(display, screen));
    Desktop desktop;
    if (scene == "quadrants") {
        paint_quadrants(p);
    } else {
        desktop = paint_desktop(p);
    }
    p.map();
    p.show_all();
    p.sync();
    std::printf("painted %dx%d\n", p.width(), p.height());
    std::fflush(stdout);

    // The scene's clock: one tick per typed character or video frame.
    std::chrono::nanoseconds period{0};
    if (scene == "typing") period = std::chrono::nanoseconds(static_cast<long long>(1e9 / cps));
    if (scene == "video") period = std::chrono::nanoseconds(1'000'000'000LL / 30);
    Terminal terminal(p, desktop.terminal);
    int frame = 0;
    auto next_tick = Clock::now() + period;
    bool stdin_open = true;
    std::string pending;
    for (;;) {
        int timeout_ms = -1;
        if (period.count() > 0) {
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick - Clock::now()).count();
            timeout_ms = static_cast<int>(std::max<long long>(0, wait));
        }
        pollfd fds[2] = {{ConnectionNumber(display), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        const int ready = poll(fds, stdin_open ? 2 : 1, timeout_ms);
        if (ready < 0) continue;                                    // EINTR
        if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) return 1;  // the X server went away
        p.drain_events();
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
            char chunk[4096];
            const ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
            if (n <= 0) {
                stdin_open = false;  // no more commands; keep painting until killed
            } else {
                pending.append(chunk, static_cast<std::size_t>(n));
                for (std::size_t end; (end = pending.find('\n')) != std::string::npos;) {
                    const std::string line = pending.substr(0, end);
                    pending.erase(0, end + 1);
                    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
                    std::printf("%s\n", run_command(p, line).c_str());
                    std::fflush(stdout);
                }
            }
        }
        if (period.count() > 0 && Clock::now() >= next_tick) {
            if (scene == "typing") terminal.type_one();
            if (scene == "video") paint_video_frame(p, desktop.video, frame++);
            XFlush(display);
            next_tick += period;
            // Behind by more than a tick (a stalled machine): skip ahead rather than catch up in a burst.
            if (Clock::now() > next_tick + period) next_tick = Clock::now() + period;
        }
    }
}
