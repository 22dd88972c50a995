#include "screen/screen_source.hpp"

#include <cstdlib>
#include <string>

#include "screen/pattern_source.hpp"
#include "screen/x11_source.hpp"

namespace redred::screen {

Result<SourceKind> parse_source_kind(std::string_view text) {
    if (text == "auto") return SourceKind::Auto;
    if (text == "x11") return SourceKind::X11;
    if (text == "pattern") return SourceKind::Pattern;
    if (text == "none") return SourceKind::None;
    return make_error(Errc::BadInput,
                      "screen source must be one of auto, x11, pattern, none; got '" + std::string(text) + "'",
                      "screen_source");
}

const char* source_kind_name(SourceKind kind) {
    switch (kind) {
        case SourceKind::Auto: return "auto";
        case SourceKind::X11: return "x11";
        case SourceKind::Pattern: return "pattern";
        case SourceKind::None: return "none";
    }
    return "auto";
}

namespace {

Result<std::unique_ptr<ScreenSource>> open_x11(const SourceOptions& options) {
    auto source = X11Source::open(options);
    if (!source) return source.error();
    return std::unique_ptr<ScreenSource>(std::move(source).value());
}

Result<std::unique_ptr<ScreenSource>> open_pattern(const SourceOptions& options) {
    auto source = PatternSource::create(options);
    if (!source) return source.error();
    return std::unique_ptr<ScreenSource>(std::move(source).value());
}

}  // namespace

Result<std::unique_ptr<ScreenSource>> open_screen_source(SourceKind kind, const SourceOptions& options) {
    switch (kind) {
        case SourceKind::X11: return open_x11(options);
        case SourceKind::Pattern: return open_pattern(options);
        case SourceKind::None:
            return make_error(Errc::BadInput, "screen source 'none' captures nothing", "screen_source");
        case SourceKind::Auto: {
            // Only try X11 when a display is named; otherwise Xlib would just fail the same way, slower.
            const char* env_display = std::getenv("DISPLAY");
            const bool display_named = !options.display.empty() || (env_display != nullptr && *env_display != '\0');
            if (display_named) {
                auto x11 = open_x11(options);
                if (x11) return x11;
                // A bad option is the caller's mistake, not a reason to fall back silently.
                if (x11.error().code == Errc::BadInput) return x11.error();
            }
            // The caller sees name() == "pattern" and can log the fallback.
            return open_pattern(options);
        }
    }
    return make_error(Errc::BadInput, "unknown screen source kind", "screen_source");
}

}  // namespace redred::screen
