// Where frames come from: the X11 screen ($DISPLAY, through XShm) or a synthetic desktop-like test pattern.
// A source is used by one thread at a time (the capture thread); it never touches Asio.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "screen/image.hpp"

namespace redred::screen {

enum class SourceKind { Auto, X11, Pattern, None };

// "auto" | "x11" | "pattern" | "none"; nullopt-like error on anything else.
Result<SourceKind> parse_source_kind(std::string_view text);
const char* source_kind_name(SourceKind kind);

struct SourceOptions {
    std::string display;      // X display name; empty = $DISPLAY
    int max_width = 0;        // 0 = native size; otherwise scale down (keeping aspect) to at most this width
    int pattern_width = 1280;
    int pattern_height = 720;
};

// One grab: the whole picture (the mouse cursor drawn in, for X11) and the regions that differ from the
// previous grab, in the picture's coordinates, clipped to it. The first grab reports the whole picture.
// No change: `changed` is empty and `image` is the previous picture (a source may skip capturing then).
struct Capture {
    ImageView image;
    std::vector<Rect> changed;
};

class ScreenSource {
public:
    virtual ~ScreenSource() = default;
    virtual std::string_view name() const = 0;  // "x11" or "pattern"
    virtual int width() const = 0;              // size of the images grab() returns
    virtual int height() const = 0;
    // Captures one frame. `now` drives the pattern's motion and clock; X11 ignores it.
    virtual Result<Capture> grab(std::chrono::system_clock::time_point now) = 0;
};

// Auto: X11 when a display can be opened, otherwise the pattern. None: returns a NotFound... never; callers
// check for None before calling. X11 failure (no display, no XShm) is an Unavailable error with advice.
Result<std::unique_ptr<ScreenSource>> open_screen_source(SourceKind kind, const SourceOptions& options);

}  // namespace redred::screen
