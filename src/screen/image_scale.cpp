#include "screen/image_scale.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace redred::screen {

namespace {

// Weights are 8.8 fixed point summing to exactly 256, so a weighted sum of bytes fits 16 bits and both
// passes run on 16-bit lanes (pmullw is baseline SSE2; a 32-bit multiply is not). Each pass rounds to
// 8 bits, which costs at most one level per pass; flat colours stay exact.
constexpr int kWeightBits = 8;
constexpr std::uint16_t kWeightOne = 1u << kWeightBits;
constexpr std::uint16_t kRounding = kWeightOne / 2;

// GCC/Clang vector extensions, kept to 128-bit types so that sums stay in registers: plain loops are not
// vectorized at -O2 here, and the scalar version costs ~12 ms for 1920x1080 -> 1280x720.
using U8x8 = std::uint8_t __attribute__((vector_size(8)));
using U16x8 = std::uint16_t __attribute__((vector_size(16)));

U16x8 widen(const std::uint8_t* bytes) {
    U8x8 narrow;
    std::memcpy(&narrow, bytes, sizeof narrow);
    return __builtin_convertvector(narrow, U16x8);
}

void store_narrowed(std::uint8_t* out, U16x8 sum, std::size_t bytes = 8) {
    const U8x8 narrow = __builtin_convertvector(sum >> kWeightBits, U8x8);
    std::memcpy(out, &narrow, bytes);
}

// For each target index, `count` source indices and their weights, padded to the same count with
// zero-weight taps on a valid index so that the inner loops have no per-pixel bounds.
struct Taps {
    int count = 0;                      // taps per target index
    std::vector<int> index;             // [target * count + k]: source index
    std::vector<std::uint16_t> weight;  // [target * count + k]: sums to kWeightOne per target
};

Taps make_taps(int source_size, int target_size) {
    // Units of 1/(source*target): target pixel i spans [i*source, (i+1)*source) and source pixel j spans
    // [j*target, (j+1)*target), so every overlap is an exact integer.
    const std::int64_t src = source_size;
    const std::int64_t dst = target_size;
    Taps taps;
    for (int i = 0; i < target_size; ++i) {
        const std::int64_t lo = i * src;
        const std::int64_t hi = lo + src;
        taps.count = std::max(taps.count, static_cast<int>((hi - 1) / dst - lo / dst + 1));
    }
    taps.index.resize(static_cast<std::size_t>(target_size) * taps.count);
    taps.weight.assign(static_cast<std::size_t>(target_size) * taps.count, 0);
    for (int i = 0; i < target_size; ++i) {
        const std::int64_t lo = i * src;
        const std::int64_t hi = lo + src;
        const int j0 = static_cast<int>(lo / dst);
        const int j1 = static_cast<int>((hi - 1) / dst);
        // Weights are differences of rounded cumulative coverage, so they sum to exactly kWeightOne and
        // rounding errors do not pile up across many taps.
        std::int64_t previous = 0;
        for (int k = 0; k < taps.count; ++k) {
            const std::size_t slot = static_cast<std::size_t>(i) * taps.count + k;
            const int j = j0 + k;
            taps.index[slot] = std::min(j, j1);
            if (j > j1) continue;
            const std::int64_t covered = std::min(hi, (j + 1) * dst) - lo;
            const std::int64_t cumulative = (covered * kWeightOne + src / 2) / src;
            taps.weight[slot] = static_cast<std::uint16_t>(cumulative - previous);
            previous = cumulative;
        }
    }
    return taps;
}

// out[i] = round(sum_k weight[k] * rows[k][i] / 256) for i < count.
void blend_rows(const std::uint8_t* const* rows, const std::uint16_t* weight, int taps, std::size_t count,
                std::uint8_t* out) {
    const U16x8 rounding = U16x8{} + kRounding;
    std::size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        U16x8 low = rounding;
        U16x8 high = rounding;
        for (int k = 0; k < taps; ++k) {
            const U16x8 w = U16x8{} + weight[k];
            low += w * widen(rows[k] + i);
            high += w * widen(rows[k] + i + 8);
        }
        store_narrowed(out + i, low);
        store_narrowed(out + i + 8, high);
    }
    for (; i < count; ++i) {
        unsigned sum = kRounding;
        for (int k = 0; k < taps; ++k) sum += weight[k] * rows[k][i];
        out[i] = static_cast<std::uint8_t>(sum >> kWeightBits);
    }
}

// Per pair of target pixels (x, x+1) and tap k: the two source offsets and a weight vector {wa x4, wb x4},
// so that the horizontal pass handles two BGRX pixels per 16-bit vector.
struct ColumnPairs {
    int taps = 0;
    std::vector<std::uint32_t> offsets;  // [pair * taps + k] * 2: byte offsets of the two source pixels
    std::vector<U16x8> weights;          // [pair * taps + k]
};

