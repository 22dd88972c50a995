#include "screen/stream_request.hpp"

#include <gtest/gtest.h>

namespace redred::screen {

TEST(StartRequest, EmptyOrNullBodyGivesTheSeedDefaults) {
    for (const char* body : {"", "  \n", "null", "{}"}) {
        auto r = parse_start_request(body);
        ASSERT_TRUE(r) << body;
        EXPECT_EQ(r->fps, 15);
        EXPECT_EQ(r->quality, 75);
    }
}

TEST(StartRequest, AcceptsTheSeedPresetsAndTheBounds) {
    for (auto [fps, quality] : {std::pair{30, 85}, {15, 75}, {10, 60}, {1, 1}, {60, 100}}) {
        auto r = parse_start_request(nlohmann::json{{"fps", fps}, {"quality", quality}}.dump());
        ASSERT_TRUE(r);
        EXPECT_EQ(r->fps, fps);
        EXPECT_EQ(r->quality, quality);
    }
    auto whole_float = parse_start_request(R"({"fps": 20.0})");
    ASSERT_TRUE(whole_float);
    EXPECT_EQ(whole_float->fps, 20);
}

struct BadCase {
    const char* body;
    const char* field;
};

class StartRequestRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(StartRequestRejects, WithBadInputNamingTheField) {
    auto r = parse_start_request(GetParam().body);
    ASSERT_FALSE(r) << GetParam().body;
    EXPECT_EQ(r.error().code, Errc::BadInput);
    EXPECT_EQ(r.error().field, GetParam().field);
    EXPECT_FALSE(r.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    OutOfRangeWrongTypesAndMalformed, StartRequestRejects,
    ::testing::Values(BadCase{R"({"fps":0})", "fps"}, BadCase{R"({"fps":61})", "fps"}, BadCase{R"({"fps":-5})", "fps"},
                      BadCase{R"({"fps":15.5})", "fps"}, BadCase{R"({"fps":"15"})", "fps"},
                      BadCase{R"({"fps":true})", "fps"}, BadCase{R"({"fps":[15]})", "fps"},
                      BadCase{R"({"fps":1e9})", "fps"}, BadCase{R"({"quality":0})", "quality"},
                      BadCase{R"({"quality":101})", "quality"}, BadCase{R"({"quality":{}})", "quality"},
                      BadCase{R"({"fps":)", ""}, BadCase{"[1,2]", ""}, BadCase{R"("text")", ""}, BadCase{"42", ""},
                      BadCase{"{\"fps\":15} trailing", ""},
                      // Found by fuzz/http_request_fuzz.cpp: past long long's range the cast was undefined (UBSan).
                      BadCase{R"({"fps":1e300})", "fps"}, BadCase{R"({"quality":-1e300})", "quality"},
                      BadCase{R"({"fps":18446744073709551615})", "fps"}));

TEST(StatusJson, InactiveNeverStartedHasNullFields) {
    auto j = status_json(StreamRecord{});
    EXPECT_EQ(j["active"], false);
    for (const char* key : {"fps", "quality", "task_id", "host", "port", "started_at"}) EXPECT_TRUE(j[key].is_null()) << key;
}

TEST(StatusJson, ActiveStreamHasTheSeedFields) {
    StreamRecord r{true, "abc-123", "127.0.0.1", 8080, 15, 75, 1234567890.123};
    auto j = status_json(r);
    EXPECT_EQ(j, (nlohmann::json{{"active", true},
                                 {"fps", 15},
                                 {"quality", 75},
                                 {"task_id", "abc-123"},
                                 {"host", "127.0.0.1"},
                                 {"port", 8080},
                                 {"started_at", 1234567890.123}}));
}

}  // namespace redred::screen
