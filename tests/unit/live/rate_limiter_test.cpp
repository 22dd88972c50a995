#include "live/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace redred::live {
namespace {

using std::chrono::milliseconds;
const TimePoint t0 = from_unix_seconds(1'700'000'000);

TEST(RateLimiter, AllowsABurstThenRefuses) {
    RateLimiter limiter(3, 1.0);
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_FALSE(limiter.try_take(7, t0));
}

TEST(RateLimiter, KeysHaveSeparateBuckets) {
    RateLimiter limiter(1, 1.0);
    EXPECT_TRUE(limiter.try_take(1, t0));
    EXPECT_FALSE(limiter.try_take(1, t0));
    EXPECT_TRUE(limiter.try_take(2, t0));
}

TEST(RateLimiter, RefillsAtTheGivenRate) {
    RateLimiter limiter(2, 2.0);  // one token every 500 ms
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_FALSE(limiter.try_take(7, t0 + milliseconds(499)));
    EXPECT_TRUE(limiter.try_take(7, t0 + milliseconds(500)));
    EXPECT_FALSE(limiter.try_take(7, t0 + milliseconds(500)));
    // Never more than the burst, however long the pause.
    EXPECT_TRUE(limiter.try_take(7, t0 + std::chrono::hours(1)));
    EXPECT_TRUE(limiter.try_take(7, t0 + std::chrono::hours(1)));
    EXPECT_FALSE(limiter.try_take(7, t0 + std::chrono::hours(1)));
}

TEST(RateLimiter, RetryAfterSaysHowLongUntilTheNextToken) {
    RateLimiter limiter(1, 0.5);  // one token every 2 s
    EXPECT_EQ(limiter.retry_after(7, t0), milliseconds(0));  // unknown key: full bucket
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_EQ(limiter.retry_after(7, t0), milliseconds(2000));
    EXPECT_EQ(limiter.retry_after(7, t0 + milliseconds(1500)), milliseconds(500));
    EXPECT_FALSE(limiter.try_take(7, t0 + milliseconds(1999)));
    const TimePoint later = t0 + milliseconds(1999) + limiter.retry_after(7, t0 + milliseconds(1999));
    EXPECT_TRUE(limiter.try_take(7, later));
}

TEST(RateLimiter, RetryAfterIsAlwaysEnoughWithAwkwardRates) {
    RateLimiter limiter(1, 3.0);  // a token every 333.33 ms
    TimePoint now = t0;
    for (int i = 0; i < 100; ++i) {
        if (!limiter.try_take(7, now)) {
            now += limiter.retry_after(7, now);
            ASSERT_TRUE(limiter.try_take(7, now)) << i;
        }
    }
}

TEST(RateLimiter, ForgetsBucketsThatAreFullAgain) {
    RateLimiter limiter(2, 1.0);
    limiter.try_take(1, t0);
    limiter.try_take(2, t0 + std::chrono::seconds(1));
    EXPECT_EQ(limiter.tracked_keys(), 2u);
    limiter.prune(t0 + milliseconds(1500));  // key 1 is full again, key 2 not yet
    EXPECT_EQ(limiter.tracked_keys(), 1u);
    limiter.prune(t0 + std::chrono::seconds(2));
    EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST(RateLimiter, MemoryStaysBoundedWithManyOneOffKeys) {
    RateLimiter limiter(5, 10.0);  // a bucket is full again 100 ms after one take
    for (int i = 0; i < 100'000; ++i) limiter.try_take(i, t0 + milliseconds(i));
    EXPECT_LT(limiter.tracked_keys(), 1000u);
}

TEST(RateLimiter, ClockSteppingBackRefillsNothing) {
    RateLimiter limiter(1, 1.0);
    EXPECT_TRUE(limiter.try_take(7, t0));
    EXPECT_FALSE(limiter.try_take(7, t0 - std::chrono::seconds(10)));
    EXPECT_TRUE(limiter.try_take(7, t0 + std::chrono::seconds(1)));
}

TEST(RateLimiter, RejectsNonsenseConfiguration) {
    EXPECT_THROW(RateLimiter(0, 1.0), std::invalid_argument);
    EXPECT_THROW(RateLimiter(1, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace redred::live
