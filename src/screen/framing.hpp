// Wire framing of the screen feed: Server-Sent Events (the seed's /stream/feed) and MJPEG. Pure functions.
#pragma once
#include <string>
#include <string_view>

namespace redred::screen {

// The seed's end-of-stream event, sent before the feed closes.
inline constexpr std::string_view kSseStreamStopped = "data: stream_stopped\n\n";
// An SSE comment: browsers ignore it; proxies see traffic on a feed whose screen is still.
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";
inline constexpr std::string_view kStreamStoppedText = "stream_stopped";
inline constexpr std::string_view kMjpegBoundary = "redredframe";

std::string base64_encode(std::string_view bytes);
std::string sse_event(std::string_view data);           // "data: " + data + "\n\n" (data must hold no newline)
std::string sse_frame_event(std::string_view jpeg);     // sse_event(base64(jpeg))
std::string mjpeg_part_header(std::size_t jpeg_size);   // "--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: N\r\n\r\n"
std::string mjpeg_content_type();                       // "multipart/x-mixed-replace; boundary=redredframe"
std::string mjpeg_closing();                            // "--redredframe--\r\n"

}  // namespace redred::screen
