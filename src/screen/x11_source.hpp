// Captures the root window of an X display: MIT-SHM (XShmGetImage into one shared segment) when the server
// offers it and can attach our segment, XGetSubImage into one reused XImage otherwise.
// XDamage on the root window tells which regions changed since the last grab; with no damage, a grab
// captures nothing (one round trip: the cursor query, which also brings in any DamageNotify event). Without
// XDamage (or XFixes 2), every grab captures and reports the whole screen. The mouse cursor (XFixes) is
// alpha-blended into a composed copy of the capture, never into the capture itself, so that the pixels
// under an old cursor position come back from the capture; a moved or reshaped cursor reports its old and
// new rectangles as changed.
// Owned by the capture thread and used only from it (Xlib is not initialised for threads). The returned
// view points into the composed copy (or the XImage when there is no cursor), or into the scaled copy when
// max_width applies (only the changed part is rescaled), and stays valid until the next grab(). X errors
// never abort the process: protocol errors are recorded per thread and returned as Errors, and a lost
// connection marks the source dead instead of letting Xlib call exit().
#pragma once
#include <memory>
#include <vector>

#include "screen/image.hpp"
#include "screen/image_scale.hpp"
#include "screen/screen_source.hpp"

namespace redred::screen {

class X11Source final : public ScreenSource {
public:
    // Opens options.display (empty: $DISPLAY). try_shm=false skips MIT-SHM (tests use it for the fallback).
    // No display: Unavailable with advice. A visual that is not 24-bit TrueColor in 32-bit pixels: Unavailable.
    static Result<std::unique_ptr<X11Source>> open(const SourceOptions& options, bool try_shm = true);
    ~X11Source() override;
    X11Source(const X11Source&) = delete;
    X11Source& operator=(const X11Source&) = delete;

    std::string_view name() const override { return "x11"; }
    int width() const override { return output_width_; }
    int height() const override { return output_height_; }
    // Unavailable if the connection was lost or the screen was resized (reopen the source in both cases).
    Result<Capture> grab(std::chrono::system_clock::time_point now) override;

    bool uses_shm() const;
    bool uses_damage() const;   // false: every grab reports the whole screen
    bool draws_cursor() const;  // false without XFixes
    int screen_width() const;   // native size of the root window
    int screen_height() const;

private:
    struct XState;  // Xlib types stay in the .cpp: <X11/X.h> #defines None, Status, Bool...
    explicit X11Source(std::unique_ptr<XState> state);

    std::unique_ptr<XState> x_;           // owned: display connection, XImage, shm segment, damage, cursor
    Image composed_;                      // the capture with the cursor blended in (native size)
    std::unique_ptr<AreaScaler> scaler_;  // set when max_width is below the screen width
    Image scaled_;                        // target of the downscale when max_width is below the screen width
    int output_width_ = 0;
    int output_height_ = 0;
    bool first_grab_ = true;
};

}  // namespace redred::screen