ColumnPairs make_column_pairs(const Taps& columns, int target_width) {
    ColumnPairs pairs;
    pairs.taps = columns.count;
    const int pair_count = (target_width + 1) / 2;
    pairs.offsets.resize(static_cast<std::size_t>(pair_count) * columns.count * 2);
    pairs.weights.resize(static_cast<std::size_t>(pair_count) * columns.count);
    for (int p = 0; p < pair_count; ++p) {
        const int a = 2 * p;
        const int b = std::min(a + 1, target_width - 1);  // odd width: the last pixel is computed twice
        for (int k = 0; k < columns.count; ++k) {
            const std::size_t slot = static_cast<std::size_t>(p) * columns.count + k;
            const std::size_t ta = static_cast<std::size_t>(a) * columns.count + k;
            const std::size_t tb = static_cast<std::size_t>(b) * columns.count + k;
            pairs.offsets[slot * 2] = static_cast<std::uint32_t>(columns.index[ta]) * 4;
            pairs.offsets[slot * 2 + 1] = static_cast<std::uint32_t>(columns.index[tb]) * 4;
            const std::uint16_t wa = columns.weight[ta];
            const std::uint16_t wb = columns.weight[tb];
            pairs.weights[slot] = U16x8{wa, wa, wa, wa, wb, wb, wb, wb};
        }
    }
    return pairs;
}

void blend_columns(const std::uint8_t* row, const ColumnPairs& pairs, int first_pair, int end_pair, int target_width,
                   std::uint8_t* out) {
    const U16x8 rounding = U16x8{} + kRounding;
    const int taps = pairs.taps;
    const std::uint32_t* offset = pairs.offsets.data() + static_cast<std::size_t>(first_pair) * taps * 2;
    const U16x8* weight = pairs.weights.data() + static_cast<std::size_t>(first_pair) * taps;
    for (int x = 2 * first_pair; x < 2 * end_pair && x < target_width; x += 2) {
        U16x8 sum = rounding;
        for (int k = 0; k < taps; ++k, offset += 2, ++weight) {
            std::uint32_t a;
            std::uint32_t b;
            std::memcpy(&a, row + offset[0], 4);
            std::memcpy(&b, row + offset[1], 4);
            const std::uint64_t both = a | static_cast<std::uint64_t>(b) << 32;  // little-endian: a first
            sum += *weight * widen(reinterpret_cast<const std::uint8_t*>(&both));
        }
        store_narrowed(out + static_cast<std::size_t>(x) * 4, sum, x + 1 < target_width ? 8 : 4);
    }
}

}  // namespace

ImageSize fit_to_width(int width, int height, int max_width) {
    if (max_width <= 0 || width <= max_width) return ImageSize{width, height};
    const std::int64_t scaled = (static_cast<std::int64_t>(height) * max_width + width / 2) / width;
    return ImageSize{max_width, static_cast<int>(std::max<std::int64_t>(1, scaled))};
}

void scale_area_average(const ImageView& source, Image& target) {
    if (target.width <= 0 || target.height <= 0 || source.width <= 0 || source.height <= 0 || source.data == nullptr)
        return;
    AreaScaler scaler(source.width, source.height, target.width, target.height);
    scaler.scale(source, target, Rect{0, 0, target.width, target.height});
}

struct AreaScaler::Filter {
    int source_width = 0;
    int source_height = 0;
    int target_width = 0;
    int target_height = 0;
    Taps column_taps;
    ColumnPairs columns;
    Taps rows;
    std::vector<std::uint8_t> blended;  // one source row, vertically blended (only the columns in use)
    std::vector<const std::uint8_t*> row_pointers;
};

AreaScaler::AreaScaler(int source_width, int source_height, int target_width, int target_height)
    : filter_(std::make_unique<Filter>()) {
    Filter& f = *filter_;
    f.source_width = std::max(0, source_width);
    f.source_height = std::max(0, source_height);
    f.target_width = std::max(0, target_width);
    f.target_height = std::max(0, target_height);
    if (f.source_width == 0 || f.source_height == 0 || f.target_width == 0 || f.target_height == 0) return;
    f.column_taps = make_taps(f.source_width, f.target_width);
    f.columns = make_column_pairs(f.column_taps, f.target_width);
    f.rows = make_taps(f.source_height, f.target_height);
    f.blended.resize(static_cast<std::size_t>(f.source_width) * 4);
    f.row_pointers.resize(static_cast<std::size_t>(f.rows.count));
}

