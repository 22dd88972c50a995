#include "webhooks/url.hpp"

#include <gtest/gtest.h>

namespace redred::webhooks {

TEST(WebhookUrl, ParsesHostPortAndTarget) {
    auto u = parse_webhook_url("http://127.0.0.1:9000/hooks/redred?team=a");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_FALSE(u->tls);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "9000");
    EXPECT_EQ(u->target, "/hooks/redred?team=a");
    EXPECT_EQ(u->host_header(), "127.0.0.1:9000");
}

TEST(WebhookUrl, DefaultsPortAndPath) {
    auto u = parse_webhook_url("http://hooks.example.org");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, "80");
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "hooks.example.org");
    auto s = parse_webhook_url("https://hooks.example.org?x=1#frag");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->tls);
    EXPECT_EQ(s->port, "443");
    EXPECT_EQ(s->target, "/?x=1");
}

TEST(WebhookUrl, TakesBracketedIpv6) {
    auto u = parse_webhook_url("http://[::1]:8081/in");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, "8081");
    EXPECT_EQ(u->host_header(), "[::1]:8081");
}

TEST(WebhookUrl, RejectsWhatItCannotUseWithAMessage) {
    for (const char* bad : {"ftp://x/", "127.0.0.1:80/", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
                            "http://h:80x/", "http://user:pw@h/", "http://h/ a", "http://[::1/"}) {
        auto u = parse_webhook_url(bad);
        ASSERT_FALSE(u) << bad;
        EXPECT_EQ(u.error().code, Errc::BadInput);
        EXPECT_NE(u.error().message.find("webhook URL"), std::string::npos) << u.error().message;
    }
}

}  // namespace redred::webhooks
