// One change of the screen, encoded once and shared read-only by all viewers of a process: the whole picture
// for the full-frame feeds (every wire form prepared once) and/or the changed regions as tiles for tile mode.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "screen/tiles.hpp"

namespace redred::screen {

struct Frame {
    Frame() = default;
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;
    ~Frame();

    std::uint64_t seq = 0;     // the screen state this frame shows; a key frame of an unchanged screen repeats it
    std::string task_id;
    int width = 0;
    int height = 0;
    std::uint64_t captured_at_ms = 0;  // Unix time in ms
    bool changed = true;   // false: a whole picture of an unchanged screen, made because a viewer asked for one
    bool key = false;      // the whole picture is the change: tile viewers get it as a key frame (no tiles)
    std::vector<TilePtr> tiles;  // when !key: the changed regions (empty if no tile viewer wanted them)

    // The whole picture; empty when nobody wanted it for this change.
    std::string jpeg;           // the JPEG bytes (also the WebSocket binary message)
    std::string sse_event;      // "data: <base64 JPEG>\n\n"
    std::string mjpeg_header;   // multipart part header; the part is mjpeg_header + jpeg + "\r\n"
    std::string key_prefix;     // tile-mode key frame: message header + the record header of one whole-screen tile
    std::chrono::steady_clock::time_point made_at;
    // The SSE event and the whole MJPEG part again, each in its own sealed in-memory file (memfd), so every
    // viewer is sent the same pages with sendfile() instead of the kernel copying 185 KB per viewer.
    // -1 when memfds are unavailable: viewers are then written the strings above.
    int sse_file = -1;
    int mjpeg_file = -1;

    bool has_picture() const { return !jpeg.empty(); }
};

using FramePtr = std::shared_ptr<const Frame>;

struct FrameContent {
    std::uint64_t seq = 0;
    std::string task_id;
    int width = 0;
    int height = 0;
    std::uint64_t captured_at_ms = 0;
    bool changed = true;
    bool key = false;
    std::string jpeg;  // may be empty (then there must be tiles)
    std::vector<TilePtr> tiles;
};

// Unix time in ms: the clock of captured_at_ms (viewers compare it with theirs to show the latency).
std::uint64_t unix_ms_now();

// Builds every wire form of the picture (base64 for SSE costs ~0.15 ms at 720p, paid once per frame).
FramePtr make_frame(FrameContent content);

}  // namespace redred::screen
