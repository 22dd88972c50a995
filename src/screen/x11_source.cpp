#include "screen/x11_source.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "core/log.hpp"
#include "screen/image_scale.hpp"

// Xlib last: its macros (None, Status, Bool, Success...) must not reach the headers above.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <mutex>

namespace redred::screen {

namespace {

// Xlib reports protocol errors through one process-wide handler, called on the thread that made the
// failing request. Each source lives on one thread, so a thread_local slot ties the error to its caller.
struct XErrorSlot {
    int code = 0;
    int request = 0;
};
thread_local XErrorSlot t_x_error;

int record_x_error(Display* /*display*/, XErrorEvent* event) {
    if (t_x_error.code == 0) t_x_error = XErrorSlot{event->error_code, event->request_code};
    return 0;  // the default handler would print and exit()
}

// With a per-display exit handler set (below), returning from here lets Xlib mark the display dead
// instead of exiting; the default handler would only print first.
int ignore_io_error(Display* /*display*/) { return 0; }

void install_error_handlers_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        XSetErrorHandler(record_x_error);
        XSetIOErrorHandler(ignore_io_error);
    });
}

void clear_x_error() { t_x_error = XErrorSlot{}; }

std::string x_error_text(Display* display) {
    char text[160] = {};
    XGetErrorText(display, t_x_error.code, text, sizeof text);
    return std::string(text) + " (request " + std::to_string(t_x_error.request) + ")";
}

Rect intersect(Rect a, Rect b) {
    const int x0 = std::max(a.x, b.x);
    const int y0 = std::max(a.y, b.y);
    const int x1 = std::min(a.x + a.w, b.x + b.w);
    const int y1 = std::min(a.y + a.h, b.y + b.h);
    return x0 < x1 && y0 < y1 ? Rect{x0, y0, x1 - x0, y1 - y0} : Rect{};
}

bool overlaps(Rect a, Rect b) { return !intersect(a, b).empty(); }

Rect bounding_box(const std::vector<Rect>& rects) {
    Rect box = rects.front();
    for (const Rect& r : rects) {
        const int x1 = std::max(box.x + box.w, r.x + r.w);
        const int y1 = std::max(box.y + box.h, r.y + r.h);
        box.x = std::min(box.x, r.x);
        box.y = std::min(box.y, r.y);
        box.w = x1 - box.x;
        box.h = y1 - box.y;
    }
    return box;
}

void copy_rect(const ImageView& from, Image& to, Rect r) {
    for (int y = r.y; y < r.y + r.h; ++y) {
        std::memcpy(
            to.pixels.data() + static_cast<std::size_t>(y) * to.stride_bytes + static_cast<std::size_t>(r.x) * 4,
            from.data + static_cast<std::size_t>(y) * from.stride_bytes + static_cast<std::size_t>(r.x) * 4,
            static_cast<std::size_t>(r.w) * 4);
    }
}

// Above this many damaged rectangles, the XGetSubImage fallback fetches their bounding box in one request.
constexpr std::size_t kMaxSubImageRequests = 16;

// Rows [begin, end) of the screen.
struct Band {
    int begin = 0;
    int end = 0;
};

// The rows `rects` cover, as few bands as is worth it: two bands closer than kBandGap rows are fetched as
// one, since a request's round trip costs about what that many rows of a 720p-1080p screen cost to copy.
std::vector<Band> row_bands(const std::vector<Rect>& rects) {
    constexpr int kBandGap = 48;
    std::vector<Band> bands;
    for (const Rect& r : rects) bands.push_back(Band{r.y, r.y + r.h});
    std::sort(bands.begin(), bands.end(), [](const Band& a, const Band& b) { return a.begin < b.begin; });
    std::vector<Band> merged;
    for (const Band& band : bands) {
        if (!merged.empty() && band.begin <= merged.back().end + kBandGap) {
            merged.back().end = std::max(merged.back().end, band.end);
        } else {
            merged.push_back(band);
        }
    }
    return merged;
}

// The mouse cursor as XFixes gives it: premultiplied ARGB, placed with its hotspot on the pointer.
struct CursorSprite {
    Rect rect;                        // in screen coordinates, not clipped
    unsigned long serial = 0;         // changes with the shape
    std::vector<std::uint32_t> argb;  // rect.w * rect.h, row by row
};

