#include "app/config.hpp"

#include <gtest/gtest.h>

namespace redred::app {

TEST(Config, DefaultsAreValid) { EXPECT_TRUE(Config{}.validate().empty()); }

TEST(Config, ValidateReportsEveryProblemAtOnce) {
    Config c;
    c.listen = "nonsense";
    c.screen_source = "webcam";
    c.pattern_size = "huge";
    c.redis = "http://x";
    c.log_level = "loud";
    EXPECT_EQ(c.validate().size(), 5u);
}

TEST(Config, ParsesHostPortIncludingPortZeroAndIpv6) {
    HostPort hp;
    ASSERT_TRUE(parse_host_port("127.0.0.1:0", hp));
    EXPECT_EQ(hp.host, "127.0.0.1");
    EXPECT_EQ(hp.port, 0);
    ASSERT_TRUE(parse_host_port("[::1]:8080", hp));
    EXPECT_EQ(hp.host, "::1");
    EXPECT_EQ(hp.port, 8080);
    EXPECT_FALSE(parse_host_port("127.0.0.1", hp));
    EXPECT_FALSE(parse_host_port("127.0.0.1:99999", hp));
    EXPECT_FALSE(parse_host_port("127.0.0.1:80x", hp));
}

TEST(Config, FlagsOverrideEnvironmentWhichOverridesDefaults) {
    ::setenv("REDRED_SCREEN_SOURCE", "pattern", 1);
    ::setenv("REDRED_MAX_WIDTH", "800", 1);
    Config config;
    CLI::App app;
    add_serve_options(app, config);
    const char* argv[] = {"redred", "--max-width", "640"};
    app.parse(3, argv);
    EXPECT_EQ(config.screen_source, "pattern");  // from the environment
    EXPECT_EQ(config.max_width, 640);            // the flag wins
    EXPECT_EQ(config.listen, "127.0.0.1:8080");  // default
    ::unsetenv("REDRED_SCREEN_SOURCE");
    ::unsetenv("REDRED_MAX_WIDTH");
}

TEST(Config, ReadsAConfigFile) {
    const std::string path = ::testing::TempDir() + "/redred-config-test.toml";
    {
        FILE* f = std::fopen(path.c_str(), "w");
        std::fputs("listen = \"127.0.0.1:9999\"\nscreen-source = \"none\"\n", f);
        std::fclose(f);
    }
    Config config;
    CLI::App app;
    add_config_file_option(app);
    add_serve_options(app, config);
    const std::string config_flag = "--config=" + path;
    const char* argv[] = {"redred", config_flag.c_str()};
    app.parse(2, argv);
    EXPECT_EQ(config.listen, "127.0.0.1:9999");
    EXPECT_EQ(config.screen_source, "none");
}

}  // namespace redred::app
