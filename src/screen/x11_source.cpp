#include "screen/x11_source.hpp"

#include <string>

#include "screen/image_scale.hpp"

// Xlib last: its macros (None, Status, Bool, Success...) must not reach the headers above.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
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

    ~XState() {
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
};

X11Source::X11Source(std::unique_ptr<XState> state) : x_(std::move(state)) {}

X11Source::~X11Source() = default;

bool X11Source::uses_shm() const { return x_->shm_attached; }
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

    auto source = std::unique_ptr<X11Source>(new X11Source(std::move(state)));
    const ImageSize output = fit_to_width(source->x_->width, source->x_->height, options.max_width);
    source->output_width_ = output.width;
    source->output_height_ = output.height;
    if (output.width != source->x_->width) source->scaled_.resize(output.width, output.height);
    return source;
}

Result<ImageView> X11Source::grab(std::chrono::system_clock::time_point /*now*/) {
    XState& x = *x_;
    if (x.connection_lost) {
        return make_error(Errc::Unavailable, "connection to X display '" + x.display_name + "' was lost");
    }
    clear_x_error();
    bool captured = false;
    if (x.shm_attached) {
        captured = XShmGetImage(x.display, x.root, x.image, 0, 0, AllPlanes) != 0;
    } else {
        captured = XGetSubImage(x.display, x.root, 0, 0, static_cast<unsigned>(x.width),
                                static_cast<unsigned>(x.height), AllPlanes, ZPixmap, x.image, 0, 0) != nullptr;
    }
    if (x.connection_lost) {
        clear_x_error();
        return make_error(Errc::Unavailable, "connection to X display '" + x.display_name + "' was lost");
    }
    if (!captured || t_x_error.code != 0) {
        std::string reason = t_x_error.code != 0 ? x_error_text(x.display) : "capture request failed";
        clear_x_error();
        // The usual cause is a resize (xrandr): the image no longer matches the root window.
        XWindowAttributes attributes{};
        if (XGetWindowAttributes(x.display, x.root, &attributes) != 0 &&
            (attributes.width != x.width || attributes.height != x.height)) {
            reason = "screen size changed from " + std::to_string(x.width) + "x" + std::to_string(x.height) + " to " +
                     std::to_string(attributes.width) + "x" + std::to_string(attributes.height) + "; reopen the source";
        }
        clear_x_error();
        return make_error(Errc::Unavailable, "cannot capture X display '" + x.display_name + "': " + reason);
    }

    const ImageView native{reinterpret_cast<const std::uint8_t*>(x.image->data), x.width, x.height,
                           x.image->bytes_per_line};
    if (scaled_.width == 0) return native;
    scale_area_average(native, scaled_);
    return scaled_.view();
}

}  // namespace redred::screen
