#include "live/moderation.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

using std::chrono::seconds;
const TimePoint t0 = from_unix_seconds(1'700'000'000);

TEST(Sanctions, TimeoutLastsUntilItsExpiry) {
    Sanctions sanctions;
    sanctions.add(make_timeout(7, t0, seconds(60)));
    EXPECT_TRUE(sanctions.is_timed_out(7, t0));
    EXPECT_TRUE(sanctions.is_timed_out(7, t0 + seconds(59)));
    EXPECT_FALSE(sanctions.is_timed_out(7, t0 + seconds(60)));
    EXPECT_EQ(sanctions.timed_out_until(7, t0), t0 + seconds(60));
    EXPECT_FALSE(sanctions.is_kicked(7, t0));
    EXPECT_FALSE(sanctions.is_timed_out(8, t0));
}

TEST(Sanctions, KickKeepsTheUserOutForTheBan) {
    Sanctions sanctions;
    sanctions.add(make_kick(7, t0));
    EXPECT_TRUE(sanctions.is_kicked(7, t0 + kDefaultKickBan - seconds(1)));
    EXPECT_FALSE(sanctions.is_kicked(7, t0 + kDefaultKickBan));
    EXPECT_FALSE(sanctions.is_timed_out(7, t0));
    sanctions.add(make_kick(8, t0, seconds(30)));
    EXPECT_EQ(sanctions.kicked_until(8, t0), t0 + seconds(30));
}

TEST(Sanctions, TheLatestDecisionReplacesTheEarlierOne) {
    Sanctions sanctions;
    sanctions.add(make_timeout(7, t0, seconds(600)));
    sanctions.add(make_timeout(7, t0 + seconds(1), seconds(5)));
    EXPECT_EQ(sanctions.timed_out_until(7, t0 + seconds(1)), t0 + seconds(6));
    EXPECT_TRUE(sanctions.lift(7, SanctionKind::Timeout));
    EXPECT_FALSE(sanctions.is_timed_out(7, t0 + seconds(2)));
    EXPECT_FALSE(sanctions.lift(7, SanctionKind::Timeout));
}

TEST(Sanctions, PruneForgetsExpiredOnes) {
    Sanctions sanctions;
    sanctions.add(make_timeout(1, t0, seconds(10)));
    sanctions.add(make_kick(2, t0, seconds(100)));
    EXPECT_EQ(sanctions.prune(t0 + seconds(10)), 1u);
    EXPECT_EQ(sanctions.active(t0 + seconds(10)), (std::vector<Sanction>{{2, SanctionKind::Kick, t0 + seconds(100)}}));
    EXPECT_EQ(sanctions.prune(t0 + seconds(100)), 1u);
    EXPECT_TRUE(sanctions.active(t0).empty());
}

TEST(ValidateTimeoutSeconds, AcceptsOneSecondToSevenDays) {
    EXPECT_EQ(*validate_timeout_seconds(1), seconds(1));
    EXPECT_EQ(*validate_timeout_seconds(604800), seconds(604800));
    for (long long bad : {0LL, -5LL, 604801LL, 9'000'000'000'000LL}) {
        const auto result = validate_timeout_seconds(bad);
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_EQ(result.error().code, Errc::BadInput);
        EXPECT_EQ(result.error().field, "seconds");
    }
}

TEST(ValidateReason, IsOptionalAndTrimmed) {
    EXPECT_EQ(*validate_reason(""), std::nullopt);
    EXPECT_EQ(*validate_reason(" \t\u3000 "), std::nullopt);  // only spaces: no reason
    EXPECT_EQ(*validate_reason("  spam links  "), std::optional<std::string>("spam links"));
    EXPECT_EQ(*validate_reason("déjà vu 🙂"), std::optional<std::string>("déjà vu 🙂"));
}

TEST(ValidateReason, AcceptsTwoHundredCharactersAndRefusesMore) {
    std::string at_limit;
    for (int i = 0; i < 200; ++i) at_limit += "é";  // 200 characters, 400 bytes
    EXPECT_EQ(*validate_reason(at_limit), std::optional<std::string>(at_limit));
    EXPECT_EQ(*validate_reason("  " + at_limit + "  "), std::optional<std::string>(at_limit));
    const auto too_long = validate_reason(at_limit + "x");
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().code, Errc::BadInput);
    EXPECT_EQ(too_long.error().field, "reason");
    EXPECT_EQ(too_long.error().message, "reasons must be at most 200 characters");
}

TEST(ValidateReason, RefusesControlCharactersAndInvalidUtf8) {
    for (std::string bad : {std::string("line\nbreak"), std::string("nul\0byte", 8), std::string("\xff\xfe")}) {
        const auto result = validate_reason(bad);
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_EQ(result.error().code, Errc::BadInput);
        EXPECT_EQ(result.error().field, "reason");
    }
}

TEST(Sanctions, KindsHaveStableNames) {
    EXPECT_STREQ(sanction_kind_name(SanctionKind::Timeout), "timeout");
    EXPECT_STREQ(sanction_kind_name(SanctionKind::Kick), "kick");
}

}  // namespace
}  // namespace redred::live
