#include "screen/framing.hpp"

#include <sodium.h>

#include "screen/frame.hpp"

namespace redred::screen {

std::string base64_encode(std::string_view bytes) {
    const std::size_t size = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    std::string out(size, '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.pop_back();  // the terminating NUL sodium writes
    return out;
}

std::string sse_event(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 8);
    out.append("data: ").append(data).append("\n\n");
    return out;
}

std::string sse_frame_event(std::string_view jpeg) {
    const std::size_t b64 = sodium_base64_encoded_len(jpeg.size(), sodium_base64_VARIANT_ORIGINAL);
    std::string out;
    out.resize(6 + b64 + 1);
    out.replace(0, 6, "data: ");
    sodium_bin2base64(out.data() + 6, b64, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    // sodium wrote a NUL at out[6 + b64 - 1]; replace it and the spare byte with the event terminator.
    out[6 + b64 - 1] = '\n';
    out[6 + b64] = '\n';
    return out;
}

std::string mjpeg_part_header(std::size_t jpeg_size) {
    std::string out;
    out.reserve(96);
    out.append("--").append(kMjpegBoundary).append("\r\nContent-Type: image/jpeg\r\nContent-Length: ");
    out.append(std::to_string(jpeg_size)).append("\r\n\r\n");
    return out;
}

std::string mjpeg_content_type() { return std::string("multipart/x-mixed-replace; boundary=").append(kMjpegBoundary); }

std::string mjpeg_closing() { return std::string("--").append(kMjpegBoundary).append("--\r\n"); }

FramePtr make_frame(std::uint64_t seq, std::string task_id, std::string jpeg) {
    auto frame = std::make_shared<Frame>();
    frame->seq = seq;
    frame->task_id = std::move(task_id);
    frame->sse_event = sse_frame_event(jpeg);
    frame->mjpeg_header = mjpeg_part_header(jpeg.size());
    frame->jpeg = std::move(jpeg);
    frame->made_at = std::chrono::steady_clock::now();
    return frame;
}

}  // namespace redred::screen
