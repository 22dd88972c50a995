// Where frames come from: the X11 screen ($DISPLAY, through XShm) or a synthetic desktop-like test pattern.
// A source is used by one thread at a time (the capture thread); it never touches Asio.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

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

class ScreenSource {
public:
    virtual ~ScreenSource() = default;
    virtual std::string_view name() const = 0;  // "x11" or "pattern"
    virtual int width() const = 0;              // size of the images grab() returns
    virtual int height() const = 0;
    // Captures one frame. `now` drives the pattern's motion and clock; X11 ignores it.
    virtual Result<ImageView> grab(std::chrono::system_clock::time_point now) = 0;
};

// Auto: X11 when a display can be opened, otherwise the pattern. None: returns a NotFound... never; callers
// check for None before calling. X11 failure (no display, no XShm) is an Unavailable error with advice.
Result<std::unique_ptr<ScreenSource>> open_screen_source(SourceKind kind, const SourceOptions& options);

}  // namespace redred::screen
