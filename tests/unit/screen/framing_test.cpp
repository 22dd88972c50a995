#include "screen/framing.hpp"

#include <gtest/gtest.h>

#include "screen/frame.hpp"

namespace redred::screen {

TEST(Framing, Base64MatchesTheStandardAlphabetWithPadding) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Framing, SseEventIsDataLineThenBlankLine) {
    EXPECT_EQ(sse_event("stream_stopped"), "data: stream_stopped\n\n");
    EXPECT_EQ(kSseStreamStopped, "data: stream_stopped\n\n");
}

TEST(Framing, SseFrameEventCarriesTheBase64OfTheJpeg) {
    const std::string jpeg("\xff\xd8\xff\xe0payload\xff\xd9", 13);
    EXPECT_EQ(sse_frame_event(jpeg), "data: " + base64_encode(jpeg) + "\n\n");
    EXPECT_EQ(sse_frame_event(""), "data: \n\n");
}

TEST(Framing, MjpegPartHeaderNamesBoundaryTypeAndLength) {
    EXPECT_EQ(mjpeg_part_header(1234), "--redredframe\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n\r\n");
    EXPECT_EQ(mjpeg_content_type(), "multipart/x-mixed-replace; boundary=redredframe");
    EXPECT_EQ(mjpeg_closing(), "--redredframe--\r\n");
}

TEST(Framing, MakeFramePreparesEveryWireFormOnce) {
    FrameContent content;
    content.seq = 7;
    content.task_id = "task";
    content.width = 32;
    content.height = 16;
    content.captured_at_ms = 1234;
    content.jpeg = std::string(1000, 'x');
    auto frame = make_frame(std::move(content));
    EXPECT_EQ(frame->seq, 7u);
    EXPECT_EQ(frame->task_id, "task");
    EXPECT_EQ(frame->jpeg.size(), 1000u);
    EXPECT_EQ(frame->sse_event, sse_frame_event(frame->jpeg));
    EXPECT_EQ(frame->mjpeg_header, mjpeg_part_header(1000));
    // Base64 costs a third more: the reason /stream/mjpeg and /stream/ws exist.
    EXPECT_GT(frame->sse_event.size(), frame->jpeg.size() * 4 / 3);
    // Tile mode's key frame: header + one whole-screen tile whose JPEG is the same bytes.
    const std::string key_message = frame->key_prefix + frame->jpeg;  // the parsed tiles point into it
    auto key = parse_tile_message(key_message);
    ASSERT_TRUE(key.has_value());
    EXPECT_TRUE(key->header.key);
    EXPECT_EQ(key->header.seq, 7u);
    EXPECT_EQ(key->header.captured_at_ms, 1234u);
    ASSERT_EQ(key->tiles.size(), 1u);
    EXPECT_EQ(key->tiles[0].rect, (Rect{0, 0, 32, 16}));
    EXPECT_EQ(key->tiles[0].jpeg, frame->jpeg);
}

TEST(Framing, AFrameWithoutAPictureHasNoPictureForms) {
    FrameContent content;
    content.seq = 3;
    content.tiles.push_back(make_tile(Rect{0, 0, 8, 8}, 3, "t"));
    auto frame = make_frame(std::move(content));
    EXPECT_FALSE(frame->has_picture());
    EXPECT_TRUE(frame->sse_event.empty());
    EXPECT_EQ(frame->sse_file, -1);
    EXPECT_EQ(frame->tiles.size(), 1u);
}

}  // namespace redred::screen