// Blends the part of `cursor` inside `clip` over `to` (out = cursor + under * (255 - alpha) / 255).
void blend_cursor(const CursorSprite& cursor, Image& to, Rect clip) {
    const Rect r = intersect(cursor.rect, clip);
    for (int y = r.y; y < r.y + r.h; ++y) {
        const std::uint32_t* s =
            cursor.argb.data() + static_cast<std::size_t>(y - cursor.rect.y) * cursor.rect.w + (r.x - cursor.rect.x);
        std::uint8_t* d =
            to.pixels.data() + static_cast<std::size_t>(y) * to.stride_bytes + static_cast<std::size_t>(r.x) * 4;
        for (int x = 0; x < r.w; ++x, ++s, d += 4) {
            const std::uint32_t p = *s;
            const unsigned alpha = p >> 24;
            if (alpha == 0) continue;  // premultiplied: fully transparent adds nothing
            const unsigned keep = 255 - alpha;
            for (int c = 0; c < 3; ++c) {  // BGRX in memory; ARGB in the word: blue is the low byte
                const unsigned source = (p >> (8 * c)) & 0xff;
                d[c] = static_cast<std::uint8_t>(std::min(255u, source + (d[c] * keep + 127) / 255));
            }
        }
    }
}

// Logged once per process: a server without XDamage is degraded, not broken.
std::atomic<bool> g_logged_no_damage{false};

}  // namespace

// Everything that needs Xlib types. Destroys in reverse order of creation.
struct X11Source::XState {
    Display* display = nullptr;
    Window root = 0;
    int width = 0;
    int height = 0;
    XImage* image = nullptr;
    XShmSegmentInfo shm{};
    bool shm_attached = false;
    bool connection_lost = false;  // set by on_connection_lost; after that, no more requests
    std::string display_name;
    // XDamage on the root window (ReportNonEmpty: one DamageNotify each time the damage stops being empty)
    // and the XFixes region its damage is moved into.
    bool has_damage = false;
    int damage_event_base = 0;
    Damage damage = 0;
    XserverRegion damage_region = 0;
    bool has_cursor = false;  // XFixes: the cursor image
    CursorSprite cursor;      // as last drawn into the composed picture

    ~XState() {
        if (!connection_lost && display != nullptr) {
            if (damage != 0) XDamageDestroy(display, damage);
            if (damage_region != 0) XFixesDestroyRegion(display, damage_region);
        }
        if (shm_attached && !connection_lost) XShmDetach(display, &shm);
        if (image != nullptr) XDestroyImage(image);  // for XShm images this leaves the segment alone
        if (shm.shmaddr != nullptr) shmdt(shm.shmaddr);
        // On a dead connection XCloseDisplay sends nothing and only frees client memory.
        if (display != nullptr) XCloseDisplay(display);
    }

    static void on_connection_lost(Display* /*display*/, void* self) {
        static_cast<XState*>(self)->connection_lost = true;
    }

    // MIT-SHM: the server writes each frame straight into our memory. Returns false (and leaves no
    // segment behind) if any step fails, e.g. a remote X server that cannot see our shared memory.
    bool attach_shm(Visual* visual, int depth) {
        image = XShmCreateImage(display, visual, static_cast<unsigned>(depth), ZPixmap, nullptr, &shm,
                                static_cast<unsigned>(width), static_cast<unsigned>(height));
        if (image == nullptr) return false;
        shm.shmid =
            shmget(IPC_PRIVATE, static_cast<std::size_t>(image->bytes_per_line) * image->height, IPC_CREAT | 0600);
        if (shm.shmid < 0) return drop_shm_image();
        void* address = shmat(shm.shmid, nullptr, 0);
        if (address == reinterpret_cast<void*>(-1)) {
            shmctl(shm.shmid, IPC_RMID, nullptr);
            return drop_shm_image();
        }
        shm.shmaddr = image->data = static_cast<char*>(address);
        shm.readOnly = False;
        clear_x_error();
        const Bool attached = XShmAttach(display, &shm);
        XSync(display, False);  // the attach error, if any, arrives only with the round trip
        // Removal is deferred until both sides detach, so the segment cannot leak even if we crash.
        shmctl(shm.shmid, IPC_RMID, nullptr);
        if (!attached || t_x_error.code != 0 || connection_lost) {
            clear_x_error();
            shmdt(shm.shmaddr);
            shm.shmaddr = nullptr;
            return drop_shm_image();
        }
        shm_attached = true;
        return true;
    }

