#include "webhooks/retry.hpp"

#include <gtest/gtest.h>

namespace redred::webhooks {

using std::chrono::milliseconds;

TEST(WebhookRetry, DoublesFromTheFirstDelayUpToTheCap) {
    const RetryPolicy policy{milliseconds(1000), milliseconds(60000)};
    // jitter 1.0: the base itself.
    EXPECT_EQ(retry_delay(1, policy, 1.0), milliseconds(1000));
    EXPECT_EQ(retry_delay(2, policy, 1.0), milliseconds(2000));
    EXPECT_EQ(retry_delay(3, policy, 1.0), milliseconds(4000));
    EXPECT_EQ(retry_delay(6, policy, 1.0), milliseconds(32000));
    EXPECT_EQ(retry_delay(7, policy, 1.0), milliseconds(60000));    // 64 s capped
    EXPECT_EQ(retry_delay(1000, policy, 1.0), milliseconds(60000));  // no overflow after many failures
}

TEST(WebhookRetry, JitterDrawsBetweenHalfTheBaseAndTheBase) {
    const RetryPolicy policy{milliseconds(1000), milliseconds(300000)};
    EXPECT_EQ(retry_delay(3, policy, 0.0), milliseconds(2000));
    EXPECT_EQ(retry_delay(3, policy, 0.5), milliseconds(3000));
    EXPECT_EQ(retry_delay(3, policy, 0.999), milliseconds(3998));
    for (double j = 0; j < 1.0; j += 0.01) {
        const auto d = retry_delay(20, policy, j);
        EXPECT_GE(d, milliseconds(150000));
        EXPECT_LE(d, milliseconds(300000));
    }
    // Out-of-range jitter is clamped, never a negative or an over-the-cap delay.
    EXPECT_EQ(retry_delay(1, policy, -3.0), milliseconds(500));
    EXPECT_EQ(retry_delay(1, policy, 7.0), milliseconds(1000));
}

TEST(WebhookRetry, ZeroOrFirstAttemptUsesTheFirstDelay) {
    const RetryPolicy policy{milliseconds(200), milliseconds(1000)};
    EXPECT_EQ(retry_delay(0, policy, 1.0), milliseconds(200));
    EXPECT_EQ(retry_delay(1, policy, 1.0), milliseconds(200));
}

}  // namespace redred::webhooks
