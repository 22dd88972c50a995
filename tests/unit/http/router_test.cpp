#include "http/router.hpp"

#include <gtest/gtest.h>

namespace redred::http_server {
namespace {

Handler named(std::string name, std::vector<std::string>& calls) {
    return [name, &calls](const Request&, const PathParams&) -> net::awaitable<Response> {
        calls.push_back(name);
        co_return Response{};
    };
}

}  // namespace

TEST(Router, SplitPathIgnoresEmptySegmentsAndTrailingSlash) {
    EXPECT_EQ(split_path("/api/live/12/"), (std::vector<std::string>{"api", "live", "12"}));
    EXPECT_EQ(split_path("/"), std::vector<std::string>{});
    EXPECT_EQ(split_path("//a//b"), (std::vector<std::string>{"a", "b"}));
}

TEST(Router, MatchesExactPathsWithOrWithoutTheTrailingSlash) {
    std::vector<std::string> calls;
    Router router;
    router.add(http::verb::get, "/stream/status", named("status", calls));
    EXPECT_NE(router.match(http::verb::get, "/stream/status").handler, nullptr);
    EXPECT_NE(router.match(http::verb::get, "/stream/status/").handler, nullptr);
    EXPECT_EQ(router.match(http::verb::get, "/stream/statusx").handler, nullptr);
    EXPECT_FALSE(router.match(http::verb::get, "/stream").path_known);
}

TEST(Router, CapturesPathParameters) {
    std::vector<std::string> calls;
    Router router;
    router.add(http::verb::get, "/api/live/:id/comments/", named("comments", calls));
    auto m = router.match(http::verb::get, "/api/live/42/comments/");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_EQ(m.params.at("id"), "42");
}

TEST(Router, KnownPathWithAnotherMethodReportsTheAllowedOnes) {
    std::vector<std::string> calls;
    Router router;
    router.add(http::verb::post, "/stream/start", named("start", calls));
    auto m = router.match(http::verb::get, "/stream/start");
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_TRUE(m.path_known);
    EXPECT_EQ(m.allowed, "POST");
}

TEST(Router, HeadIsServedByTheGetRoute) {
    std::vector<std::string> calls;
    Router router;
    router.add(http::verb::get, "/healthz", named("health", calls));
    EXPECT_NE(router.match(http::verb::head, "/healthz").handler, nullptr);
}

TEST(Router, StreamRoutesAreSeparateFromOrdinaryOnes) {
    Router router;
    router.add_stream(http::verb::get, "/stream/feed",
                      [](Connection, beast::flat_buffer, Request) -> net::awaitable<void> { co_return; });
    auto m = router.match(http::verb::get, "/stream/feed");
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_NE(m.stream_handler, nullptr);
}

}  // namespace redred::http_server