AreaScaler::~AreaScaler() = default;
AreaScaler::AreaScaler(AreaScaler&&) noexcept = default;
AreaScaler& AreaScaler::operator=(AreaScaler&&) noexcept = default;

Rect AreaScaler::affected(Rect source_rect) const {
    const Filter& f = *filter_;
    const std::int64_t x0 = std::max(source_rect.x, 0);
    const std::int64_t y0 = std::max(source_rect.y, 0);
    const std::int64_t x1 =
        std::min<std::int64_t>(static_cast<std::int64_t>(source_rect.x) + source_rect.w, f.source_width);
    const std::int64_t y1 =
        std::min<std::int64_t>(static_cast<std::int64_t>(source_rect.y) + source_rect.h, f.source_height);
    if (source_rect.empty() || x0 >= x1 || y0 >= y1) return Rect{};
    // Target pixel i covers source [i*sw/tw, (i+1)*sw/tw): the first target pixel touching source x0 is
    // floor(x0*tw/sw), the last one touching x1-1 ends at ceil(x1*tw/sw). The same exact overlap decides the taps.
    const auto down = [](std::int64_t v, std::int64_t from, std::int64_t to) {
        return static_cast<int>(v * to / from);
    };
    const auto up = [](std::int64_t v, std::int64_t from, std::int64_t to) {
        return static_cast<int>((v * to + from - 1) / from);
    };
    const int tx0 = down(x0, f.source_width, f.target_width);
    const int ty0 = down(y0, f.source_height, f.target_height);
    const int tx1 = std::min(f.target_width, up(x1, f.source_width, f.target_width));
    const int ty1 = std::min(f.target_height, up(y1, f.source_height, f.target_height));
    return Rect{tx0, ty0, tx1 - tx0, ty1 - ty0};
}

void AreaScaler::scale(const ImageView& source, Image& target, Rect region) {
    Filter& f = *filter_;
    if (f.target_width == 0 || source.data == nullptr || source.width != f.source_width ||
        source.height != f.source_height || target.width != f.target_width || target.height != f.target_height) {
        return;
    }
    target.stride_bytes = f.target_width * 4;
    target.pixels.resize(static_cast<std::size_t>(target.stride_bytes) * f.target_height);
    const int x0 = std::max(region.x, 0);
    const int y0 = std::max(region.y, 0);
    const int x1 = std::min(region.x + std::max(region.w, 0), f.target_width);
    const int y1 = std::min(region.y + std::max(region.h, 0), f.target_height);
    if (x0 >= x1 || y0 >= y1) return;

    if (f.target_width == f.source_width && f.target_height == f.source_height) {
        for (int y = y0; y < y1; ++y) {
            std::memcpy(target.pixels.data() + static_cast<std::size_t>(y) * target.stride_bytes + x0 * 4,
                        source.data + static_cast<std::size_t>(y) * source.stride_bytes + x0 * 4,
                        static_cast<std::size_t>(x1 - x0) * 4);
        }
        return;
    }

    // Columns are computed in pairs (2p, 2p+1); the pairs that hold x0..x1-1 read source columns from the
    // first tap of the first pixel to the last tap of the last one (tap indices never decrease).
    const int first_pair = x0 / 2;
    const int end_pair = (x1 + 1) / 2;
    const int last_pixel = std::min(2 * end_pair, f.target_width) - 1;
    const int taps = f.column_taps.count;
    const int source_x0 = f.column_taps.index[static_cast<std::size_t>(2 * first_pair) * taps];
    const int source_x1 = f.column_taps.index[static_cast<std::size_t>(last_pixel) * taps + taps - 1] + 1;
    const std::size_t byte_offset = static_cast<std::size_t>(source_x0) * 4;
    const std::size_t byte_count = static_cast<std::size_t>(source_x1 - source_x0) * 4;

    for (int y = y0; y < y1; ++y) {
        // Vertical pass over the source columns in use, then the horizontal pass over the pairs in the region.
        const std::size_t first = static_cast<std::size_t>(y) * f.rows.count;
        for (int k = 0; k < f.rows.count; ++k) {
            f.row_pointers[k] =
                source.data + static_cast<std::size_t>(f.rows.index[first + k]) * source.stride_bytes + byte_offset;
        }
        blend_rows(f.row_pointers.data(), f.rows.weight.data() + first, f.rows.count, byte_count,
                   f.blended.data() + byte_offset);
        blend_columns(f.blended.data(), f.columns, first_pair, end_pair, f.target_width,
                      target.pixels.data() + static_cast<std::size_t>(y) * target.stride_bytes);
    }
}

Image scale_area_average(const ImageView& source, int target_width, int target_height) {
    Image target;
    target.resize(target_width, target_height);
    scale_area_average(source, target);
    return target;
}

}  // namespace redred::screen
