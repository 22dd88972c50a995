// One encoded screen frame with every wire form prepared once, shared read-only by all viewers of a process.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace redred::screen {

struct Frame {
    Frame() = default;
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;
    ~Frame();

    std::uint64_t seq = 0;
    std::string task_id;
    std::string jpeg;           // the JPEG bytes (also the WebSocket binary message)
    std::string sse_event;      // "data: <base64 JPEG>\n\n"
    std::string mjpeg_header;   // multipart part header; the part is mjpeg_header + jpeg + "\r\n"
    std::chrono::steady_clock::time_point made_at;
    // The SSE event and the whole MJPEG part again, each in its own sealed in-memory file (memfd), so every
    // viewer is sent the same pages with sendfile() instead of the kernel copying 185 KB per viewer.
    // -1 when memfds are unavailable: viewers are then written the strings above.
    int sse_file = -1;
    int mjpeg_file = -1;
};

using FramePtr = std::shared_ptr<const Frame>;

// Builds every wire form of a frame (base64 for SSE costs ~0.15 ms at 720p, paid once per frame).
FramePtr make_frame(std::uint64_t seq, std::string task_id, std::string jpeg);

}  // namespace redred::screen