    bool drop_shm_image() {
        image->data = nullptr;
        XDestroyImage(image);
        image = nullptr;
        return false;
    }

    // XFixes (version 2 for regions) and XDamage on the root window. The cursor needs only XFixes.
    void watch_damage_and_cursor() {
        int fixes_event_base = 0;
        int fixes_error_base = 0;
        int fixes_major = 0;
        int fixes_minor = 0;
        if (!XFixesQueryExtension(display, &fixes_event_base, &fixes_error_base) ||
            !XFixesQueryVersion(display, &fixes_major, &fixes_minor)) {
            return;
        }
        has_cursor = true;
        int damage_error_base = 0;
        int damage_major = 0;
        int damage_minor = 0;
        if (fixes_major < 2 || !XDamageQueryExtension(display, &damage_event_base, &damage_error_base) ||
            !XDamageQueryVersion(display, &damage_major, &damage_minor)) {
            return;
        }
        clear_x_error();
        damage_region = XFixesCreateRegion(display, nullptr, 0);
        damage = XDamageCreate(display, root, XDamageReportNonEmpty);
        XSync(display, False);
        has_damage = t_x_error.code == 0 && !connection_lost;
        clear_x_error();
    }

    // Moves the accumulated damage into `rects` (clipped to the screen) and clears it on the server.
    void take_damage(std::vector<Rect>& rects) {
        XDamageSubtract(display, damage, 0 /* None: all of it */, damage_region);
        int count = 0;
        XRectangle* fetched = XFixesFetchRegion(display, damage_region, &count);
        const Rect screen{0, 0, width, height};
        for (int i = 0; i < count; ++i) {
            const Rect r = intersect(Rect{fetched[i].x, fetched[i].y, fetched[i].width, fetched[i].height}, screen);
            if (!r.empty()) rects.push_back(r);
        }
        if (fetched != nullptr) XFree(fetched);
    }

    // True when a DamageNotify came in since the last call. The events arrive in order with replies, so
    // after a round trip every damage done before it is seen here; later damage sends its own event.
    bool damage_notified() {
        bool notified = false;
        XEvent event;
        while (XCheckTypedEvent(display, damage_event_base + XDamageNotify, &event)) notified = true;
        return notified;
    }

    // Reads the cursor's image and position; true if it moved or changed shape since the last call.
    bool update_cursor() {
        XFixesCursorImage* image = XFixesGetCursorImage(display);
        if (image == nullptr) return false;
        const Rect rect{image->x - image->xhot, image->y - image->yhot, image->width, image->height};
        const bool reshaped =
            image->cursor_serial != cursor.serial || rect.w != cursor.rect.w || rect.h != cursor.rect.h;
        const bool changed = reshaped || rect.x != cursor.rect.x || rect.y != cursor.rect.y;
        if (reshaped) {
            // XFixes hands 32-bit ARGB pixels in `unsigned long` elements (64 bits on LP64).
            cursor.argb.resize(static_cast<std::size_t>(rect.w) * rect.h);
            for (std::size_t i = 0; i < cursor.argb.size(); ++i)
                cursor.argb[i] = static_cast<std::uint32_t>(image->pixels[i]);
            cursor.serial = image->cursor_serial;
        }
        cursor.rect = rect;
        XFree(image);
        return changed;
    }

    Error lost_error() const {
        return make_error(Errc::Unavailable, "connection to X display '" + display_name + "' was lost");
    }

