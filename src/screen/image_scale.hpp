// Downscaling of BGRX images: the size that fits a maximum width, and an area-average (box filter) resampler.
// Pure functions, no state; safe from any thread.
#pragma once
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

}  // namespace redred::screen
