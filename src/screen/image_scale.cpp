#include "screen/image_scale.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace redred::screen {

namespace {

// Weights are fixed point with 12 fractional bits: a vertical sum stays below 255 << 12 and the horizontal
// sum of those below 255 << 24 (plus rounding), which still fits in 32 bits. Finer than 8 bits so that
// large reductions (3840 -> 640, six taps per side) keep exact averages.
constexpr int kWeightBits = 12;
constexpr std::uint32_t kWeightOne = 1u << kWeightBits;

// For each target index, the run of source indices it covers and their weights (summing to kWeightOne).
struct Taps {
    std::vector<int> first;            // first source index per target index
    std::vector<int> offset;           // start of this target index's weights in `weights`; size n + 1
    std::vector<std::uint32_t> weights;
};

Taps make_taps(int source_size, int target_size) {
    Taps taps;
    taps.first.resize(target_size);
    taps.offset.resize(target_size + 1);
    taps.weights.reserve(static_cast<std::size_t>(target_size) * (source_size / target_size + 2));
    // Work in units of 1/(source*target): target pixel i spans [i*source, (i+1)*source) and source pixel j
    // spans [j*target, (j+1)*target), so every overlap is an exact integer.
    const std::int64_t src = source_size;
    const std::int64_t dst = target_size;
    for (int i = 0; i < target_size; ++i) {
        const std::int64_t lo = i * src;
        const std::int64_t hi = lo + src;
        const int j0 = static_cast<int>(lo / dst);
        const int j1 = static_cast<int>((hi - 1) / dst);
        taps.first[i] = j0;
        taps.offset[i] = static_cast<int>(taps.weights.size());
        std::uint32_t sum = 0;
        std::size_t heaviest = taps.weights.size();
        std::uint32_t heaviest_weight = 0;
        for (int j = j0; j <= j1; ++j) {
            const std::int64_t overlap = std::min(hi, (j + 1) * dst) - std::max(lo, j * dst);
            const auto weight = static_cast<std::uint32_t>((overlap * kWeightOne + src / 2) / src);
            if (weight > heaviest_weight) {
                heaviest = taps.weights.size();
                heaviest_weight = weight;
            }
            taps.weights.push_back(weight);
            sum += weight;
        }
        // Rounding may leave the sum a little off; the heaviest tap absorbs it so flat colours stay exact.
        taps.weights[heaviest] += kWeightOne - sum;
    }
    taps.offset[target_size] = static_cast<int>(taps.weights.size());
    return taps;
}

}  // namespace

ImageSize fit_to_width(int width, int height, int max_width) {
    if (max_width <= 0 || width <= max_width) return ImageSize{width, height};
    const std::int64_t scaled = (static_cast<std::int64_t>(height) * max_width + width / 2) / width;
    return ImageSize{max_width, static_cast<int>(std::max<std::int64_t>(1, scaled))};
}

void scale_area_average(const ImageView& source, Image& target) {
    const int tw = target.width;
    const int th = target.height;
    if (tw <= 0 || th <= 0 || source.width <= 0 || source.height <= 0 || source.data == nullptr) return;
    target.stride_bytes = tw * 4;
    target.pixels.resize(static_cast<std::size_t>(target.stride_bytes) * th);

    if (tw == source.width && th == source.height) {
        for (int y = 0; y < th; ++y) {
            std::memcpy(target.pixels.data() + static_cast<std::size_t>(y) * target.stride_bytes,
                        source.data + static_cast<std::size_t>(y) * source.stride_bytes, static_cast<std::size_t>(tw) * 4);
        }
        return;
    }

    const Taps columns = make_taps(source.width, tw);
    const Taps rows = make_taps(source.height, th);
    const std::size_t row_values = static_cast<std::size_t>(source.width) * 4;
    std::vector<std::uint32_t> accumulated(row_values);

    for (int y = 0; y < th; ++y) {
        // Vertical pass: weighted sum of the covered source rows, all four channels at once.
        std::uint32_t* acc = accumulated.data();
        const int row_first = rows.first[y];
        for (int k = rows.offset[y]; k < rows.offset[y + 1]; ++k) {
            const std::uint32_t w = rows.weights[k];
            const std::uint8_t* in =
                source.data + static_cast<std::size_t>(row_first + (k - rows.offset[y])) * source.stride_bytes;
            if (k == rows.offset[y]) {
                for (std::size_t i = 0; i < row_values; ++i) acc[i] = w * in[i];
            } else {
                for (std::size_t i = 0; i < row_values; ++i) acc[i] += w * in[i];
            }
        }
        // Horizontal pass: weighted sum of the covered columns of that row, then back to 8 bits.
        std::uint8_t* out = target.pixels.data() + static_cast<std::size_t>(y) * target.stride_bytes;
        for (int x = 0; x < tw; ++x) {
            const std::uint32_t* px = acc + static_cast<std::size_t>(columns.first[x]) * 4;
            std::uint32_t b = 1u << (2 * kWeightBits - 1);
            std::uint32_t g = b;
            std::uint32_t r = b;
            std::uint32_t a = b;
            for (int k = columns.offset[x]; k < columns.offset[x + 1]; ++k, px += 4) {
                const std::uint32_t w = columns.weights[k];
                b += w * px[0];
                g += w * px[1];
                r += w * px[2];
                a += w * px[3];
            }
            out[x * 4 + 0] = static_cast<std::uint8_t>(b >> (2 * kWeightBits));
            out[x * 4 + 1] = static_cast<std::uint8_t>(g >> (2 * kWeightBits));
            out[x * 4 + 2] = static_cast<std::uint8_t>(r >> (2 * kWeightBits));
            out[x * 4 + 3] = static_cast<std::uint8_t>(a >> (2 * kWeightBits));
        }
    }
}

Image scale_area_average(const ImageView& source, int target_width, int target_height) {
    Image target;
    target.resize(target_width, target_height);
    scale_area_average(source, target);
    return target;
}

}  // namespace redred::screen
