// A synthetic desktop for when there is no X display: wallpaper, overlapping windows (code editor, article
// with a photo, terminal), a taskbar, a scrolling log, a bouncing "now playing" window and a large UTC clock.
// Built to cost the JPEG encoder what a real screen costs (~120-135 KB at 1280x720, q75, 4:2:0) so that
// benchmarks and load tests on the pattern predict production.
// Owned by the capture thread. Everything is a pure function of `now`: two sources of the same size
// return identical pixels for the same `now`. The static desktop is painted once; a grab() restores only
// what moved and repaints the moving parts (well under a millisecond at 720p). It reports as changed the
// parts of the places it repainted whose pixels really differ from the previous grab (compared against a
// copy kept in step), in 16-row bands merged while that costs little area; the same `now` twice is no change.
#pragma once
#include <cstdint>
#include <memory>

#include "screen/image.hpp"
#include "screen/screen_source.hpp"

namespace redred::screen {

class PatternSource final : public ScreenSource {
public:
    // Size is options.pattern_width x pattern_height, scaled down to options.max_width if that is smaller.
    // BadInput unless 16x16 <= size <= 7680x4320 and max_width >= 0.
    static Result<std::unique_ptr<PatternSource>> create(const SourceOptions& options);
    PatternSource(int width, int height);  // size must be valid (create() checks it)

    std::string_view name() const override { return "pattern"; }
    int width() const override { return frame_.width; }
    int height() const override { return frame_.height; }
    Result<Capture> grab(std::chrono::system_clock::time_point now) override;

private:
    void paint_desktop();  // once, into background_

    // Layout, fixed at construction.
    Rect terminal_text_;   // scrolling log area
    Rect clock_panel_;     // big clock
    Rect taskbar_clock_;   // HH:MM in the tray
    Rect bouncer_bounds_;  // where the bouncing window may go
    int bouncer_w_ = 0;
    int bouncer_h_ = 0;

    Image background_;   // the static desktop
    Image bouncer_;      // the bouncing window, pre-rendered with its shadow
    Image frame_;        // what grab() returns; background_ plus the moving parts
    Rect bouncer_last_;  // where the bouncer was drawn in frame_, restored from background_ next grab
    Image previous_;     // what the last grab returned; kept equal to frame_ between grabs
    bool grabbed_ = false;
    std::int64_t grabbed_ms_ = 0;  // the `now` of the last grab, in ms
};

}  // namespace redred::screen
