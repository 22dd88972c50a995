#include "media/whep_bridge.hpp"

#include <gtest/gtest.h>

namespace redred::media::whep {
namespace {

sdp::Description parse_ok(const std::string& text) {
    auto d = sdp::parse(text);
    EXPECT_TRUE(d) << (d ? "" : d.error().message);
    return d ? *d : sdp::Description{};
}

const std::string kPlayerOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=mid:0\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 102 104\r\na=mid:1\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=1;profile-level-id=42e01f\r\n";

TEST(WhepBridge, TakesThePlayersPayloadTypesForThePublishedCodecs) {
    auto plan = plan_from_offer(parse_ok(kPlayerOffer), "VP8", "opus");
    ASSERT_TRUE(plan);
    ASSERT_TRUE(plan->video && plan->audio);
    EXPECT_EQ(plan->video->payload_type, 96);
    EXPECT_EQ(plan->audio->payload_type, 111);
    EXPECT_EQ(plan->order, (std::vector<std::string>{"audio", "video"}));
    auto h264 = plan_from_offer(parse_ok(kPlayerOffer), "h264", "");
    ASSERT_TRUE(h264);
    EXPECT_EQ(h264->video->payload_type, 104) << "packetization-mode=1 preferred";
    EXPECT_FALSE(h264->audio);
}

TEST(WhepBridge, RefusesOffersThatCannotPlayTheStream) {
    auto av1_only = plan_from_offer(parse_ok("v=0\r\nm=video 9 RTP/AVP 45\r\na=recvonly\r\na=rtpmap:45 AV1/90000\r\n"), "VP8", "opus");
    ASSERT_FALSE(av1_only);
    EXPECT_NE(av1_only.error().message.find("VP8"), std::string::npos);
    auto sending = plan_from_offer(parse_ok("v=0\r\nm=video 9 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n"), "VP8", "opus");
    EXPECT_FALSE(sending);
}

TEST(WhepBridge, ForwardsToTheBridgePortsAndAnswersWithTheForwardersSourcePort) {
    auto plan = *plan_from_offer(parse_ok(kPlayerOffer), "VP8", "opus");
    auto plain = parse_ok("v=0\r\no=- 5 2 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 22500 RTP/AVP 111 0\r\nc=IN IP4 127.0.0.1\r\n"
                          "a=recvonly\r\nm=video 22502 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\n");
    auto ports = bridge_ports(plain, plan);
    ASSERT_TRUE(ports);
    EXPECT_EQ(ports->host, "127.0.0.1");
    EXPECT_EQ(ports->audio, 22500);
    EXPECT_EQ(ports->video, 22502);
    auto streams = forward_streams(plan, *ports, "0", "1");
    ASSERT_EQ(streams.size(), 2u);
    EXPECT_EQ(streams[1]["port"], 22502);
    EXPECT_EQ(streams[1]["pt"], 96);
    EXPECT_EQ(streams[1]["simulcast"], true);
    auto forwarders = read_forwarders(nlohmann::json::parse(R"({"videoroom":"rtp_forward","forwarders":[
        {"stream_id":11,"type":"audio","port":22500},{"stream_id":12,"type":"video","port":22502}]})"));
    EXPECT_EQ(forwarders, (std::vector<std::uint64_t>{11, 12}));
    const std::string answer = plain_answer(plan, *ports, 41000);
    auto parsed = parse_ok(answer);
    ASSERT_EQ(parsed.media.size(), 2u);
    EXPECT_EQ(parsed.connection_address, "127.0.0.1");
    EXPECT_EQ(parsed.media[0].kind, "audio");
    EXPECT_EQ(parsed.media[0].port, 41000);
    EXPECT_EQ(parsed.media[1].port, 41000);
    EXPECT_EQ(parsed.media[1].direction, "sendonly");
    EXPECT_EQ(sdp::find_codec(parsed.media[1], "VP8")->payload_type, 96);
}

TEST(WhepBridge, MissingBridgePortsAreAnError) {
    auto plan = *plan_from_offer(parse_ok(kPlayerOffer), "VP8", "opus");
    EXPECT_FALSE(bridge_ports(parse_ok("v=0\r\nm=audio 22500 RTP/AVP 111\r\nc=IN IP4 127.0.0.1\r\n"), plan));
}

}  // namespace
}  // namespace redred::media::whep
