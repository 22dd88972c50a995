// Fuzz target: the screen feed's wire framing (src/screen/framing.cpp) for any JPEG bytes, any size. The SSE
// event must be one well-formed `data:` line whose base64 decodes back to the JPEG, the MJPEG part header must
// announce the exact length, and the sealed in-memory files sent with sendfile() must hold exactly those bytes.
// The same bytes as a tile-mode message (src/screen/tiles.cpp): the parser must never read out of bounds, and
// whatever it accepts must encode back to exactly the input. And as a relayed change between instances.
#include <sodium.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "screen/frame.hpp"
#include "screen/framing.hpp"
#include "screen/relay.hpp"
#include "screen/tiles.hpp"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

std::string file_contents(int fd) {
    std::string out;
    char chunk[4096];
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, chunk, sizeof chunk, at);
        check(n >= 0);
        if (n == 0) return out;
        out.append(chunk, static_cast<std::size_t>(n));
        at += n;
    }
}

}  // namespace

void check_tile_message(std::string_view bytes) {
    using namespace redred::screen;
    const auto message = parse_tile_message(bytes);
    if (!message) return;
    std::string again = encode_tile_message_header(message->header);
    check(message->tiles.size() == message->header.tile_count);
    for (const ParsedTile& tile : message->tiles) {
        check(!tile.rect.empty() && tile.rect.x + tile.rect.w <= message->header.width &&
              tile.rect.y + tile.rect.h <= message->header.height);
        again += encode_tile_record_header(tile.rect, tile.jpeg.size());
        again += tile.jpeg;
    }
    check(again == bytes);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace redred::screen;
    check_tile_message(std::string_view(reinterpret_cast<const char*>(data), size));
    // And as what another instance relays (src/screen/relay.cpp): never out of bounds, no empty tile accepted.
    if (const auto relayed = decode_relayed_change(std::string_view(reinterpret_cast<const char*>(data), size))) {
        for (const auto& tile : relayed->tiles) check(!tile.rect.empty());
    }
    const std::string jpeg(reinterpret_cast<const char*>(data), size);

    const std::string event = sse_frame_event(jpeg);
    check(event == sse_event(base64_encode(jpeg)));
    check(event.rfind("data: ", 0) == 0 && event.size() >= 8 && event.substr(event.size() - 2) == "\n\n");
    const std::string_view b64 = std::string_view(event).substr(6, event.size() - 8);
    check(b64.find_first_of("\r\n") == std::string_view::npos);
    std::string decoded(size, '\0');
    std::size_t decoded_size = 0;
    check(sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), b64.data(), b64.size(),
                            nullptr, &decoded_size, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
    check(decoded_size == size && decoded == jpeg);

    const std::string header = mjpeg_part_header(size);
    check(header == "--" + std::string(kMjpegBoundary) + "\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                        std::to_string(size) + "\r\n\r\n");

    FrameContent content;
    content.seq = 7;
    content.task_id = "task";
    content.jpeg = std::string(jpeg);
    auto frame = make_frame(std::move(content));
    if (jpeg.empty()) {
        check(!frame->has_picture() && frame->sse_file < 0 && frame->mjpeg_file < 0);
        return 0;
    }
    check(frame->jpeg == jpeg && frame->sse_event == event && frame->mjpeg_header == header);
    if (frame->sse_file >= 0) check(file_contents(frame->sse_file) == event);
    if (frame->mjpeg_file >= 0) check(file_contents(frame->mjpeg_file) == header + jpeg + "\r\n");
    return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}
