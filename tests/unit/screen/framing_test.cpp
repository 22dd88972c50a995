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
    auto frame = make_frame(7, "task", std::string(1000, 'x'));
    EXPECT_EQ(frame->seq, 7u);
    EXPECT_EQ(frame->task_id, "task");
    EXPECT_EQ(frame->jpeg.size(), 1000u);
    EXPECT_EQ(frame->sse_event, sse_frame_event(frame->jpeg));
    EXPECT_EQ(frame->mjpeg_header, mjpeg_part_header(1000));
    // Base64 costs a third more: the reason /stream/mjpeg and /stream/ws exist.
    EXPECT_GT(frame->sse_event.size(), frame->jpeg.size() * 4 / 3);
}

}  // namespace redred::screen
