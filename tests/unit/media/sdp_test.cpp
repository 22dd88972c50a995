#include "media/sdp.hpp"

#include <gtest/gtest.h>

namespace redred::media::sdp {
namespace {

constexpr const char* kOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
    "a=mid:0\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=candidate:1 1 udp 2122260223 10.77.0.2 50000 typ host\r\n";

TEST(Sdp, ReadsSectionsCodecsAndDirections) {
    auto d = parse(kOffer);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->media.size(), 2u);
    EXPECT_EQ(d->ice_ufrag, "abcd");
    const auto& audio = d->media[0];
    EXPECT_EQ(audio.kind, "audio");
    EXPECT_EQ(audio.mid, "0");
    EXPECT_EQ(audio.direction, "recvonly");
    ASSERT_NE(find_codec(audio, "OPUS"), nullptr);
    EXPECT_EQ(find_codec(audio, "opus")->channels, 2);
    EXPECT_EQ(find_codec(audio, "opus")->fmtp, "minptime=10;useinbandfec=1");
    const auto& video = d->media[1];
    EXPECT_EQ(find_codec(video, "VP8")->payload_type, 96);
    EXPECT_EQ(find_codec(video, "VP8")->feedback.size(), 2u);
    EXPECT_EQ(find_codec(video, "H264")->clock_rate, 90000);
    EXPECT_EQ(video.candidates.size(), 1u);
    EXPECT_EQ(first_of_kind(*d, "video"), &d->media[1]);
    EXPECT_EQ(first_of_kind(*d, "application"), nullptr);
}

TEST(Sdp, RefusesWhatIsNotAnSdpWithMedia) {
    EXPECT_EQ(parse("hello").error().code, Errc::BadInput);
    EXPECT_EQ(parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n").error().code, Errc::BadInput);
    EXPECT_EQ(parse("v=0\r\nm=video\r\n").error().code, Errc::BadInput);
    EXPECT_EQ(parse("v=0\r\nm=video 99999 RTP/AVP 96\r\n").error().code, Errc::BadInput);
    EXPECT_EQ(parse(std::string("v=0\r\nm=video 9 RTP/AVP 96\r\na=x\x01y\r\n")).error().code, Errc::BadInput);
    EXPECT_EQ(parse(std::string(70000, 'a')).error().code, Errc::TooLarge);
}

TEST(Sdp, AcceptsBareNewlines) {
    auto d = parse("v=0\nm=video 9 RTP/AVP 96\na=rtpmap:96 VP8/90000\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(find_codec(d->media[0], "vp8")->payload_type, 96);
}

TEST(SdpFragment, ReadsCandidatesWithTheirMidAndIndex) {
    auto f = parse_fragment(
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\n"
        "m=video 9 RTP/AVP 0\r\na=mid:1\r\na=candidate:2 1 udp 1 192.0.2.1 61765 typ host\r\na=end-of-candidates\r\n");
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->ice_ufrag, "EsAw");
    ASSERT_EQ(f->candidates.size(), 2u);
    EXPECT_EQ(f->candidates[0]["candidate"], "candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0");
    EXPECT_EQ(f->candidates[0]["sdpMid"], "0");
    EXPECT_EQ(f->candidates[0]["sdpMLineIndex"], 0);
    EXPECT_EQ(f->candidates[1]["sdpMid"], "1");
    EXPECT_EQ(f->candidates[1]["sdpMLineIndex"], 1);
    EXPECT_TRUE(f->end_of_candidates);
}

TEST(SdpFragment, RefusesEmptyAndMalformed) {
    EXPECT_FALSE(parse_fragment(""));
    EXPECT_FALSE(parse_fragment("hello"));
    EXPECT_FALSE(parse_fragment("a=candidate:\r\n"));
    EXPECT_EQ(parse_fragment(std::string(20000, 'a')).error().code, Errc::TooLarge);
}

}  // namespace
}  // namespace redred::media::sdp
