#include "screen/framing.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

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

namespace {

// A sealed memfd holding `parts` one after the other; -1 if it cannot be made (the caller falls back).
int sealed_file(const char* name, std::initializer_list<std::string_view> parts) {
    const int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    for (std::string_view part : parts) {
        while (!part.empty()) {
            const ssize_t n = ::write(fd, part.data(), part.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fd);
                return -1;
            }
            part.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    // Never changes again: pages the network stack still references stay what was sent.
    ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return fd;
}

}  // namespace

Frame::~Frame() {
    if (sse_file >= 0) ::close(sse_file);
    if (mjpeg_file >= 0) ::close(mjpeg_file);
}

std::uint64_t unix_ms_now() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

FramePtr make_frame(FrameContent content) {
    auto frame = std::make_shared<Frame>();
    frame->seq = content.seq;
    frame->task_id = std::move(content.task_id);
    frame->width = content.width;
    frame->height = content.height;
    frame->captured_at_ms = content.captured_at_ms;
    frame->changed = content.changed;
    frame->key = content.key;
    frame->tiles = std::move(content.tiles);
    if (!content.jpeg.empty()) {
        frame->sse_event = sse_frame_event(content.jpeg);
        frame->mjpeg_header = mjpeg_part_header(content.jpeg.size());
        TileMessageHeader header;
        header.key = true;
        header.tile_count = 1;
        header.seq = static_cast<std::uint32_t>(frame->seq);
        header.width = static_cast<std::uint16_t>(frame->width);
        header.height = static_cast<std::uint16_t>(frame->height);
        header.captured_at_ms = frame->captured_at_ms;
        frame->key_prefix = encode_tile_message_header(header) +
                            encode_tile_record_header(Rect{0, 0, frame->width, frame->height}, content.jpeg.size());
        frame->jpeg = std::move(content.jpeg);
        frame->sse_file = sealed_file("redred-sse", {frame->sse_event});
        frame->mjpeg_file = sealed_file("redred-mjpeg", {frame->mjpeg_header, frame->jpeg, "\r\n"});
    }
    frame->made_at = std::chrono::steady_clock::now();
    return frame;
}

}  // namespace redred::screen
