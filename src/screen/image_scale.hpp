// Downscaling of BGRX images: the size that fits a maximum width, and an area-average (box filter) resampler.
// The free functions are pure and safe from any thread; an AreaScaler belongs to one thread.
#pragma once
#include <memory>

#include "screen/image.hpp"

namespace redred::screen {

struct ImageSize {
    int width = 0;
    int height = 0;
};

// The size of a `width`x`height` image scaled down to at most `max_width` pixels wide, aspect ratio kept
// (height rounded to nearest, at least 1). max_width <= 0 or >= width means no scaling.
ImageSize fit_to_width(int width, int height, int max_width);

// Resamples `source` into `target`, whose width/height must already be set (Image::resize); every target
// pixel is the area-weighted mean of the source pixels it covers, so text and edges stay legible instead of
// aliasing. Meant for shrinking; for growing it degrades to nearest neighbour. Equal sizes are a plain copy.
void scale_area_average(const ImageView& source, Image& target);

// Convenience form that allocates the result.
Image scale_area_average(const ImageView& source, int target_width, int target_height);

// The area-average resampler for one pair of sizes, its filter computed once, so that a capture can
// rescale only the part of the picture that changed. Used by one thread at a time (it keeps a scratch row).
class AreaScaler {
public:
    AreaScaler(int source_width, int source_height, int target_width, int target_height);
    ~AreaScaler();
    AreaScaler(AreaScaler&&) noexcept;
    AreaScaler& operator=(AreaScaler&&) noexcept;

    // The target pixels that depend on any pixel of `source_rect`: in target coordinates, rounded outward,
    // clipped to the target. Empty for an empty rect or one outside the source.
    Rect affected(Rect source_rect) const;
    // Recomputes the pixels of `target` inside `region` (clipped to the target) from `source`; they come out
    // exactly as scale_area_average() of the whole image makes them. `target` must have the target size.
    void scale(const ImageView& source, Image& target, Rect region);

private:
    struct Filter;  // taps and scratch rows; vector types stay in the .cpp
    std::unique_ptr<Filter> filter_;
};

}  // namespace redred::screen