    // Brings the capture up to date in `rects` (or everything).
    Result<Ok> capture(const std::vector<Rect>& rects, bool everything) {
        clear_x_error();
        bool captured = true;
        if (shm_attached) {
            // Full-width bands of rows, written by the server straight into place in the segment: a band
            // costs one round trip plus its rows, so a small change costs a small part of a full grab.
            for (const Band band : everything ? std::vector<Band>{{0, height}} : row_bands(rects)) {
                XImage rows = *image;  // same segment and format; only the window into it differs
                rows.height = band.end - band.begin;
                rows.data = image->data + static_cast<std::ptrdiff_t>(band.begin) * image->bytes_per_line;
                captured = captured && XShmGetImage(display, root, &rows, 0, band.begin, AllPlanes) != 0;
            }
        } else if (everything || rects.size() > kMaxSubImageRequests) {
            const Rect box = everything ? Rect{0, 0, width, height} : bounding_box(rects);
            captured = get_sub_image(box);
        } else {
            for (const Rect& r : rects) captured = captured && get_sub_image(r);
        }
        if (connection_lost) {
            clear_x_error();
            return lost_error();
        }
        if (captured && t_x_error.code == 0) return Ok{};
        std::string reason = t_x_error.code != 0 ? x_error_text(display) : "capture request failed";
        clear_x_error();
        // The usual cause is a resize (xrandr): the image no longer matches the root window.
        XWindowAttributes attributes{};
        if (XGetWindowAttributes(display, root, &attributes) != 0 &&
            (attributes.width != width || attributes.height != height)) {
            reason = "screen size changed from " + std::to_string(width) + "x" + std::to_string(height) + " to " +
                     std::to_string(attributes.width) + "x" + std::to_string(attributes.height) + "; reopen the source";
        }
        clear_x_error();
        return make_error(Errc::Unavailable, "cannot capture X display '" + display_name + "': " + reason);
    }

    bool get_sub_image(Rect r) {
        return XGetSubImage(display, root, r.x, r.y, static_cast<unsigned>(r.w), static_cast<unsigned>(r.h), AllPlanes,
                            ZPixmap, image, r.x, r.y) != nullptr;
    }

    ImageView view() const {
        return ImageView{reinterpret_cast<const std::uint8_t*>(image->data), width, height, image->bytes_per_line};
    }
};

X11Source::X11Source(std::unique_ptr<XState> state) : x_(std::move(state)) {}

X11Source::~X11Source() = default;

bool X11Source::uses_shm() const { return x_->shm_attached; }
bool X11Source::uses_damage() const { return x_->has_damage; }
bool X11Source::draws_cursor() const { return x_->has_cursor; }
int X11Source::screen_width() const { return x_->width; }
int X11Source::screen_height() const { return x_->height; }

Result<std::unique_ptr<X11Source>> X11Source::open(const SourceOptions& options, bool try_shm) {
    if (options.max_width < 0) {
        return make_error(Errc::BadInput, "max_width must be 0 (native size) or a positive width", "max_width");
    }
    install_error_handlers_once();
    auto state = std::make_unique<XState>();
    const char* requested = options.display.empty() ? nullptr : options.display.c_str();
    state->display_name = XDisplayName(requested);
    state->display = XOpenDisplay(requested);
    if (state->display == nullptr) {
        return make_error(Errc::Unavailable,
                          "cannot open X display '" + state->display_name + "' (is DISPLAY set? is Xvfb running?)");
    }
    XSetIOErrorExitHandler(state->display, &XState::on_connection_lost, state.get());
    Display* display = state->display;
    state->root = DefaultRootWindow(display);

    XWindowAttributes attributes{};
    clear_x_error();
    if (XGetWindowAttributes(display, state->root, &attributes) == 0 || t_x_error.code != 0) {
        return make_error(Errc::Unavailable, "cannot read the root window of X display '" + state->display_name + "'");
    }
    state->width = attributes.width;
    state->height = attributes.height;
    const Visual* visual = attributes.visual;
    // BGRX in memory is what a little-endian 24-bit TrueColor server hands out; anything else (16-bit,
    // 30-bit, big-endian) would need a per-pixel conversion that we do not carry.
    if (visual->c_class != TrueColor || visual->red_mask != 0xff0000 || visual->green_mask != 0x00ff00 ||
        visual->blue_mask != 0x0000ff || ImageByteOrder(display) != LSBFirst) {
        return make_error(Errc::Unavailable,
                          "X display '" + state->display_name + "' has depth " + std::to_string(attributes.depth) +
                              "; screen capture needs a 24-bit TrueColor visual (Xvfb -screen 0 WxHx24)");
    }

    if (!(try_shm && XShmQueryExtension(display) && state->attach_shm(attributes.visual, attributes.depth))) {
        clear_x_error();
        state->image = XGetImage(display, state->root, 0, 0, static_cast<unsigned>(state->width),
                                 static_cast<unsigned>(state->height), AllPlanes, ZPixmap);
        if (state->image == nullptr || t_x_error.code != 0) {
            const std::string reason = t_x_error.code != 0 ? x_error_text(display) : "no image";
            clear_x_error();
            return make_error(Errc::Unavailable, "cannot capture X display '" + state->display_name + "': " + reason);
        }
    }
    if (state->image->bits_per_pixel != 32) {
        return make_error(Errc::Unavailable, "X display '" + state->display_name + "' uses " +
                                                 std::to_string(state->image->bits_per_pixel) +
                                                 "-bit pixels; screen capture needs 32-bit pixels");
    }

    state->watch_damage_and_cursor();
    if (!state->has_damage && !g_logged_no_damage.exchange(true)) {
        log::get("screen")->warn("X display has no XDamage display={}; every frame is captured and sent whole",
                                 state->display_name);
    }

    auto source = std::unique_ptr<X11Source>(new X11Source(std::move(state)));
    const int width = source->x_->width;
    const int height = source->x_->height;
    const ImageSize output = fit_to_width(width, height, options.max_width);
    source->output_width_ = output.width;
    source->output_height_ = output.height;
    if (source->x_->has_cursor) source->composed_.resize(width, height);
    if (output.width != width) {
        source->scaled_.resize(output.width, output.height);
        source->scaler_ = std::make_unique<AreaScaler>(width, height, output.width, output.height);
    }
    return source;
}

