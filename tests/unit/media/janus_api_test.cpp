#include "media/janus_api.hpp"

#include <gtest/gtest.h>

namespace redred::media::janus {
namespace {

TEST(JanusApi, MessageCarriesBodyAndJsepOnlyWhenThereIsOne) {
    auto with = message_request(7, 9, {{"request", "start"}}, {{"type", "answer"}, {"sdp", "v=0"}});
    EXPECT_EQ(with["janus"], "message");
    EXPECT_EQ(with["session_id"], 7);
    EXPECT_EQ(with["handle_id"], 9);
    EXPECT_EQ(with["body"]["request"], "start");
    EXPECT_EQ(with["jsep"]["type"], "answer");
    auto without = message_request(7, 9, {{"request", "configure"}}, nullptr);
    EXPECT_FALSE(without.contains("jsep"));
}

TEST(JanusApi, ANullCandidateMeansCompleted) {
    EXPECT_EQ(trickle_request(1, 2, nullptr)["candidate"], Json({{"completed", true}}));
    Json c{{"candidate", "candidate:1 1 udp 1 10.0.0.1 5000 typ host"}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}};
    EXPECT_EQ(trickle_request(1, 2, c)["candidate"], c);
}

TEST(JanusApi, ParsesAnAsynchronousPluginEventWithItsJsep) {
    auto in = parse_incoming(R"({"janus":"event","session_id":1,"sender":42,"transaction":"t7",
        "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"attached","room":5}},
        "jsep":{"type":"offer","sdp":"v=0"}})");
    ASSERT_TRUE(in);
    EXPECT_EQ(in->kind, Kind::Event);
    EXPECT_EQ(in->transaction, "t7");
    EXPECT_EQ(in->sender, 42u);
    EXPECT_EQ(in->data["videoroom"], "attached");
    EXPECT_EQ(in->jsep["type"], "offer");
    EXPECT_FALSE(reply_error(*in));
}

TEST(JanusApi, SuccessOfCreateCarriesTheIdInData) {
    auto in = parse_incoming(R"({"janus":"success","transaction":"1","data":{"id":123456}})");
    ASSERT_TRUE(in);
    EXPECT_EQ(in->kind, Kind::Success);
    EXPECT_EQ(in->data["id"], 123456);
}

TEST(JanusApi, CoreAndPluginErrorsBecomeErrors) {
    auto core = parse_incoming(R"({"janus":"error","transaction":"1","error":{"code":403,"reason":"Unauthorized request"}})");
    ASSERT_TRUE(core);
    auto e = reply_error(*core);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, Errc::Forbidden);
    EXPECT_NE(e->message.find("403"), std::string::npos);
    auto plugin = parse_incoming(R"({"janus":"success","transaction":"2","plugindata":{"plugin":"janus.plugin.videoroom",
        "data":{"videoroom":"event","error_code":427,"error":"Room 5 already exists"}}})");
    ASSERT_TRUE(plugin);
    auto pe = reply_error(*plugin);
    ASSERT_TRUE(pe);
    EXPECT_NE(pe->message.find("janus plugin error 427"), std::string::npos);
}

TEST(JanusApi, KnowsTheCoreEvents) {
    EXPECT_EQ(parse_incoming(R"({"janus":"webrtcup","sender":1})")->kind, Kind::WebrtcUp);
    EXPECT_EQ(parse_incoming(R"({"janus":"hangup","sender":1,"reason":"DTLS alert"})")->kind, Kind::Hangup);
    EXPECT_EQ(parse_incoming(R"({"janus":"detached","sender":1})")->kind, Kind::Detached);
    EXPECT_EQ(parse_incoming(R"({"janus":"ack","transaction":"x"})")->kind, Kind::Ack);
    EXPECT_EQ(parse_incoming(R"({"janus":"something-new"})")->kind, Kind::Other);
}

TEST(JanusApi, RefusesWhatIsNotAJanusMessage) {
    EXPECT_FALSE(parse_incoming("not json"));
    EXPECT_FALSE(parse_incoming("[1,2]"));
    EXPECT_FALSE(parse_incoming(R"({"janus":5})"));
}

TEST(JanusUrl, ParsesHostPortAndPath) {
    auto u = parse_ws_url("ws://127.0.0.1:8188");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "8188");
    EXPECT_EQ(u->path, "/");
    auto v6 = parse_ws_url("ws://[::1]:9000/janus");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, "9000");
    EXPECT_EQ(v6->path, "/janus");
    EXPECT_EQ(parse_ws_url("ws://janus")->port, "8188");
}

TEST(JanusUrl, RefusesOtherSchemesAndBadPorts) {
    EXPECT_FALSE(parse_ws_url("http://127.0.0.1:8188"));
    EXPECT_FALSE(parse_ws_url("wss://127.0.0.1:8989"));
    EXPECT_FALSE(parse_ws_url("ws://127.0.0.1:0"));
    EXPECT_FALSE(parse_ws_url("ws://127.0.0.1:99999"));
    EXPECT_FALSE(parse_ws_url("ws://:8188"));
    EXPECT_FALSE(parse_ws_url("ws://[::1"));
}

}  // namespace
}  // namespace redred::media::janus
