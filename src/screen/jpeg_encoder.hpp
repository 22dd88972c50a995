// JPEG encoding with libturbojpeg (4:2:0, fast DCT). One encoder per thread; it reuses its buffers.
// Owned by whoever encodes (the capture thread); not thread-safe. The output buffer is sized with tjBufSize
// for the largest image seen so far, so steady-state encoding allocates only the returned string.
#pragma once
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "screen/image.hpp"

namespace redred::screen {

class JpegEncoder {
public:
    JpegEncoder();
    ~JpegEncoder();
    JpegEncoder(const JpegEncoder&) = delete;
    JpegEncoder& operator=(const JpegEncoder&) = delete;

    // quality 1..100. Returns the JPEG bytes.
    Result<std::string> encode(const ImageView& image, int quality);

private:
    // Owned, freed in the destructor.
    void* handle_ = nullptr;             // tjhandle; null if tjInitCompress failed (encode reports it)
    unsigned char* buffer_ = nullptr;    // tjAlloc'd, reused between calls
    unsigned long buffer_capacity_ = 0;  // bytes, from tjBufSize
};

// Width and height from a JPEG's header (no decoding); false if it is not a JPEG libturbojpeg can read.
bool read_jpeg_size(std::string_view jpeg, int& width, int& height);

}  // namespace redred::screen