Result<Capture> X11Source::grab(std::chrono::system_clock::time_point /*now*/) {
    XState& x = *x_;
    if (x.connection_lost) return x.lost_error();
    const Rect screen{0, 0, x.width, x.height};

    // The cursor query is the one round trip of a grab with no change; it also brings in DamageNotify.
    const Rect old_cursor = intersect(x.cursor.rect, screen);
    const bool cursor_changed = x.has_cursor && (x.update_cursor() || first_grab_);
    if (!x.has_cursor && x.has_damage) XSync(x.display, False);
    if (x.connection_lost) return x.lost_error();

    std::vector<Rect> damaged;
    const bool everything = first_grab_ || !x.has_damage;
    if (x.has_damage && (x.damage_notified() || first_grab_)) x.take_damage(damaged);
    if (x.connection_lost) return x.lost_error();
    if (everything) damaged.assign(1, screen);
    if (!damaged.empty()) {
        auto captured = x.capture(damaged, everything);
        if (!captured) return captured.error();
    }

    // The composed picture is the capture everywhere except under the cursor, where the cursor is blended
    // over it. Refresh what was captured and the old cursor's place from the capture, then draw the cursor
    // again if it moved or something under it changed (from freshly copied pixels, never blending twice).
    std::vector<Rect> changed = damaged;
    ImageView native = x.view();
    if (x.has_cursor) {
        const Rect new_cursor = intersect(x.cursor.rect, screen);
        for (const Rect& r : damaged) copy_rect(native, composed_, r);
        bool redraw = cursor_changed;
        for (std::size_t i = 0; i < damaged.size() && !redraw; ++i) redraw = overlaps(damaged[i], new_cursor);
        if (cursor_changed && !old_cursor.empty()) {
            copy_rect(native, composed_, old_cursor);
            changed.push_back(old_cursor);
        }
        if (redraw && !new_cursor.empty()) {
            copy_rect(native, composed_, new_cursor);
            blend_cursor(x.cursor, composed_, new_cursor);
        }
        if (cursor_changed && !new_cursor.empty()) changed.push_back(new_cursor);
        native = composed_.view();
    }
    if (everything) changed.assign(1, screen);
    first_grab_ = false;

    if (!scaler_) return Capture{native, std::move(changed)};
    // Rescale only the output pixels that the changed native pixels feed.
    for (Rect& r : changed) {
        r = scaler_->affected(r);
        scaler_->scale(native, scaled_, r);
    }
    std::erase_if(changed, [](const Rect& r) { return r.empty(); });
    return Capture{scaled_.view(), std::move(changed)};
}

}  // namespace redred::screen
