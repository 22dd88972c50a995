#include "state/redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace redred::state::redis {
namespace {

TEST(RedisUrl, HostAloneUsesDefaults) {
    auto endpoint = parse_redis_url("redis://cache.internal");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->host, "cache.internal");
    EXPECT_EQ(endpoint->port, 6379);
    EXPECT_EQ(endpoint->db, 0);
    EXPECT_EQ(endpoint->password, "");
    EXPECT_EQ(endpoint->username, "");
}

TEST(RedisUrl, ReadsPortAndDatabase) {
    auto endpoint = parse_redis_url("redis://127.0.0.1:6380/3");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->host, "127.0.0.1");
    EXPECT_EQ(endpoint->port, 6380);
    EXPECT_EQ(endpoint->db, 3);
}

TEST(RedisUrl, TrailingSlashMeansDatabaseZero) {
    auto endpoint = parse_redis_url("redis://localhost:6379/");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->db, 0);
}

TEST(RedisUrl, SchemeIsCaseInsensitive) {
    auto endpoint = parse_redis_url("REDIS://localhost");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->host, "localhost");
}

TEST(RedisUrl, ReadsPasswordWithoutUser) {
    auto endpoint = parse_redis_url("redis://:s3cret@10.0.0.5:7000/1");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->password, "s3cret");
    EXPECT_EQ(endpoint->username, "");
    EXPECT_EQ(endpoint->host, "10.0.0.5");
    EXPECT_EQ(endpoint->port, 7000);
    EXPECT_EQ(endpoint->db, 1);
}

TEST(RedisUrl, ReadsUserAndPassword) {
    auto endpoint = parse_redis_url("redis://app:pw@redis:6379");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->username, "app");
    EXPECT_EQ(endpoint->password, "pw");
    EXPECT_EQ(endpoint->host, "redis");
}

TEST(RedisUrl, DecodesPercentEscapesInCredentials) {
    auto endpoint = parse_redis_url("redis://:p%40ss%3Aw%2Frd%25@h");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->password, "p@ss:w/rd%");
}

TEST(RedisUrl, LastAtSignEndsCredentials) {
    auto endpoint = parse_redis_url("redis://:p@ss@h:1234");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->password, "p@ss");
    EXPECT_EQ(endpoint->host, "h");
    EXPECT_EQ(endpoint->port, 1234);
}

TEST(RedisUrl, EmptyPasswordMeansNoAuth) {
    auto endpoint = parse_redis_url("redis://:@h");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->password, "");
}

TEST(RedisUrl, ReadsBracketedIpv6Host) {
    auto endpoint = parse_redis_url("redis://[::1]:6390/2");
    ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
    EXPECT_EQ(endpoint->host, "::1");
    EXPECT_EQ(endpoint->port, 6390);
    EXPECT_EQ(endpoint->db, 2);
}

TEST(RedisUrl, LabelNeverShowsCredentials) {
    auto endpoint = parse_redis_url("redis://user:topsecret@h:1/2");
    ASSERT_TRUE(endpoint.ok());
    EXPECT_EQ(endpoint_label(*endpoint), "h:1/2");
    auto v6 = parse_redis_url("redis://[::1]");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(endpoint_label(*v6), "[::1]:6379/0");
}

struct BadUrlCase {
    const char* url;
    const char* message_contains;
};

// Found by fuzz/redis_url_fuzz.cpp: a NUL in the host was accepted, and the resolver would have seen "h".
TEST(RedisUrl, RejectsNulInHost) {
    auto endpoint = parse_redis_url(std::string_view("redis://h\0st:6379", 18));
    ASSERT_FALSE(endpoint);
    EXPECT_NE(endpoint.error().message.find("host may hold only"), std::string::npos);
}

class RedisUrlRejects : public ::testing::TestWithParam<BadUrlCase> {};

TEST_P(RedisUrlRejects, WithBadInputNamingTheProblem) {
    auto endpoint = parse_redis_url(GetParam().url);
    ASSERT_FALSE(endpoint.ok()) << GetParam().url;
    EXPECT_EQ(endpoint.error().code, Errc::BadInput);
    EXPECT_EQ(endpoint.error().field, "redis_url");
    EXPECT_NE(endpoint.error().message.find(GetParam().message_contains), std::string::npos)
        << endpoint.error().message;
    EXPECT_EQ(endpoint.error().message.find("hunter2"), std::string::npos) << "leaks the password";
}

INSTANTIATE_TEST_SUITE_P(
    Table, RedisUrlRejects,
    ::testing::Values(BadUrlCase{"", "empty"},
                      BadUrlCase{"http://h:6379", "must start with redis://"},
                      BadUrlCase{"127.0.0.1:6379", "must start with redis://"},
                      BadUrlCase{"rediss://:hunter2@h", "TLS"},
                      BadUrlCase{"unix:///tmp/redis.sock", "unix socket"},
                      BadUrlCase{"redis://", "needs a host"},
                      BadUrlCase{"redis://:hunter2@", "needs a host"},
                      BadUrlCase{"redis://:hunter2@:6379", "needs a host"},
                      BadUrlCase{"redis://h:", "port must be a number from 1 to 65535"},
                      BadUrlCase{"redis://h:0", "port must be a number from 1 to 65535"},
                      BadUrlCase{"redis://h:65536", "port must be a number from 1 to 65535"},
                      BadUrlCase{"redis://h:-1", "port must be a number"},
                      BadUrlCase{"redis://h:63a", "port must be a number"},
                      BadUrlCase{"redis://h/abc", "database"},
                      BadUrlCase{"redis://h/-1", "database"},
                      BadUrlCase{"redis://h/1/2", "database"},
                      BadUrlCase{"redis://h/99999999999", "database"},
                      BadUrlCase{"redis://h?db=1", "options"},
                      BadUrlCase{"redis://hunter2@h", "credentials must be"},
                      BadUrlCase{"redis://user:@h", "no password"},
                      BadUrlCase{"redis://:hunter2%zz@h", "percent escape"},
                      BadUrlCase{"redis://:hunter2%4@h", "percent escape"},
                      BadUrlCase{"redis://::1:6379", "brackets"},
                      BadUrlCase{"redis://[::1", "without ']'"},
                      BadUrlCase{"redis://[::1]x", "after ']'"},
                      // Found by fuzz/redis_url_fuzz.cpp: hosts with spaces or controls were accepted.
                      BadUrlCase{"redis://h st:6379", "host may hold only"},
                      BadUrlCase{"redis://\x01h/0", "host may hold only"},
                      BadUrlCase{"redis://[::1 ]:6379", "host may hold only"},
                      BadUrlCase{"redis://h%41:6379", "host may hold only"},
                      BadUrlCase{"redis://[jjjj%jj]:6379", "host may hold only"},
                      BadUrlCase{"redis://[::1%]:6379", "host may hold only"}));

}  // namespace
}  // namespace redred::state::redis
