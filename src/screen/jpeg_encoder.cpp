#include "screen/jpeg_encoder.hpp"

#include <turbojpeg.h>

#include <limits>
#include <string>

namespace redred::screen {

namespace {

// TurboJPEG (and the JPEG format) cap each dimension at 65535.
constexpr int kMaxJpegDimension = 65535;

}  // namespace

JpegEncoder::JpegEncoder() : handle_(tjInitCompress()) {}

JpegEncoder::~JpegEncoder() {
    if (buffer_ != nullptr) tjFree(buffer_);
    if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
}

Result<std::string> JpegEncoder::encode(const ImageView& image, int quality) {
    if (quality < 1 || quality > 100) {
        return make_error(Errc::BadInput, "JPEG quality must be 1 to 100, got " + std::to_string(quality), "quality");
    }
    if (image.data == nullptr || image.width <= 0 || image.height <= 0 || image.width > kMaxJpegDimension ||
        image.height > kMaxJpegDimension || image.stride_bytes < image.width * 4) {
        return make_error(Errc::BadInput,
                          "image to encode must be 1 to 65535 pixels per side with stride >= width*4, got " +
                              std::to_string(image.width) + "x" + std::to_string(image.height) + " stride " +
                              std::to_string(image.stride_bytes));
    }
    auto* handle = static_cast<tjhandle>(handle_);
    if (handle == nullptr) return make_error(Errc::Internal, "libturbojpeg compressor could not be initialised");

    // tjBufSize is the worst case for this size, so with NOREALLOC the library never swaps our buffer.
    const unsigned long needed = tjBufSize(image.width, image.height, TJSAMP_420);
    if (needed == static_cast<unsigned long>(-1)) return make_error(Errc::Internal, tjGetErrorStr2(handle));
    if (needed > static_cast<unsigned long>(std::numeric_limits<int>::max())) {
        return make_error(Errc::TooLarge, "image too large to encode as one JPEG");
    }
    if (needed > buffer_capacity_) {
        if (buffer_ != nullptr) tjFree(buffer_);
        buffer_ = tjAlloc(static_cast<int>(needed));
        buffer_capacity_ = buffer_ != nullptr ? needed : 0;
        if (buffer_ == nullptr) return make_error(Errc::Internal, "out of memory for a JPEG buffer");
    }

    unsigned long size = buffer_capacity_;
    const int rc = tjCompress2(handle, image.data, image.width, image.stride_bytes, image.height, TJPF_BGRX, &buffer_,
                               &size, TJSAMP_420, quality, TJFLAG_FASTDCT | TJFLAG_NOREALLOC);
    if (rc != 0) return make_error(Errc::Internal, std::string("JPEG encoding failed: ") + tjGetErrorStr2(handle));
    return std::string(reinterpret_cast<const char*>(buffer_), size);
}

bool read_jpeg_size(std::string_view jpeg, int& width, int& height) {
    // One decompressor per thread, kept for the thread's life (relayed frames arrive on I/O threads).
    struct Decompressor {
        tjhandle handle = tjInitDecompress();
        ~Decompressor() {
            if (handle != nullptr) tjDestroy(handle);
        }
    };
    thread_local Decompressor decompressor;
    if (decompressor.handle == nullptr || jpeg.empty()) return false;
    int subsampling = 0;
    int colorspace = 0;
    return tjDecompressHeader3(decompressor.handle, reinterpret_cast<const unsigned char*>(jpeg.data()),
                               static_cast<unsigned long>(jpeg.size()), &width, &height, &subsampling,
                               &colorspace) == 0;
}

}  // namespace redred::screen
