// paint_screen: covers the whole root window of $DISPLAY with four solid quadrants so that a capture test
// knows exactly what the screen shows: top-left red (255,0,0), top-right green (0,255,0), bottom-left blue
// (0,0,255), bottom-right white. Prints "painted WIDTHxHEIGHT" once the paint has reached the server, then
// repaints on Expose until it is killed (SIGTERM). Links only Xlib.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <cstdio>

namespace {

unsigned long alloc_colour(Display* display, Colormap colormap, unsigned short r, unsigned short g, unsigned short b) {
    XColor colour{};
    colour.red = static_cast<unsigned short>(r * 257);  // 8-bit to 16-bit channel
    colour.green = static_cast<unsigned short>(g * 257);
    colour.blue = static_cast<unsigned short>(b * 257);
    colour.flags = DoRed | DoGreen | DoBlue;
    if (XAllocColor(display, colormap, &colour) == 0) {
        std::fprintf(stderr, "paint_screen: cannot allocate colour %u,%u,%u\n", r, g, b);
    }
    return colour.pixel;
}

}  // namespace

int main(int argc, char** argv) {
    const char* name = argc > 1 ? argv[1] : nullptr;  // default: $DISPLAY
    Display* display = XOpenDisplay(name);
    if (display == nullptr) {
        std::fprintf(stderr, "paint_screen: cannot open X display '%s'\n", XDisplayName(name));
        return 1;
    }
    const int screen = DefaultScreen(display);
    const Window root = RootWindow(display, screen);
    const int width = DisplayWidth(display, screen);
    const int height = DisplayHeight(display, screen);
    const Colormap colormap = DefaultColormap(display, screen);

    // Override-redirect: no window manager decorations or placement, exactly the root's geometry.
    XSetWindowAttributes attributes{};
    attributes.override_redirect = True;
    attributes.background_pixel = BlackPixel(display, screen);
    attributes.event_mask = ExposureMask | StructureNotifyMask;
    const Window window = XCreateWindow(display, root, 0, 0, static_cast<unsigned>(width),
                                        static_cast<unsigned>(height), 0, CopyFromParent, InputOutput, CopyFromParent,
                                        CWOverrideRedirect | CWBackPixel | CWEventMask, &attributes);
    const GC gc = XCreateGC(display, window, 0, nullptr);
    const unsigned long colours[4] = {
        alloc_colour(display, colormap, 255, 0, 0), alloc_colour(display, colormap, 0, 255, 0),
        alloc_colour(display, colormap, 0, 0, 255), alloc_colour(display, colormap, 255, 255, 255)};
    const int half_w = width / 2;
    const int half_h = height / 2;
    const auto paint = [&] {
        const int xs[4] = {0, half_w, 0, half_w};
        const int ys[4] = {0, 0, half_h, half_h};
        const int ws[4] = {half_w, width - half_w, half_w, width - half_w};
        const int hs[4] = {half_h, half_h, height - half_h, height - half_h};
        for (int i = 0; i < 4; ++i) {
            XSetForeground(display, gc, colours[i]);
            XFillRectangle(display, window, gc, xs[i], ys[i], static_cast<unsigned>(ws[i]),
                           static_cast<unsigned>(hs[i]));
        }
        XSync(display, False);
    };

    XMapRaised(display, window);
    // Drawing before the first Expose may be lost, so wait for it, paint, and only then announce.
    bool announced = false;
    for (;;) {
        XEvent event;
        XNextEvent(display, &event);
        if (event.type != Expose || event.xexpose.count != 0) continue;
        paint();
        if (!announced) {
            std::printf("painted %dx%d\n", width, height);
            std::fflush(stdout);
            announced = true;
        }
    }
}
