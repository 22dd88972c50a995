// A 32-bit BGRX image (the byte order XShm gives on little-endian X servers and TJPF_BGRX expects).
#pragma once
#include <cstdint>
#include <vector>


namespace redred::screen {

// Borrowed pixels: valid until the owner's next grab() or destruction.
struct ImageView {
    const std::uint8_t* data = nullptr;
    int width = 0;
    int height = 0;
    int stride_bytes = 0;  // bytes from one row to the next (>= width * 4)
};

// A rectangle of pixels; empty when w or h is 0.
struct Rect {
    int x = 0;
    int y = 0;
    int w = 0;
    int h = 0;
    bool empty() const { return w <= 0 || h <= 0; }
    long long area() const { return empty() ? 0 : static_cast<long long>(w) * h; }
    friend bool operator==(const Rect&, const Rect&) = default;
};

// Owned pixels.
struct Image {
    std::vector<std::uint8_t> pixels;
    int width = 0;
    int height = 0;
    int stride_bytes = 0;

    void resize(int w, int h) {
        width = w;
        height = h;
        stride_bytes = w * 4;
        pixels.assign(static_cast<std::size_t>(stride_bytes) * h, 0);
    }
    ImageView view() const { return ImageView{pixels.data(), width, height, stride_bytes}; }
};

}  // namespace redred::screen
